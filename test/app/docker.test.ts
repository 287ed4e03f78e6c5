// The real app/Dockerfile, built unchanged and run the way ECS runs it: configuration from the
// environment only, read-only root filesystem with a tmpfs on /tmp, host networking to reach
// this test's PostgreSQL on 127.0.0.1. Nothing here is skipped: without Docker it fails and
// says what to install.

import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BASE_IMAGE, buildImage, docker, dockerOk, ensureBaseImage, ensureDocker, imageSize } from "../support/docker";
import { freePort, startPostgres, type PostgresServer } from "../support/postgres";
import { eventually, request, type Job } from "./harness";

const APP_DIR = path.resolve(__dirname, "../../app");
const suffix = randomBytes(4).toString("hex");
const IMAGE = `twelve-factor-app:test-${suffix}`;

let pg: PostgresServer;
let databaseUrl: string;
const containers: string[] = [];

interface RunOptions {
    env: Record<string, string>;
    command?: string[];
    detach?: boolean;
    name?: string;
}

// Values travel as `-e NAME` with the value in the docker client's own environment, so the
// database password never appears on a command line.
function runArgs({ env, command = [], detach = false, name }: RunOptions): string[] {
    const args = ["run", "--network", "host", "--read-only", "--tmpfs", "/tmp"];
    if (detach) args.push("-d");
    else args.push("--rm");
    if (name) args.push("--name", name);
    for (const key of Object.keys(env).sort()) args.push("-e", key);
    return [...args, IMAGE, ...command];
}

async function startContainer(role: string, env: Record<string, string>, command: string[] = []): Promise<string> {
    const name = `tfa-${role}-${suffix}`;
    containers.push(name);
    await dockerOk(runArgs({ env, command, detach: true, name }), { env });
    return name;
}

async function inspect<T>(container: string, format: string): Promise<T> {
    return JSON.parse((await dockerOk(["inspect", "--format", `{{json ${format}}}`, container])).stdout) as T;
}

beforeAll(async () => {
    await ensureDocker();
    await ensureBaseImage();
    await buildImage(APP_DIR, IMAGE);
    pg = await startPostgres();
    databaseUrl = await pg.createDatabase("docker_test");
});

afterAll(async () => {
    if (containers.length > 0) await docker(["rm", "-f", ...containers]);
    await docker(["image", "rm", "-f", IMAGE]);
    pg?.destroy();
});

describe("the app image (app/Dockerfile)", () => {
    it("is configured as the platform expects: non-root, port 8080, health check, web by default", async () => {
        const config = JSON.parse((await dockerOk(["image", "inspect", "--format", "{{json .Config}}", IMAGE])).stdout) as {
            User: string;
            ExposedPorts: Record<string, unknown>;
            Healthcheck: { Test: string[] };
            Cmd: string[];
            WorkingDir: string;
        };
        expect(config.User).toBe("1000:1000");
        expect(Object.keys(config.ExposedPorts)).toEqual(["8080/tcp"]);
        expect(config.Healthcheck.Test).toEqual(["CMD", "node", "src/healthcheck.js"]);
        expect(config.Cmd).toEqual(["node", "src/web.js"]);
        expect(config.WorkingDir).toBe("/app");
        // The app adds only its code and production dependencies to the base image.
        const added = (await imageSize(IMAGE)) - (await imageSize(BASE_IMAGE));
        expect(added).toBeLessThan(10 * 1024 * 1024);
    });

    it("runs migrate, then web and worker, against the real database on a read-only filesystem", async () => {
        const env = { DATABASE_URL: databaseUrl };
        const migrate = await dockerOk(runArgs({ env, command: ["node", "src/migrate.js"] }), { env, timeoutMs: 60_000 });
        expect(migrate.stdout).toContain('"msg":"migrations complete"');
        const again = await dockerOk(runArgs({ env, command: ["node", "src/migrate.js"] }), { env, timeoutMs: 60_000 });
        expect(again.stdout).toContain('"applied":0');

        const port = await freePort();
        const web = await startContainer("web", { DATABASE_URL: databaseUrl, PORT: String(port) });
        const worker = await startContainer("worker", { DATABASE_URL: databaseUrl, WORKER_POLL_MS: "100" }, ["node", "src/worker.js"]);

        // The image's own HEALTHCHECK (node src/healthcheck.js), as Docker runs it.
        const health = await eventually(
            "the web container's health check to pass",
            async () => {
                const h = await inspect<{ Status: string; Log: { ExitCode: number; Output: string }[] } | null>(web, ".State.Health");
                if (h?.Status === "unhealthy") throw new Error(`unhealthy: ${JSON.stringify(h.Log)}`);
                return h?.Status === "healthy" ? h : undefined;
            },
            60_000,
            500,
        );
        expect(health.Log.at(-1)?.ExitCode).toBe(0);
        // ECS's container health check runs the same command.
        expect((await docker(["exec", web, "node", "src/healthcheck.js"])).code).toBe(0);

        const created = await request(port, "POST", "/jobs", { body: { kind: "sha256", input: { text: "in a container" } } });
        expect(created.status).toBe(201);
        const done = await request(port, "GET", `/jobs/${created.json<Job>().id}?wait=10000`, { timeoutMs: 15_000 });
        expect(done.json<Job>().status).toBe("done");

        expect((await dockerOk(["exec", web, "id", "-u"])).stdout.trim()).toBe("1000");
        expect((await docker(["exec", web, "touch", "/app/src/x"])).code).not.toBe(0);

        // `docker stop` sends SIGTERM, as ECS does; both processes exit cleanly.
        await dockerOk(["stop", "-t", "30", web, worker], { timeoutMs: 60_000 });
        for (const c of [web, worker]) {
            expect(await inspect<number>(c, ".State.ExitCode")).toBe(0);
            const logs = await dockerOk(["logs", c]);
            const lines = logs.stdout.trim().split("\n");
            for (const line of lines) expect(() => JSON.parse(line) as unknown, line).not.toThrow();
            expect(lines.at(-1)).toContain('"msg":"stopped"');
            expect(logs.stdout + logs.stderr).not.toContain(pg.password);
        }
    });
});
