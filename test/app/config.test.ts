import { describe, expect, it } from "vitest";
import { runApp, type ProcessType } from "./harness";

// Nothing listens on this port: configuration must be rejected before any connection attempt.
const SOME_URL = "postgres://app:s3cret-value@127.0.0.1:9/app";

describe("configuration from the environment", () => {
    it.each<[ProcessType]>([["web"], ["worker"], ["migrate"]])("%s without DATABASE_URL exits 1 with one JSON line naming it", async (type) => {
        const r = await runApp(type, type === "web" ? { PORT: "8080" } : {});
        expect(r.code).toBe(1);
        expect(r.logs).toHaveLength(1);
        expect(r.output.trim().split("\n")).toHaveLength(1);
        expect(r.logs[0]).toMatchObject({ level: "error", process: type, variable: "DATABASE_URL" });
        expect(r.logs[0].msg).toContain("DATABASE_URL is required");
    });

    it.each<[string, Record<string, string>, string, RegExp]>([
        ["PORT missing", { DATABASE_URL: SOME_URL }, "PORT", /PORT is required/],
        ["PORT not a number", { DATABASE_URL: SOME_URL, PORT: "http" }, "PORT", /PORT must be an integer from 1 to 65535, got "http"/],
        ["PORT out of range", { DATABASE_URL: SOME_URL, PORT: "70000" }, "PORT", /got "70000"/],
        ["LOG_LEVEL unknown", { DATABASE_URL: SOME_URL, PORT: "8080", LOG_LEVEL: "verbose" }, "LOG_LEVEL", /one of debug\|info\|warn\|error, got "verbose"/],
        ["SHUTDOWN_TIMEOUT_MS negative", { DATABASE_URL: SOME_URL, PORT: "8080", SHUTDOWN_TIMEOUT_MS: "-1" }, "SHUTDOWN_TIMEOUT_MS", /SHUTDOWN_TIMEOUT_MS must be an integer/],
        ["DATABASE_URL of another scheme", { DATABASE_URL: "mysql://app:s3cret-value@db/app", PORT: "8080" }, "DATABASE_URL", /postgres:\/\/ or postgresql:\/\/ scheme/],
        ["DATABASE_URL not a URL", { DATABASE_URL: "s3cret-value", PORT: "8080" }, "DATABASE_URL", /not a valid URL/],
    ])("web with %s exits 1 naming the variable", async (_case, env, variable, message) => {
        const r = await runApp("web", env);
        expect(r.code).toBe(1);
        expect(r.logs).toHaveLength(1);
        expect(r.logs[0]).toMatchObject({ level: "error", variable });
        expect(r.logs[0].msg).toMatch(message);
        // The variable holds a password: an error about it must not repeat its value.
        expect(r.output).not.toContain("s3cret-value");
    });

    it("web without SESSION_SECRET refuses to start, naming it", async () => {
        const r = await runApp("web", { DATABASE_URL: SOME_URL, PORT: "8080" });
        expect(r.code).toBe(1);
        expect(r.logs).toHaveLength(1);
        expect(r.logs[0]).toMatchObject({ level: "error", process: "web", variable: "SESSION_SECRET" });
        expect(r.logs[0].msg).toContain("SESSION_SECRET is required");
    });

    it("web with a SESSION_SECRET too short to be a key refuses to start without repeating it", async () => {
        const r = await runApp("web", { DATABASE_URL: SOME_URL, PORT: "8080", SESSION_SECRET: "hunter2-hunter2" });
        expect(r.code).toBe(1);
        expect(r.logs[0]).toMatchObject({ variable: "SESSION_SECRET" });
        expect(r.logs[0].msg).toMatch(/at least 32 characters/);
        expect(r.output).not.toContain("hunter2");
    });

    it("worker rejects an invalid WORKER_POLL_MS", async () => {
        const r = await runApp("worker", { DATABASE_URL: SOME_URL, WORKER_POLL_MS: "soon" });
        expect(r.code).toBe(1);
        expect(r.logs[0]).toMatchObject({ variable: "WORKER_POLL_MS" });
    });

    it("worker rejects a WORKER_BACKOFF_MAX_MS out of range", async () => {
        const r = await runApp("worker", { DATABASE_URL: SOME_URL, WORKER_BACKOFF_MAX_MS: "0" });
        expect(r.code).toBe(1);
        expect(r.logs[0]).toMatchObject({ variable: "WORKER_BACKOFF_MAX_MS" });
    });

    it("healthcheck without PORT exits 1", async () => {
        const r = await runApp("healthcheck", {});
        expect(r.code).toBe(1);
        expect(r.logs[0]).toMatchObject({ variable: "PORT" });
    });

    it("healthcheck exits 1 when nothing listens", async () => {
        const r = await runApp("healthcheck", { PORT: "9" });
        expect(r.code).toBe(1);
        expect(r.logs[0].msg).toBe("health check failed");
    });
});
