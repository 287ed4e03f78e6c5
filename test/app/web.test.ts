import { createHash, createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NODE_VERSION } from "../support/executables";
import { freePort, startPostgres, type PostgresServer } from "../support/postgres";
import { eventually, killApp, request, runApp, SESSION_SECRET, startApp, type AppProcess, type Job } from "./harness";

let pg: PostgresServer;
let web: AppProcess | undefined;
let worker: AppProcess | undefined;
let port: number;
let url: string;

beforeAll(async () => {
    pg = await startPostgres();
    url = await pg.createDatabase("web_test");
    const migrated = await runApp("migrate", { DATABASE_URL: url });
    expect(migrated.code, migrated.output).toBe(0);
    port = await freePort();
    web = startApp("web", { DATABASE_URL: url, PORT: String(port), LOG_LEVEL: "debug", SESSION_SECRET });
    await web.waitForLog((l) => l.msg === "listening");
});

afterAll(async () => {
    await killApp(web);
    await killApp(worker);
    pg?.destroy();
});

describe("web (node src/web.js)", () => {
    it("runs on the image's Node.js", async () => {
        expect(await web?.waitForLog((l) => l.msg === "listening")).toMatchObject({ node: `v${NODE_VERSION}` });
    });

    it("answers /healthz with 200 while the database is up", async () => {
        const r = await request(port, "GET", "/healthz");
        expect(r.status).toBe(200);
        expect(r.json()).toEqual({ status: "ok" });
    });

    it("writes a job and reads it back", async () => {
        const created = await request(port, "POST", "/jobs", { body: { kind: "sha256", input: { text: "twelve factors" } } });
        expect(created.status).toBe(201);
        const job = created.json<Job>();
        expect(job).toMatchObject({ kind: "sha256", status: "queued", input: { text: "twelve factors" }, result: null });
        expect(created.headers.location).toBe(`/jobs/${job.id}`);

        const read = await request(port, "GET", `/jobs/${job.id}`);
        expect(read.status).toBe(200);
        expect(read.json<Job>()).toEqual(job);
    });

    it("holds a long poll until the worker has finished the job", async () => {
        const created = (await request(port, "POST", "/jobs", { body: { kind: "sha256", input: { text: "long poll" } } })).json<Job>();
        const poll = request(port, "GET", `/jobs/${created.id}?wait=10000`, { timeoutMs: 15_000 });
        worker = startApp("worker", { DATABASE_URL: url, WORKER_POLL_MS: "50" });
        const done = await poll;
        expect(done.status).toBe(200);
        expect(done.json<Job>()).toMatchObject({
            status: "done",
            result: { sha256: createHash("sha256").update("long poll").digest("hex") },
        });
        worker.child.kill("SIGTERM");
        expect(await worker.exited).toEqual({ code: 0, signal: null });
    });

    it.each<[string, string, string, unknown, number, RegExp]>([
        ["unknown kind", "POST", "/jobs", { kind: "mine-bitcoin", input: {} }, 400, /kind must be one of sha256, wordcount, pbkdf2/],
        ["input not an object", "POST", "/jobs", { kind: "sha256", input: "text" }, 400, /input must be a JSON object/],
        ["invalid iterations", "POST", "/jobs", { kind: "pbkdf2", input: { text: "a", salt: "b", iterations: 0 } }, 400, /iterations must be an integer/],
        ["body not JSON", "POST", "/jobs", "{not json", 400, /must be JSON/],
        ["unknown job", "GET", "/jobs/987654321", undefined, 404, /job 987654321 not found/],
        ["bad wait", "GET", "/jobs/1?wait=forever", undefined, 400, /wait must be an integer/],
        ["unknown path", "GET", "/admin", undefined, 404, /not found/],
        ["wrong method", "DELETE", "/jobs/1", undefined, 405, /use GET/],
    ])("rejects %s", async (_case, method, path, body, status, message) => {
        const r = await request(port, method, path, { body });
        expect(r.status).toBe(status);
        expect(r.json<{ error: string }>().error).toMatch(message);
    });

    it("answers /healthz with 503 while the database is down and 200 once it is back", async () => {
        pg.stop();
        try {
            const down = await request(port, "GET", "/healthz");
            expect(down.status).toBe(503);
            expect(down.json()).toEqual({ status: "unavailable", reason: "database" });
            // The API reports the outage as 503 too, rather than failing as an internal error.
            const api = await request(port, "GET", "/jobs/1");
            expect(api.status).toBe(503);
        } finally {
            pg.start();
        }
        await eventually("healthz to recover", async () => ((await request(port, "GET", "/healthz")).status === 200 ? true : undefined));
        expect(web?.child.exitCode).toBeNull();
    });

    it("logs JSON lines only, with a request line per request and no password or session secret", async () => {
        // A request id is logged as given when it looks like a token, as a 64-hex secret does.
        expect((await request(port, "GET", "/healthz", { headers: { "x-request-id": SESSION_SECRET } })).status).toBe(200);
        await web?.waitForLog((l) => l.msg === "request" && l.path === "/healthz" && l.request_id === "***", 5000);
        const out = web?.output() ?? "";
        expect(out).not.toContain(SESSION_SECRET);
        for (const line of out.trim().split("\n")) expect(() => JSON.parse(line) as unknown, line).not.toThrow();
        expect(out).not.toContain(pg.password);
        expect(out).not.toContain(encodeURIComponent(pg.password));
        expect(web?.logs.some((l) => l.msg === "request" && l.path === "/jobs" && l.status === 201)).toBe(true);
    });
});

/** The tf_visitor cookie's value from a Set-Cookie header, and the header itself. */
function visitorCookie(headers: Record<string, string | string[] | undefined>): { value: string; header: string } | undefined {
    const header = ([] as string[]).concat(headers["set-cookie"] ?? []).find((h) => h.startsWith("tf_visitor="));
    return header === undefined ? undefined : { value: header.slice("tf_visitor=".length).split(";")[0], header };
}

describe("visitor cookie, signed with SESSION_SECRET", () => {
    it("is issued signed with HMAC-SHA256, round-trips, and keys the visitor's own job list", async () => {
        const first = await request(port, "GET", "/jobs");
        expect(first.status).toBe(200);
        expect(first.json()).toEqual({ jobs: [] });
        const issued = visitorCookie(first.headers);
        expect(issued?.header).toMatch(/; HttpOnly/);
        expect(issued?.header).toMatch(/; SameSite=Lax/);
        const [version, id, signature] = issued!.value.split(".");
        expect(version).toBe("v1");
        expect(id).toMatch(/^[0-9a-f-]{36}$/);
        expect(signature).toBe(createHmac("sha256", SESSION_SECRET).update(`tf_visitor.v1.${id}`).digest("base64url"));

        const cookie = { cookie: `other=1; tf_visitor=${issued!.value}` };
        const created = await request(port, "POST", "/jobs", { headers: cookie, body: { kind: "sha256", input: { text: "mine" } } });
        expect(created.status).toBe(201);
        expect(visitorCookie(created.headers)).toBeUndefined();
        const mine = await request(port, "GET", "/jobs", { headers: cookie });
        expect(mine.json<{ jobs: Job[] }>().jobs.map((j) => j.id)).toEqual([created.json<Job>().id]);

        // Another visitor sees none of them; a request without a cookie gets a new visitor.
        const other = await request(port, "GET", "/jobs");
        expect(visitorCookie(other.headers)?.value).not.toBe(issued!.value);
        expect(other.json()).toEqual({ jobs: [] });
        expect((await request(port, "GET", "/jobs", { headers: { "x-forwarded-proto": "https" } })).headers["set-cookie"]?.[0]).toMatch(/; Secure/);
    });

    it("rejects a tampered or foreign cookie with 401, clears it, and records nothing", async () => {
        const issued = visitorCookie((await request(port, "GET", "/jobs")).headers)!.value;
        const [version, id, signature] = issued.split(".");
        const otherId = id.replace(/^./, (c) => (c === "0" ? "1" : "0"));
        const forged = createHmac("sha256", "some-other-secret-of-the-same-length-0123456789abcdef").update(`tf_visitor.v1.${id}`).digest("base64url");
        for (const bad of [
            `${version}.${otherId}.${signature}`,
            `${version}.${id}.${signature.slice(0, -2)}${signature.endsWith("AA") ? "BB" : "AA"}`,
            `${version}.${id}.${forged}`,
            `v2.${id}.${signature}`,
            "garbage",
        ]) {
            const r = await request(port, "POST", "/jobs", { headers: { cookie: `tf_visitor=${bad}` }, body: { kind: "sha256", input: { text: `tampered ${bad}` } } });
            expect(r.status, bad).toBe(401);
            expect(r.json()).toEqual({ error: "invalid visitor cookie" });
            expect(visitorCookie(r.headers)?.header).toMatch(/^tf_visitor=; .*Max-Age=0/);
            expect((await request(port, "GET", "/jobs", { headers: { cookie: `tf_visitor=${bad}` } })).status).toBe(401);
        }
        const { Client } = await import("pg");
        const client = new Client({ connectionString: url });
        await client.connect();
        const { rows } = await client.query("SELECT count(*) AS n FROM jobs WHERE input->>'text' LIKE 'tampered%'");
        await client.end();
        expect(rows[0].n).toBe("0");
        // /healthz never looks at cookies: the load balancer's checks carry none.
        expect((await request(port, "GET", "/healthz", { headers: { cookie: "tf_visitor=garbage" } })).status).toBe(200);
    });
});
