// The real app/Dockerfile, built unchanged and run the way ECS runs it: configuration from the
// environment only, read-only root filesystem with a volume on /tmp, host networking to reach
// this test's PostgreSQL on 127.0.0.1. Nothing here is skipped: without Docker it fails and
// says what to install.
//
// /tmp is a fresh Docker named volume per container, not a tmpfs: like Fargate's bind-mount
// volume, a fresh named volume takes the owner and mode of the image's /tmp only because the
// image declares it a VOLUME. A tmpfs (mode 1777 whatever the image says) would hide a mistake.

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BASE_IMAGE, buildImage, docker, dockerOk, ensureBaseImage, ensureDocker, ensureStandIn, imageSize } from "../support/docker";
import { NODE_VERSION, NPM_VERSION } from "../support/executables";
import { freePort, startPostgres, type PostgresServer } from "../support/postgres";
import { eventually, request, SESSION_SECRET, type Job } from "./harness";

const APP_DIR = path.resolve(__dirname, "../../app");
const suffix = randomBytes(4).toString("hex");
const IMAGE = `twelve-factor-app:test-${suffix}`;

let pg: PostgresServer;
let databaseUrl: string;
const containers: string[] = [];
const volumes: string[] = [];
const hostDirs: string[] = [];

interface RunOptions {
    env: Record<string, string>;
    command?: string[];
    detach?: boolean;
    name?: string;
    /** What to mount at /tmp: by default a fresh named volume, as ECS mounts a fresh volume. */
    tmp?: string;
}

function freshVolume(): string {
    const name = `tfa-tmp-${suffix}-${volumes.length}`;
    volumes.push(name);
    return `type=volume,source=${name},target=/tmp`;
}

// Values travel as `-e NAME` with the value in the docker client's own environment, so the
// database password never appears on a command line.
function runArgs({ env, command = [], detach = false, name, tmp = freshVolume() }: RunOptions): string[] {
    const args = ["run", "--network", "host", "--read-only", "--mount", tmp];
    if (detach) args.push("-d");
    else args.push("--rm");
    if (name) args.push("--name", name);
    for (const key of Object.keys(env).sort()) args.push("-e", key);
    return [...args, IMAGE, ...command];
}

// Run as the image's user (1000), as every process of the app is.
const WRITE_TMP = ["node", "-e", "require('fs').writeFileSync('/tmp/probe', 'ok'); process.stdout.write(require('fs').readFileSync('/tmp/probe', 'utf8'))"];

async function startContainer(role: string, env: Record<string, string>, command: string[] = []): Promise<string> {
    const name = `tfa-${role}-${suffix}`;
    containers.push(name);
    // The image's own HEALTHCHECK command, checked every second instead of every 10 s, so the
    // test need not wait for the first probe; the image's timings are asserted separately.
    const [run, ...rest] = runArgs({ env, command, detach: true, name });
    await dockerOk([run, "--health-interval", "1s", ...rest], { env });
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
    if (volumes.length > 0) await docker(["volume", "rm", "-f", ...volumes]);
    await docker(["image", "rm", "-f", IMAGE]);
    for (const d of hostDirs) fs.rmSync(d, { recursive: true, force: true });
    pg?.destroy();
});

describe("the app image (app/Dockerfile)", () => {
    it("is configured as the platform expects: non-root, port 8080, health check, web by default", async () => {
        const config = JSON.parse((await dockerOk(["image", "inspect", "--format", "{{json .Config}}", IMAGE])).stdout) as {
            User: string;
            ExposedPorts: Record<string, unknown>;
            Healthcheck: { Test: string[]; Interval: number; Timeout: number; StartPeriod: number; Retries: number };
            Cmd: string[];
            WorkingDir: string;
            Volumes: Record<string, unknown> | null;
        };
        expect(config.User).toBe("1000:1000");
        expect(Object.keys(config.ExposedPorts)).toEqual(["8080/tcp"]);
        expect(config.Healthcheck).toEqual({ Test: ["CMD", "node", "src/healthcheck.js"], Interval: 10e9, Timeout: 5e9, StartPeriod: 15e9, Retries: 3 });
        expect(config.Cmd).toEqual(["node", "src/web.js"]);
        expect(config.WorkingDir).toBe("/app");
        expect(config.Volumes).toEqual({ "/tmp": {} });
        // The app adds only its code and production dependencies to the base image.
        const added = (await imageSize(IMAGE)) - (await imageSize(BASE_IMAGE));
        expect(added).toBeLessThan(10 * 1024 * 1024);
    });

    it("runs the pinned Node.js on the base image that the Dockerfile names", async () => {
        const dockerfile = fs.readFileSync(path.join(APP_DIR, "Dockerfile"), "utf8");
        const bases = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
        expect(bases).toEqual([BASE_IMAGE, BASE_IMAGE]);
        expect((await dockerOk(["run", "--rm", "--read-only", IMAGE, "node", "--version"])).stdout.trim()).toBe(`v${NODE_VERSION}`);
        expect((await dockerOk(["run", "--rm", BASE_IMAGE, "npm", "--version"])).stdout.trim()).toBe(NPM_VERSION);
    });

    it("gives uid 1000 a writable /tmp on a fresh volume, on a read-only root filesystem", async () => {
        const stat = await dockerOk(runArgs({ env: {}, command: ["stat", "-c", "%u:%g %a", "/tmp"] }));
        expect(stat.stdout.trim()).toBe("1000:1000 1777");
        expect((await dockerOk(runArgs({ env: {}, command: WRITE_TMP }))).stdout).toBe("ok");
        expect((await docker(runArgs({ env: {}, command: ["touch", "/probe"] }))).code).not.toBe(0);
    });

    it("negative control: on a root-owned 0755 bind mount at /tmp (Fargate's default) uid 1000 cannot write", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tfa-root-tmp-"));
        hostDirs.push(dir);
        fs.chownSync(dir, 0, 0);
        fs.chmodSync(dir, 0o755);
        const r = await docker(runArgs({ env: {}, command: WRITE_TMP, tmp: `type=bind,source=${dir},target=/tmp` }));
        expect(r.code).not.toBe(0);
        expect(r.stderr).toContain("EACCES");
        expect(fs.readdirSync(dir)).toEqual([]);
    });

    it("runs migrate, then web and worker, against the real database on a read-only filesystem", async () => {
        const env = { DATABASE_URL: databaseUrl };
        const migrate = await dockerOk(runArgs({ env, command: ["node", "src/migrate.js"] }), { env, timeoutMs: 60_000 });
        expect(migrate.stdout).toContain('"msg":"migrations complete"');
        const again = await dockerOk(runArgs({ env, command: ["node", "src/migrate.js"] }), { env, timeoutMs: 60_000 });
        expect(again.stdout).toContain('"applied":0');

        const port = await freePort();
        const web = await startContainer("web", { DATABASE_URL: databaseUrl, PORT: String(port), SESSION_SECRET });
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
        expect((await dockerOk(["exec", worker, ...WRITE_TMP])).stdout).toBe("ok");

        // `docker stop` sends SIGTERM, as ECS does; both processes exit cleanly.
        await dockerOk(["stop", "-t", "30", web, worker], { timeoutMs: 60_000 });
        for (const c of [web, worker]) {
            expect(await inspect<number>(c, ".State.ExitCode")).toBe(0);
            const logs = await dockerOk(["logs", c]);
            const lines = logs.stdout.trim().split("\n");
            for (const line of lines) expect(() => JSON.parse(line) as unknown, line).not.toThrow();
            expect(lines.at(-1)).toContain('"msg":"stopped"');
            expect(logs.stdout + logs.stderr).not.toContain(pg.password);
            expect(logs.stdout + logs.stderr).not.toContain(SESSION_SECRET);
        }
    });
});

describe("stand-in images (test/support/docker.ts)", () => {
    it("rebuild when the wanted recipe changes, and keep a real image (one without the stand-in label)", async () => {
        const ref = `twelve-factor-stand-in/probe:${suffix}`;
        const builds: string[] = [];
        const build = (recipe: string) => async (): Promise<void> => {
            builds.push(recipe);
            const ctx = fs.mkdtempSync(path.join(os.tmpdir(), "stand-in-probe-"));
            hostDirs.push(ctx);
            fs.writeFileSync(path.join(ctx, "Dockerfile"), `FROM ${BASE_IMAGE}\nLABEL org.twelve-factor.stand-in="${recipe}"\n`);
            await buildImage(ctx, ref);
        };
        try {
            expect(await ensureStandIn(ref, "node 1.0.0", build("node 1.0.0"))).toBe("built");
            expect(await ensureStandIn(ref, "node 1.0.0", build("node 1.0.0"))).toBe("present");
            expect(await ensureStandIn(ref, "node 1.0.1", build("node 1.0.1"))).toBe("built");
            expect(builds).toEqual(["node 1.0.0", "node 1.0.1"]);
            // An image without the label, as a pulled one is: an empty filesystem, imported.
            const empty = fs.mkdtempSync(path.join(os.tmpdir(), "stand-in-probe-"));
            hostDirs.push(empty);
            const tar = spawn("tar", ["-C", empty, "-c", "."], { stdio: ["ignore", "pipe", "inherit"] });
            await dockerOk(["import", "-", ref], { input: tar.stdout ?? undefined });
            builds.length = 0;
            expect(await ensureStandIn(ref, "node 1.0.2", build("node 1.0.2"))).toBe("present");
            expect(builds).toEqual([]);
        } finally {
            await docker(["image", "rm", "-f", ref]);
        }
    });
});
