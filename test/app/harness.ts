// Drives the sample app as a black box: real processes started the way the container starts
// them (cwd app/, `node src/<type>.js`), configured by environment variables only, on the
// image's Node.js (the pinned NODE_VERSION), not on whichever Node.js runs the tests.

import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as http from "node:http";
import * as path from "node:path";
import { pinnedNode } from "../support/executables";

export const APP_DIR = path.resolve(__dirname, "../../app");

/** A SESSION_SECRET as the stacks deliver it (openssl rand -hex 32), new for each test file. */
export const SESSION_SECRET = randomBytes(32).toString("hex");

export type ProcessType = "web" | "worker" | "migrate" | "healthcheck";

export interface LogLine {
    time: string;
    level: string;
    process: string;
    msg: string;
    [field: string]: unknown;
}

export interface Exit {
    code: number | null;
    signal: NodeJS.Signals | null;
}

export interface AppProcess {
    readonly child: ChildProcess;
    /** Every stdout line that parsed as a JSON object, in order. */
    readonly logs: LogLine[];
    /** Raw stdout and stderr, for assertions about what must never be printed. */
    output(): string;
    /** Resolves with the first log line (past or future) that matches. */
    waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
    readonly exited: Promise<Exit>;
}

function isLogLine(v: unknown): v is LogLine {
    return typeof v === "object" && v !== null && typeof (v as { msg?: unknown }).msg === "string" && typeof (v as { level?: unknown }).level === "string";
}

let appNode: string | undefined;

export function startApp(type: ProcessType, env: Record<string, string>): AppProcess {
    appNode ??= pinnedNode();
    // Only PATH is inherited, so that nothing from the test runner's environment leaks in.
    const child = spawn(appNode, [`src/${type}.js`], {
        cwd: APP_DIR,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
        stdio: ["ignore", "pipe", "pipe"],
    });
    const logs: LogLine[] = [];
    let raw = "";
    let pending = "";
    const waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];

    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
        raw += chunk;
        pending += chunk;
        let nl: number;
        while ((nl = pending.indexOf("\n")) >= 0) {
            const text = pending.slice(0, nl);
            pending = pending.slice(nl + 1);
            let parsed: unknown;
            try {
                parsed = JSON.parse(text);
            } catch {
                continue;
            }
            if (!isLogLine(parsed)) continue;
            logs.push(parsed);
            for (let i = waiters.length - 1; i >= 0; i -= 1) {
                if (waiters[i].match(parsed)) {
                    waiters[i].resolve(parsed);
                    waiters.splice(i, 1);
                }
            }
        }
    });
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
        raw += chunk;
    });

    const exited = new Promise<Exit>((resolve) => {
        child.on("exit", (code, signal) => resolve({ code, signal }));
    });

    return {
        child,
        logs,
        output: () => raw,
        exited,
        waitForLog(match, timeoutMs = 15_000) {
            const found = logs.find(match);
            if (found) return Promise.resolve(found);
            return new Promise<LogLine>((resolve, reject) => {
                const timer = setTimeout(() => reject(new Error(`no matching log line from ${type} within ${timeoutMs} ms; output:\n${raw}`)), timeoutMs);
                const waiter = {
                    match,
                    resolve: (l: LogLine) => {
                        clearTimeout(timer);
                        resolve(l);
                    },
                };
                waiters.push(waiter);
                void exited.then(() => {
                    if (waiters.includes(waiter)) {
                        clearTimeout(timer);
                        reject(new Error(`${type} exited before logging the expected line; output:\n${raw}`));
                    }
                });
            });
        },
    };
}

/** Runs a process to completion; fails the test if it takes longer than timeoutMs. */
export async function runApp(type: ProcessType, env: Record<string, string>, timeoutMs = 30_000): Promise<Exit & { logs: LogLine[]; output: string }> {
    const p = startApp(type, env);
    const timer = setTimeout(() => p.child.kill("SIGKILL"), timeoutMs);
    const exit = await p.exited;
    clearTimeout(timer);
    return { ...exit, logs: p.logs, output: p.output() };
}

/** Stops a process if it is still running; for afterEach/afterAll. */
export async function killApp(p: AppProcess | undefined): Promise<void> {
    if (p === undefined || p.child.exitCode !== null || p.child.signalCode !== null) return;
    p.child.kill("SIGKILL");
    await p.exited;
}

export interface HttpResult {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: string;
    json<T>(): T;
}

export function request(
    port: number,
    method: string,
    urlPath: string,
    options: { body?: unknown; headers?: Record<string, string>; agent?: http.Agent | false; timeoutMs?: number } = {},
): Promise<HttpResult> {
    return new Promise((resolve, reject) => {
        const payload = options.body === undefined ? undefined : typeof options.body === "string" ? options.body : JSON.stringify(options.body);
        const req = http.request(
            {
                host: "127.0.0.1",
                port,
                method,
                path: urlPath,
                agent: options.agent ?? false,
                headers: {
                    ...(payload === undefined ? {} : { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) }),
                    ...options.headers,
                },
                timeout: options.timeoutMs ?? 10_000,
            },
            (res) => {
                let body = "";
                res.setEncoding("utf8");
                res.on("data", (c: string) => {
                    body += c;
                });
                res.on("end", () =>
                    resolve({
                        status: res.statusCode ?? 0,
                        headers: res.headers,
                        body,
                        json<T>(): T {
                            return JSON.parse(body) as T;
                        },
                    }),
                );
                res.on("error", reject);
            },
        );
        req.on("timeout", () => req.destroy(new Error(`request ${method} ${urlPath} timed out`)));
        req.on("error", reject);
        req.end(payload);
    });
}

/** Polls until check() returns a value other than undefined. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000, everyMs = 100): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
        try {
            const v = await check();
            if (v !== undefined) return v;
        } catch (err) {
            last = err;
        }
        if (Date.now() > deadline) {
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `; last error: ${last.message}` : ""}`);
        }
        await new Promise((r) => setTimeout(r, everyMs));
    }
}

export interface Job {
    id: string;
    kind: string;
    status: "queued" | "done" | "failed";
    input: Record<string, unknown>;
    result: Record<string, unknown> | null;
    error: string | null;
    created_at: string;
    started_at: string | null;
    finished_at: string | null;
}
