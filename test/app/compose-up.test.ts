// docker-compose.yml, run the way its header says: `up` brings db, migrate, web and worker up in
// order, web answers on the published loopback port, the worker does a job, `down -v` removes
// containers and volumes. Nothing is skipped: without Docker or compose it fails and says what
// to install.
//
// Offline, two things differ from a developer's machine, neither in docker-compose.yml itself:
// - postgres:15-bookworm and node:24-bookworm-slim are local stand-ins (test/support/docker.ts);
// - an override file gives the app image a tag of this run's own (a developer's
//   twelve-factor-app:local stays as it is) and builds it on the host's network, as every image
//   build in these tests is, since `npm ci` in the build reaches the registry from there.
// The published port comes from WEB_PORT, which the compose file reads, so a busy 8080 is no
// obstacle.

import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, dockerOk, ensureBaseImage, ensureDocker, ensurePostgresImage, run, type CommandResult } from "../support/docker";
import { onPath } from "../support/executables";
import { freePort } from "../support/postgres";
import { eventually, request, type Job } from "./harness";

const ROOT = path.resolve(__dirname, "../..");
const suffix = randomBytes(4).toString("hex");
const PROJECT = `tfa-compose-${suffix}`;
const IMAGE = `twelve-factor-app:compose-${suffix}`;
const SECRET_IN_COMPOSE_FILE = /SESSION_SECRET:\s*(\S+)/.exec(fs.readFileSync(path.join(ROOT, "docker-compose.yml"), "utf8"))?.[1];

let compose: string[];
let overrideDir: string;
let webPort: number;

/** `docker compose` (v2 plugin) when the client has it, else `docker-compose` (Debian: apt-get install -y docker-compose). */
async function findCompose(): Promise<string[]> {
    const docker = onPath("docker");
    if (docker !== undefined && (await run(docker, ["compose", "version"])).code === 0) return [docker, "compose"];
    const v1 = onPath("docker-compose");
    if (v1 !== undefined) return [v1];
    throw new Error("neither `docker compose` nor docker-compose is installed: apt-get install -y docker-compose");
}

async function composeRun(args: string[], timeoutMs: number): Promise<CommandResult> {
    const [cmd, ...pre] = compose;
    const files = ["-f", path.join(ROOT, "docker-compose.yml"), "-f", path.join(overrideDir, "override.yml")];
    return run(cmd, [...pre, "-p", PROJECT, ...files, ...args], {
        cwd: ROOT,
        timeoutMs,
        env: { ...process.env, WEB_PORT: String(webPort), DOCKER_BUILDKIT: "0", COMPOSE_DOCKER_CLI_BUILD: "0" },
    });
}

async function composeOk(args: string[], timeoutMs: number): Promise<CommandResult> {
    const r = await composeRun(args, timeoutMs);
    if (r.code !== 0) throw new Error(`compose ${args.join(" ")} failed (exit ${String(r.code)}):\n${r.stdout}\n${r.stderr}`);
    return r;
}

/** Ids of the project's containers, stopped ones included. */
async function projectContainers(): Promise<string[]> {
    const r = await dockerOk(["ps", "-a", "-q", "--filter", `label=com.docker.compose.project=${PROJECT}`]);
    return r.stdout.split("\n").filter((l) => l !== "");
}

async function projectVolumes(): Promise<string[]> {
    const r = await dockerOk(["volume", "ls", "-q", "--filter", `label=com.docker.compose.project=${PROJECT}`]);
    return r.stdout.split("\n").filter((l) => l !== "");
}

beforeAll(async () => {
    await ensureDocker();
    compose = await findCompose();
    await Promise.all([ensureBaseImage(), ensurePostgresImage()]);
    webPort = await freePort();
    overrideDir = fs.mkdtempSync(path.join(os.tmpdir(), "compose-override-"));
    const app = (name: string): string => `  ${name}:\n    image: ${IMAGE}\n    build:\n      context: ${path.join(ROOT, "app")}\n      network: host\n`;
    fs.writeFileSync(path.join(overrideDir, "override.yml"), `services:\n${app("migrate")}${app("web")}${app("worker")}`);
});

afterAll(async () => {
    if (overrideDir !== undefined) {
        await composeRun(["down", "-v", "--remove-orphans", "--timeout", "5"], 120_000);
        fs.rmSync(overrideDir, { recursive: true, force: true });
    }
    await docker(["image", "rm", "-f", IMAGE]);
});

describe("docker-compose.yml, brought up and down", () => {
    it("migrates, serves /healthz on the published port, processes a job, and leaves nothing behind", async () => {
        const up = await composeOk(["up", "-d", "--build"], 240_000);

        const migrate = (await composeOk(["ps", "-q", "migrate"], 30_000)).stdout.trim();
        expect(migrate, up.stderr).not.toBe("");
        const migrated = await eventually(
            "migrate to run to completion",
            async () => {
                const state = JSON.parse((await dockerOk(["inspect", "--format", "{{json .State}}", migrate])).stdout) as { Status: string; ExitCode: number };
                return state.Status === "exited" ? state : undefined;
            },
            60_000,
            250,
        );
        expect(migrated.ExitCode).toBe(0);
        expect((await dockerOk(["logs", migrate])).stdout).toContain('"msg":"migrations complete"');

        await eventually("web to answer /healthz on 127.0.0.1", async () => ((await request(webPort, "GET", "/healthz", { timeoutMs: 3000 })).status === 200 ? true : undefined), 60_000, 250);

        const created = await request(webPort, "POST", "/jobs", { body: { kind: "wordcount", input: { text: "composed and running" } } });
        expect(created.status).toBe(201);
        const done = await request(webPort, "GET", `/jobs/${created.json<Job>().id}?wait=15000`, { timeoutMs: 20_000 });
        expect(done.json<Job>()).toMatchObject({ status: "done", result: { words: 3 } });

        // Read-only root filesystem; /tmp (the image's VOLUME) writable by the app user.
        for (const service of ["web", "worker"]) {
            const id = (await composeOk(["ps", "-q", service], 30_000)).stdout.trim();
            expect((await dockerOk(["inspect", "--format", "{{.HostConfig.ReadonlyRootfs}}", id])).stdout.trim()).toBe("true");
            expect((await docker(["exec", id, "touch", "/app/x"])).code).not.toBe(0);
            expect((await dockerOk(["exec", id, "node", "-e", "require('fs').writeFileSync('/tmp/probe', 'ok')"])).code).toBe(0);
        }

        const logs = await composeOk(["logs", "--no-color"], 30_000);
        expect(logs.stdout).toContain('"msg":"job finished"');
        if (SECRET_IN_COMPOSE_FILE !== undefined) expect(logs.stdout + logs.stderr).not.toContain(SECRET_IN_COMPOSE_FILE.replace(/^["']|["']$/g, ""));

        // The named database volume, and each container's own /tmp volume (from the image's VOLUME).
        expect(await projectVolumes()).toEqual([`${PROJECT}_db-data`]);
        const volumes = new Set([`${PROJECT}_db-data`]);
        const tmpVolumes = new Set<string>();
        for (const service of ["migrate", "web", "worker"]) {
            const id = (await composeOk(["ps", "-q", service], 30_000)).stdout.trim();
            const mounts = JSON.parse((await dockerOk(["inspect", "--format", "{{json .Mounts}}", id])).stdout) as { Type: string; Name: string; Destination: string }[];
            const tmp = mounts.find((m) => m.Destination === "/tmp");
            expect(tmp?.Type, service).toBe("volume");
            tmpVolumes.add(tmp!.Name);
            volumes.add(tmp!.Name);
        }
        expect(tmpVolumes.size).toBe(3);
        await composeOk(["down", "-v", "--timeout", "30"], 120_000);
        expect(await projectContainers()).toEqual([]);
        for (const v of volumes) expect((await docker(["volume", "inspect", v])).code, `volume ${v} is left`).not.toBe(0);
    }, 300_000);
});
