import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type PostgresServer } from "../support/postgres";
import { runApp, startApp } from "./harness";

let pg: PostgresServer;
const MIGRATIONS = 4;

beforeAll(async () => {
    pg = await startPostgres();
});

afterAll(() => {
    pg?.destroy();
});

async function query<T>(url: string, sql: string): Promise<T[]> {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
        return (await client.query(sql)).rows as T[];
    } finally {
        await client.end();
    }
}

describe("migrate (node src/migrate.js)", () => {
    it("applies every migration once and is a no-op the second time", async () => {
        const url = await pg.createDatabase("migrate_twice");

        const first = await runApp("migrate", { DATABASE_URL: url });
        expect(first.output).toBe(first.logs.map((l) => JSON.stringify(l)).join("\n") + "\n");
        expect(first.code).toBe(0);
        const applied = first.logs.filter((l) => l.msg === "migration applied").map((l) => l.migration);
        expect(applied).toEqual(["1_create_jobs", "2_jobs_processed_by", "3_jobs_started_at", "4_jobs_visitor_id"]);

        const second = await runApp("migrate", { DATABASE_URL: url });
        expect(second.code).toBe(0);
        expect(second.logs.filter((l) => l.msg === "migration applied")).toEqual([]);
        expect(second.logs.at(-1)).toMatchObject({ msg: "migrations complete", applied: 0, total: MIGRATIONS });

        const rows = await query<{ id: number }>(url, "SELECT id FROM schema_migrations ORDER BY id");
        expect(rows.map((r) => r.id)).toEqual([1, 2, 3, 4]);
        const columns = await query<{ column_name: string }>(url, "SELECT column_name FROM information_schema.columns WHERE table_name = 'jobs' ORDER BY column_name");
        expect(columns.map((c) => c.column_name)).toContain("processed_by");
        for (const r of [first, second]) expect(r.output).not.toContain(pg.password);
    });

    it("is safe to run from several tasks at once", async () => {
        const url = await pg.createDatabase("migrate_concurrently");
        const runs = await Promise.all(Array.from({ length: 5 }, () => runApp("migrate", { DATABASE_URL: url, LOG_LEVEL: "debug" })));

        for (const r of runs) expect(r.code, r.output).toBe(0);
        // Exactly one run did the work; the others waited for the lock and found nothing to do.
        const appliedCounts = runs.map((r) => r.logs.find((l) => l.msg === "migrations complete")?.applied);
        expect(appliedCounts.sort()).toEqual([0, 0, 0, 0, MIGRATIONS]);
        const rows = await query<{ n: string }>(url, "SELECT count(*) AS n FROM schema_migrations");
        expect(rows[0].n).toBe(String(MIGRATIONS));
    });

    it("waits for a migration holding the lock, and stops at once on SIGTERM", async () => {
        const url = await pg.createDatabase("migrate_sigterm");
        const holder = new Client({ connectionString: url });
        await holder.connect();
        try {
            await holder.query("SELECT pg_advisory_lock(7266937355)");
            const p = startApp("migrate", { DATABASE_URL: url, LOG_LEVEL: "debug" });
            await p.waitForLog((l) => l.msg === "waiting for migration lock");
            await new Promise((r) => setTimeout(r, 300));
            expect(p.logs.some((l) => l.msg === "migration lock taken")).toBe(false);
            p.child.kill("SIGTERM");
            expect(await p.exited).toEqual({ code: 1, signal: null });
            expect(p.logs.at(-1)).toMatchObject({ level: "warn", signal: "SIGTERM" });
        } finally {
            await holder.end();
        }
        // Nothing was applied, and the next run completes.
        const next = await runApp("migrate", { DATABASE_URL: url });
        expect(next.logs.at(-1)).toMatchObject({ msg: "migrations complete", applied: MIGRATIONS });
    });

    it("fails with exit 1 and a logged reason when the database is unreachable", async () => {
        const r = await runApp("migrate", { DATABASE_URL: `postgres://postgres:${encodeURIComponent(pg.password)}@127.0.0.1:9/postgres` });
        expect(r.code).toBe(1);
        expect(r.logs.at(-1)).toMatchObject({ level: "error", msg: "migration failed", code: "ECONNREFUSED" });
        expect(r.output).not.toContain(pg.password);
    });
});
