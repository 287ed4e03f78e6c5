// Load while stopping: the web process gets SIGTERM in the middle of a stream of requests
// (loopback only, bounded in count and time).
//
// "Accepted" means the server has read the request: it logs one `request` line per request
// it answers, carrying the client's x-request-id. Every such request must reach the client
// with the same status, and nothing else may go wrong. A client may still see its connection
// refused or reset before the server read anything (the listening socket is closed, or an idle
// keep-alive connection is closed as the client reuses it): those requests were never accepted,
// wrote nothing, and a load balancer retries them.

import * as http from "node:http";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startPostgres, type PostgresServer } from "../support/postgres";
import { killApp, request, runApp, SESSION_SECRET, startApp, type AppProcess, type Job } from "./harness";

const CLIENTS = 12;
// High enough that the clients are still sending when the signal arrives, on any machine.
const MAX_REQUESTS = 20_000;
const MAX_LOAD_MS = 15_000;
const SIGTERM_AFTER_MS = 1500;
const SHUTDOWN_TIMEOUT_MS = 10_000;

let pg: PostgresServer;
let web: AppProcess | undefined;

beforeAll(async () => {
    pg = await startPostgres();
});

afterAll(async () => {
    await killApp(web);
    pg?.destroy();
});

interface Outcome {
    id: string;
    kind: "post" | "poll";
    startedAt: number;
    endedAt: number;
    status?: number;
    job?: Job;
    error?: string;
}

function errorCode(err: unknown): string {
    if (err instanceof Error) return (err as NodeJS.ErrnoException).code ?? err.message;
    return String(err);
}

describe("web under load receives SIGTERM", () => {
    it("answers every accepted request, then exits 0 within the shutdown timeout", async () => {
        const url = await pg.createDatabase("shutdown_test");
        expect((await runApp("migrate", { DATABASE_URL: url })).code).toBe(0);
        const port = await freePort();
        web = startApp("web", { DATABASE_URL: url, PORT: String(port), SESSION_SECRET, SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) });
        await web.waitForLog((l) => l.msg === "listening");

        // No worker runs, so these long polls are still waiting when the signal arrives.
        const pollTargets: string[] = [];
        for (let i = 0; i < 4; i += 1) {
            pollTargets.push((await request(port, "POST", "/jobs", { body: { kind: "sha256", input: { text: `poll ${i}` } } })).json<Job>().id);
        }

        const outcomes: Outcome[] = [];
        const keepAlive = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
        const loadStarted = Date.now();
        let sent = 0;
        let sigtermAt = 0;

        async function one(id: string, kind: Outcome["kind"], run: () => Promise<{ status: number; body: string }>): Promise<Outcome> {
            const o: Outcome = { id, kind, startedAt: Date.now(), endedAt: 0 };
            try {
                const r = await run();
                o.status = r.status;
                o.job = JSON.parse(r.body) as Job;
            } catch (err) {
                o.error = errorCode(err);
            }
            o.endedAt = Date.now();
            outcomes.push(o);
            return o;
        }

        async function client(n: number): Promise<void> {
            // Half the clients open a connection per request, half reuse keep-alive connections.
            const agent = n % 2 === 0 ? false : keepAlive;
            for (let i = 0; sent < MAX_REQUESTS && Date.now() - loadStarted < MAX_LOAD_MS; i += 1) {
                sent += 1;
                const id = `c${n}-${i}`;
                const o = await one(id, "post", () =>
                    request(port, "POST", "/jobs", { agent, headers: { "x-request-id": id }, body: { kind: "wordcount", input: { text: `request ${id}` } } }),
                );
                if (o.error === "ECONNREFUSED") return;
            }
        }

        const polls = pollTargets.map((jobId, i) =>
            one(`poll-${i}`, "poll", () => request(port, "GET", `/jobs/${jobId}?wait=8000`, { headers: { "x-request-id": `poll-${i}` }, timeoutMs: 20_000 })),
        );
        const clients = Array.from({ length: CLIENTS }, (_, n) => client(n));

        await new Promise((r) => setTimeout(r, SIGTERM_AFTER_MS));
        sigtermAt = Date.now();
        web.child.kill("SIGTERM");
        const exit = await web.exited;
        const exitedAfterMs = Date.now() - sigtermAt;
        await Promise.all([...clients, ...polls]);
        keepAlive.destroy();

        expect(exit).toEqual({ code: 0, signal: null });
        expect(exitedAfterMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);

        const errors = new Map<string, number>();
        for (const o of outcomes) if (o.error !== undefined) errors.set(o.error, (errors.get(o.error) ?? 0) + 1);
        console.log(
            `load: ${outcomes.length} requests, ${outcomes.filter((o) => o.status !== undefined).length} answered, ` +
                `not accepted: ${JSON.stringify(Object.fromEntries(errors))}, exit ${exitedAfterMs} ms after SIGTERM`,
        );

        const byId = new Map(outcomes.map((o) => [o.id, o]));
        const accepted = web.logs.filter((l) => l.msg === "request" && typeof l.request_id === "string");
        expect(accepted.length).toBeGreaterThan(100);
        for (const line of accepted) {
            const o = byId.get(line.request_id as string);
            if (o === undefined) continue; // the setup requests above
            expect(o.error, `request ${o.id} was accepted (status ${String(line.status)}) but failed at the client`).toBeUndefined();
            expect(o.status).toBe(line.status);
        }
        const acceptedIds = new Set(accepted.map((l) => l.request_id));
        for (const o of outcomes) {
            if (o.error !== undefined) {
                expect(["ECONNREFUSED", "ECONNRESET"], `${o.id}: ${o.error}`).toContain(o.error);
                expect(acceptedIds.has(o.id), `${o.id} failed at the client although the server answered it`).toBe(false);
            } else {
                expect(o.status, o.id).toBe(o.kind === "post" ? 201 : 200);
            }
        }

        // The long polls were in flight at SIGTERM and were answered with the current state.
        for (const p of await Promise.all(polls)) {
            expect(p.startedAt).toBeLessThan(sigtermAt);
            expect(p.status, p.error).toBe(200);
            expect(p.job?.status).toBe("queued");
        }
        const inFlightAtSigterm = outcomes.filter((o) => o.startedAt < sigtermAt && o.endedAt >= sigtermAt && o.status !== undefined);
        expect(inFlightAtSigterm.length).toBeGreaterThanOrEqual(pollTargets.length);
        expect(outcomes.some((o) => o.error === "ECONNREFUSED")).toBe(true);
        expect(web.logs.at(-1)?.msg).toBe("stopped");

        // Every 201 is a row, and no failed request left one behind.
        const db = new Client({ connectionString: url });
        await db.connect();
        const { rows } = await db.query<{ n: string }>("SELECT count(*) AS n FROM jobs WHERE kind = 'wordcount'");
        await db.end();
        expect(Number(rows[0].n)).toBe(outcomes.filter((o) => o.kind === "post" && o.status === 201).length);
    });
});
