import { createHash, pbkdf2Sync } from "node:crypto";
import { Pool } from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type PostgresServer } from "../support/postgres";
import { eventually, killApp, runApp, startApp, type AppProcess } from "./harness";

let pg: PostgresServer;
let db: Pool;
let url: string;
const started: AppProcess[] = [];

function worker(env: Record<string, string> = {}): AppProcess {
    const p = startApp("worker", { DATABASE_URL: url, WORKER_POLL_MS: "50", ...env });
    started.push(p);
    return p;
}

interface Row {
    id: string;
    kind: string;
    status: string;
    input: { text: string; salt?: string; iterations?: number };
    result: Record<string, unknown> | null;
    error: string | null;
    processed_by: string | null;
}

async function enqueue(kind: string, input: unknown): Promise<string> {
    const { rows } = await db.query<{ id: string }>("INSERT INTO jobs (kind, input) VALUES ($1, $2) RETURNING id", [kind, JSON.stringify(input)]);
    return rows[0].id;
}

async function job(id: string): Promise<Row> {
    return (await db.query<Row>("SELECT * FROM jobs WHERE id = $1", [id])).rows[0];
}

function testPool(): Pool {
    const pool = new Pool({ connectionString: url, max: 4 });
    // Idle connections die when a test stops the server; the test replaces the pool afterwards.
    pool.on("error", () => undefined);
    return pool;
}

// Slow enough (about half a second here) that the worker is still busy when the signal arrives.
const SLOW = { text: "correct horse", salt: "battery staple", iterations: 3_000_000 };

beforeAll(async () => {
    pg = await startPostgres();
    url = await pg.createDatabase("worker_test");
    const migrated = await runApp("migrate", { DATABASE_URL: url });
    expect(migrated.code, migrated.output).toBe(0);
    db = testPool();
});

afterEach(async () => {
    await Promise.all(started.splice(0).map(killApp));
    await db.query("DELETE FROM jobs");
});

afterAll(async () => {
    await db?.end();
    pg?.destroy();
});

describe("worker (node src/worker.js)", () => {
    it("processes every queued job exactly once across several workers", async () => {
        const texts = Array.from({ length: 30 }, (_, i) => `job number ${i}\nsecond line`);
        const ids: string[] = [];
        for (const [i, text] of texts.entries()) ids.push(await enqueue(i % 2 === 0 ? "sha256" : "wordcount", { text }));
        // Bypasses the API's validation, as an older release could have queued it.
        const invalid = await enqueue("sha256", { text: 42 });

        const workers = [worker({ WORKER_CONCURRENCY: "2" }), worker({ WORKER_CONCURRENCY: "2" })];
        await eventually("all jobs to finish", async () => {
            const { rows } = await db.query<{ n: string }>("SELECT count(*) AS n FROM jobs WHERE status = 'queued'");
            return rows[0].n === "0" ? true : undefined;
        });

        for (const [i, id] of ids.entries()) {
            const row = await job(id);
            expect(row.status).toBe("done");
            const text = texts[i];
            expect(row.result).toEqual(
                i % 2 === 0 ? { sha256: createHash("sha256").update(text).digest("hex") } : { words: 5, lines: 2, chars: text.length },
            );
        }
        expect(await job(invalid)).toMatchObject({ status: "failed", error: "input.text must be a string" });

        const startedIds = workers.flatMap((w) => w.logs.filter((l) => l.msg === "job started").map((l) => l.job_id));
        expect(startedIds).toHaveLength(ids.length + 1);
        expect(new Set(startedIds).size).toBe(startedIds.length);

        for (const w of workers) w.child.kill("SIGTERM");
        for (const w of workers) expect(await w.exited).toEqual({ code: 0, signal: null });
    });

    it("on SIGTERM finishes the job in hand, then exits 0", async () => {
        const id = await enqueue("pbkdf2", SLOW);
        const w = worker();
        await w.waitForLog((l) => l.msg === "job started" && l.job_id === id);
        w.child.kill("SIGTERM");
        expect(await w.exited).toEqual({ code: 0, signal: null });

        const row = await job(id);
        expect(row.status).toBe("done");
        expect(row.result).toEqual({ pbkdf2_sha256: pbkdf2Sync(SLOW.text, SLOW.salt, SLOW.iterations, 32, "sha256").toString("hex") });
        const order = w.logs.map((l) => l.msg);
        expect(order.indexOf("shutting down, finishing current jobs")).toBeLessThan(order.indexOf("job finished"));
        expect(order.at(-1)).toBe("stopped");
    });

    it("records finished_at when the job finished, not when its transaction began", async () => {
        const id = await enqueue("pbkdf2", SLOW);
        const w = worker();
        await w.waitForLog((l) => l.msg === "job started" && l.job_id === id);
        // While the worker computes, a SHARE lock on the table makes its UPDATE wait: the job's
        // transaction then lasts at least HOLD_MS, on any CPU.
        const HOLD_MS = 1200;
        const blocker = await db.connect();
        try {
            await blocker.query("BEGIN");
            await blocker.query("LOCK TABLE jobs IN SHARE MODE");
            await new Promise((r) => setTimeout(r, HOLD_MS));
            await blocker.query("COMMIT");
        } finally {
            blocker.release();
        }
        await eventually("the job to be done", async () => ((await job(id)).status === "done" ? true : undefined));
        const { rows } = await db.query<{ ms: number }>(
            "SELECT extract(epoch FROM finished_at - started_at) * 1000 AS ms FROM jobs WHERE id = $1",
            [id],
        );
        expect(Number(rows[0].ms)).toBeGreaterThanOrEqual(HOLD_MS);
        const finished = await w.waitForLog((l) => l.msg === "job finished" && l.job_id === id);
        expect(finished.duration_ms).toBeGreaterThanOrEqual(HOLD_MS);
    });

    it("leaves no half-done job when killed outright: the job is queued again and another worker does it", async () => {
        const id = await enqueue("pbkdf2", SLOW);
        const doomed = worker();
        await doomed.waitForLog((l) => l.msg === "job started" && l.job_id === id);
        doomed.child.kill("SIGKILL");
        await doomed.exited;

        await eventually("the job to be queued again", async () => ((await job(id)).status === "queued" ? true : undefined));
        const next = worker();
        await eventually("the job to be done", async () => ((await job(id)).status === "done" ? true : undefined), 20_000);
        expect((await job(id)).processed_by).toBe(`${(await next.waitForLog((l) => l.msg === "started")).worker_id as string}`);
    });

    it("backs off while the database is down, with one line when it goes and one when it is back", async () => {
        // Polling every 50 ms, a worker that retried at its poll interval would try about 60
        // times in OUTAGE_MS; backing off from 50 ms, capped at 800 ms, it tries about 8 times
        // (at most about 14 if every random wait came out at its shortest, half the backoff).
        const OUTAGE_MS = 3000;
        const w = worker({ LOG_LEVEL: "debug", WORKER_BACKOFF_MAX_MS: "800" });
        await w.waitForLog((l) => l.msg === "started");
        await new Promise((r) => setTimeout(r, 200));
        const before = w.logs.length;
        pg.stop();
        try {
            await new Promise((r) => setTimeout(r, OUTAGE_MS));
        } finally {
            pg.start();
        }
        const during = w.logs.slice(before);
        const loud = during.filter((l) => l.level === "warn" || l.level === "error");
        expect(loud.map((l) => l.msg)).toEqual(["database unavailable, backing off"]);
        expect(loud[0]).toMatchObject({ level: "error", attempt: 1 });

        const retries = during.filter((l) => l.msg === "database still unavailable");
        expect(retries.length).toBeGreaterThanOrEqual(3);
        expect(retries.length).toBeLessThanOrEqual(20);
        const delays = [loud[0], ...retries].map((l) => l.retry_in_ms as number);
        for (const d of delays) expect(d).toBeLessThanOrEqual(800);
        // Doubling: the later waits are longer than the first ones (jitter takes off at most half).
        expect(Math.max(...delays.slice(-2))).toBeGreaterThan(2 * Math.max(...delays.slice(0, 2)));

        const back = await w.waitForLog((l) => l.msg === "database available again", 5000);
        expect(back).toMatchObject({ level: "info" });
        expect(back.down_ms as number).toBeGreaterThanOrEqual(OUTAGE_MS - 500);

        await db.end();
        db = testPool();
        const id = await enqueue("wordcount", { text: "back again" });
        await eventually("the job to be done", async () => ((await job(id)).status === "done" ? true : undefined), 20_000);
        expect(w.logs.filter((l) => l.msg === "database available again")).toHaveLength(1);

        // The success reset the backoff: the next outage starts again from the poll interval.
        pg.stop();
        try {
            const again = await w.waitForLog((l) => l.msg === "database unavailable, backing off" && w.logs.indexOf(l) > w.logs.indexOf(back), 5000);
            expect(again).toMatchObject({ attempt: 1 });
            expect(again.retry_in_ms as number).toBeLessThanOrEqual(50);
        } finally {
            pg.start();
        }
        await w.waitForLog((l) => l.msg === "database available again" && w.logs.indexOf(l) > w.logs.indexOf(back), 5000);
        expect(w.child.exitCode).toBeNull();
        expect(w.output()).not.toContain(pg.password);
    });
});
