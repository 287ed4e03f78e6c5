// Docker for tests on a machine without a registry: starts the engine when none answers, and
// builds local stand-ins for the two images that cannot be pulled here, tagged with their real
// names so that app/Dockerfile and docker-compose.yml are used unchanged:
//   node:24-bookworm-slim   Debian bookworm minbase + the pinned Node.js and npm from the npm
//                           registry (NODE_VERSION, NPM_VERSION in executables.ts)
//   postgres:15-bookworm    Debian bookworm minbase + Debian's postgresql-15, with an entrypoint
//                           that honours POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB
// Both start from one image made with `debootstrap --variant=minbase bookworm` from the apt
// mirror this machine already uses. Each stand-in carries a label naming what it was built from;
// an image with another label is rebuilt, one without the label (a real, pulled image) is used.
//
// Builds use the classic builder (DOCKER_BUILDKIT=0): BuildKit asks the registry for the base
// image's metadata even when the image is local, which cannot work offline.

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { findExecutable, NODE_VERSION, NPM_VERSION, npmPackage, onPath, pinnedNode } from "./executables";

export const BASE_IMAGE = "node:24-bookworm-slim";
export const POSTGRES_IMAGE = "postgres:15-bookworm";
const BASE_SUITE = "bookworm";
const DEBIAN_IMAGE = `twelve-factor-stand-in/debian:${BASE_SUITE}-minbase`;
const STAND_IN_LABEL = "org.twelve-factor.stand-in";
// What each stand-in is built from; a change here (or to the pinned versions) rebuilds it.
const NODE_RECIPE = `node ${NODE_VERSION}, npm ${NPM_VERSION}, debian ${BASE_SUITE} minbase (recipe 3)`;
const POSTGRES_RECIPE = `debian ${BASE_SUITE} postgresql-15, entrypoint (recipe 1)`;

export interface CommandResult {
    code: number | null;
    stdout: string;
    stderr: string;
    ms: number;
}

/** Runs a command without blocking the event loop; never throws for a non-zero exit. */
export function run(
    cmd: string,
    args: string[],
    options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: NodeJS.ReadableStream; cwd?: string } = {},
): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
        const started = Date.now();
        const child = spawn(cmd, args, {
            env: options.env ?? process.env,
            cwd: options.cwd,
            stdio: [options.input ? "pipe" : "ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout?.setEncoding("utf8").on("data", (c: string) => {
            stdout += c;
        });
        child.stderr?.setEncoding("utf8").on("data", (c: string) => {
            stderr += c;
        });
        if (options.input && child.stdin) options.input.pipe(child.stdin);
        const timer = options.timeoutMs
            ? setTimeout(() => {
                  stderr += `\n[killed after ${options.timeoutMs} ms]`;
                  child.kill("SIGKILL");
              }, options.timeoutMs)
            : undefined;
        child.on("error", (err) => {
            clearTimeout(timer);
            reject(err);
        });
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code, stdout, stderr, ms: Date.now() - started });
        });
    });
}

function dockerClient(): string {
    const docker = onPath("docker");
    if (docker === undefined) throw new Error("the docker command is not installed: apt-get install -y docker.io");
    return docker;
}

/** Runs `docker <args>`; the classic builder is forced for the reason given at the top. */
export function docker(args: string[], options: { env?: Record<string, string>; timeoutMs?: number; input?: NodeJS.ReadableStream } = {}): Promise<CommandResult> {
    return run(dockerClient(), args, { ...options, env: { ...process.env, DOCKER_BUILDKIT: "0", ...options.env } });
}

/** Like docker(), but throws with the command's output when it exits non-zero. */
export async function dockerOk(args: string[], options: { env?: Record<string, string>; timeoutMs?: number; input?: NodeJS.ReadableStream } = {}): Promise<CommandResult> {
    const r = await docker(args, options);
    if (r.code !== 0) throw new Error(`docker ${args.join(" ")} failed (exit ${String(r.code)}):\n${r.stdout}\n${r.stderr}`);
    return r;
}

async function daemonAnswers(): Promise<boolean> {
    const r = await docker(["version", "--format", "{{.Server.Version}}"], { timeoutMs: 15_000 });
    return r.code === 0 && r.stdout.trim() !== "";
}

/** Makes sure a Docker engine answers, starting dockerd in the background if needed. */
export async function ensureDocker(): Promise<void> {
    dockerClient();
    if (await daemonAnswers()) return;
    await withLock("dockerd", startDockerd, 120_000);
}

async function startDockerd(): Promise<void> {
    if (await daemonAnswers()) return;
    const dockerd = findExecutable("dockerd", ["/usr/sbin", "/usr/bin", "/usr/local/bin"]);
    if (dockerd === undefined) {
        throw new Error("no Docker engine answers and dockerd is not installed: apt-get install -y docker.io");
    }
    if (process.getuid?.() !== 0) {
        throw new Error(`no Docker engine answers; start one (sudo ${dockerd} &) or run the tests as root`);
    }
    const logFile = path.join(os.tmpdir(), "dockerd-tests.log");
    const out = fs.openSync(logFile, "a");
    // Detached and unreferenced: the engine outlives this test run, and the next run reuses it.
    const child = spawn(dockerd, [], { detached: true, stdio: ["ignore", out, out] });
    child.unref();
    fs.closeSync(out);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
        if (await daemonAnswers()) return;
        if (child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 500));
    }
    const tail = fs.readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n");
    throw new Error(`started ${dockerd} but no Docker engine answered within 60 s; end of ${logFile}:\n${tail}`);
}

/** The mirror apt already uses for Debian bookworm, from sources.list or deb822 .sources files. */
export function aptMirror(): string {
    const fromEnv = process.env.DEBOOTSTRAP_MIRROR;
    if (fromEnv) return fromEnv;
    const files: string[] = [];
    if (fs.existsSync("/etc/apt/sources.list")) files.push("/etc/apt/sources.list");
    const dir = "/etc/apt/sources.list.d";
    if (fs.existsSync(dir)) {
        for (const f of fs.readdirSync(dir).sort()) if (f.endsWith(".list") || f.endsWith(".sources")) files.push(path.join(dir, f));
    }
    for (const file of files) {
        const text = fs.readFileSync(file, "utf8");
        if (file.endsWith(".sources")) {
            for (const stanza of text.split(/\n\s*\n/)) {
                const field = (name: string): string[] => {
                    const m = new RegExp(`^${name}:\\s*(.*)$`, "mi").exec(stanza);
                    return m ? m[1].trim().split(/\s+/) : [];
                };
                if (field("Enabled")[0]?.toLowerCase() === "no") continue;
                if (field("Types").includes("deb") && field("Suites").includes(BASE_SUITE) && field("URIs").length > 0) return field("URIs")[0];
            }
        } else {
            for (const line of text.split("\n")) {
                const m = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
                if (m && m[2] === BASE_SUITE) return m[1];
            }
        }
    }
    throw new Error(`no apt source for Debian ${BASE_SUITE} in ${files.join(", ") || "/etc/apt"}; set DEBOOTSTRAP_MIRROR to a Debian mirror URL`);
}

function log(msg: string): void {
    process.stdout.write(`[docker support] ${msg}\n`);
}

async function sh(cmd: string, args: string[], what: string, timeoutMs = 120_000): Promise<CommandResult> {
    const r = await run(cmd, args, { timeoutMs });
    if (r.code !== 0) throw new Error(`${what} failed (exit ${String(r.code)}):\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
    return r;
}

/**
 * Runs fn while holding a lock shared by every process on this machine: vitest runs test files
 * in parallel processes, and two of them must not start dockerd or build one image at once.
 * A lock whose holder has died is taken over.
 */
async function withLock<T>(name: string, fn: () => Promise<T>, timeoutMs = 1_200_000): Promise<T> {
    const file = path.join(os.tmpdir(), `twelve-factor-${name}.lock`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        try {
            fs.writeFileSync(file, String(process.pid), { flag: "wx" });
            break;
        } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
        }
        let holder = NaN;
        try {
            holder = Number(fs.readFileSync(file, "utf8"));
        } catch {
            continue; // released between our two calls
        }
        if (Number.isInteger(holder) && holder > 0 && !alive(holder)) {
            fs.rmSync(file, { force: true });
            continue;
        }
        if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${file} (held by pid ${String(holder)})`);
        await new Promise((r) => setTimeout(r, 250));
    }
    try {
        return await fn();
    } finally {
        fs.rmSync(file, { force: true });
    }
}

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (err) {
        return (err as NodeJS.ErrnoException).code === "EPERM";
    }
}

/** The stand-in label of a local image: null for an image without it, undefined when absent. */
async function standInLabel(ref: string): Promise<string | null | undefined> {
    const r = await docker(["image", "inspect", "--format", "{{json .Config.Labels}}", ref]);
    if (r.code !== 0) return undefined;
    const labels = JSON.parse(r.stdout) as Record<string, string> | null;
    return labels?.[STAND_IN_LABEL] ?? null;
}

/** Makes sure `ref` exists locally: a real image is kept, a stand-in of another recipe rebuilt. */
export async function ensureStandIn(ref: string, recipe: string, build: () => Promise<void>): Promise<"present" | "built"> {
    return withLock(`image-${ref.replace(/[^A-Za-z0-9]+/g, "-")}`, async () => {
        const have = await standInLabel(ref);
        if (have === null || have === recipe) return "present";
        log(have === undefined ? `${ref} is not in the local image store; building a stand-in (${recipe})` : `${ref} is a stand-in for "${have}"; rebuilding for "${recipe}"`);
        const started = Date.now();
        await build();
        log(`built the stand-in ${ref} in ${Math.round((Date.now() - started) / 1000)} s`);
        return "built";
    });
}

function needRoot(what: string): void {
    if (process.getuid?.() !== 0) throw new Error(`${what} is missing and building a stand-in for it with debootstrap needs root`);
}

/** Debian minbase from the apt mirror this machine uses, imported once as DEBIAN_IMAGE. */
async function ensureDebian(): Promise<void> {
    const mirror = aptMirror();
    const recipe = `debootstrap --variant=minbase ${BASE_SUITE} ${mirror}`;
    await withLock("image-debian", async () => {
        const comment = await docker(["image", "inspect", "--format", "{{.Comment}}", DEBIAN_IMAGE]);
        if (comment.code === 0 && comment.stdout.trim() === recipe) return;
        needRoot(DEBIAN_IMAGE);
        const debootstrap = findExecutable("debootstrap", ["/usr/sbin", "/usr/bin"]);
        if (debootstrap === undefined) {
            throw new Error(`no registry is reachable, and debootstrap (to build stand-ins for ${BASE_IMAGE} and ${POSTGRES_IMAGE}) is missing: apt-get install -y debootstrap`);
        }
        const rootfs = fs.mkdtempSync(path.join(os.tmpdir(), "debian-rootfs-"));
        try {
            log(`${recipe} (about a minute, once per machine)`);
            const boot = await sh(debootstrap, ["--variant=minbase", BASE_SUITE, rootfs, mirror], "debootstrap", 1_200_000);
            log(`debootstrap done in ${Math.round(boot.ms / 1000)} s`);
            // Like Debian's slim images: no package caches, documentation or manual pages.
            for (const p of ["var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man", "usr/share/info"]) {
                fs.rmSync(path.join(rootfs, p), { recursive: true, force: true });
                fs.mkdirSync(path.join(rootfs, p), { recursive: true });
            }
            // As in Debian's container images: packages installed in a build start no services.
            fs.writeFileSync(path.join(rootfs, "usr/sbin/policy-rc.d"), "#!/bin/sh\nexit 101\n", { mode: 0o755 });
            const tar = spawn("tar", ["-C", rootfs, "--numeric-owner", "-c", "."], { stdio: ["ignore", "pipe", "inherit"] });
            if (tar.stdout === null) throw new Error("tar has no stdout");
            const env = "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
            await dockerOk(["import", "--message", recipe, "--change", env, "-", DEBIAN_IMAGE], { input: tar.stdout, timeoutMs: 600_000 });
        } finally {
            fs.rmSync(rootfs, { recursive: true, force: true });
        }
    });
}

/** Builds `ref` from a Dockerfile and files written to a temporary context. */
async function buildFromFiles(ref: string, files: Record<string, string | { copyFrom: string }>): Promise<void> {
    const ctx = fs.mkdtempSync(path.join(os.tmpdir(), "stand-in-context-"));
    try {
        for (const [name, content] of Object.entries(files)) {
            const target = path.join(ctx, name);
            if (typeof content === "string") fs.writeFileSync(target, content, { mode: name.endsWith(".sh") ? 0o755 : 0o644 });
            else fs.cpSync(content.copyFrom, target, { recursive: true, verbatimSymlinks: true });
        }
        await buildImage(ctx, ref);
    } finally {
        fs.rmSync(ctx, { recursive: true, force: true });
    }
}

/**
 * Makes sure BASE_IMAGE exists locally. Returns "present" when it already did, "built" when a
 * stand-in was built now.
 */
export async function ensureBaseImage(): Promise<"present" | "built"> {
    return ensureStandIn(BASE_IMAGE, NODE_RECIPE, async () => {
        needRoot(BASE_IMAGE);
        await ensureDebian();
        // Executable as unpacked from the package: a chmod in a RUN would copy the binary into a
        // second 127 MB layer.
        const node = pinnedNode();
        const npmDir = npmPackage("npm", NPM_VERSION);
        const files: Record<string, string | { copyFrom: string }> = { node: { copyFrom: node }, npm: { copyFrom: npmDir } };
        // This machine reaches the npm registry through its own TLS setup and registry setting;
        // `npm ci` inside the stand-in must do the same. (The official image needs neither.)
        let extra = "";
        const hostCa = process.env.NODE_EXTRA_CA_CERTS ?? "/etc/ssl/certs/ca-certificates.crt";
        if (fs.existsSync(hostCa)) {
            files["host-ca-certificates.crt"] = { copyFrom: hostCa };
            extra += "COPY host-ca-certificates.crt /etc/ssl/certs/host-ca-certificates.crt\nENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/host-ca-certificates.crt\n";
        }
        const registry = (await run(onPath("npm") ?? "npm", ["config", "get", "registry"])).stdout.trim();
        files.npmrc = `${registry === "" ? "" : `registry=${registry}\n`}update-notifier=false\nfund=false\naudit=false\n`;
        // Laid out like the official image: node and npm under /usr/local, a `node` user 1000:1000.
        files.Dockerfile = `FROM ${DEBIAN_IMAGE}
ENV NODE_VERSION=${NODE_VERSION}
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY npmrc /usr/local/etc/npmrc
${extra}RUN groupadd --gid 1000 node \\
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \\
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && test "$(node --version)" = "v${NODE_VERSION}" \\
 && test "$(npm --version)" = "${NPM_VERSION}"
LABEL ${STAND_IN_LABEL}="${NODE_RECIPE}"
CMD ["node"]
`;
        await buildFromFiles(BASE_IMAGE, files);
    });
}

// The part of the official postgres image's entrypoint that docker-compose.yml relies on: on an
// empty data directory, a cluster whose superuser is POSTGRES_USER with POSTGRES_PASSWORD
// (scram-sha-256 over TCP, trust on the local socket) and a database POSTGRES_DB; then postgres.
const POSTGRES_ENTRYPOINT = `#!/bin/sh
set -eu
: "\${PGDATA:=/var/lib/postgresql/data}"
if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    chown postgres:postgres "$PGDATA" /var/run/postgresql
    chmod 0700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
    : "\${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"
    user="\${POSTGRES_USER:-postgres}"
    db="\${POSTGRES_DB:-$user}"
    pwfile="$(mktemp)"
    printf '%s\\n' "$POSTGRES_PASSWORD" > "$pwfile"
    initdb -D "$PGDATA" -U "$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8
    rm -f "$pwfile"
    echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    if [ "$db" != postgres ]; then
        pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start
        echo 'CREATE DATABASE :"db";' | psql -v ON_ERROR_STOP=1 -v db="$db" -U "$user" -d postgres
        pg_ctl -D "$PGDATA" -m fast -w stop
    fi
fi
exec "$@"
`;

/** Makes sure POSTGRES_IMAGE exists locally, as ensureBaseImage does for the node image. */
export async function ensurePostgresImage(): Promise<"present" | "built"> {
    return ensureStandIn(POSTGRES_IMAGE, POSTGRES_RECIPE, async () => {
        needRoot(POSTGRES_IMAGE);
        await ensureDebian();
        await buildFromFiles(POSTGRES_IMAGE, {
            "docker-entrypoint.sh": POSTGRES_ENTRYPOINT,
            // The package would create and start a cluster of its own; the entrypoint makes one.
            Dockerfile: `FROM ${DEBIAN_IMAGE}
RUN apt-get update -qq \\
 && apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null \\
 && pg_dropcluster 15 main \\
 && rm -rf /var/lib/apt/lists/* \\
 && mkdir -p /var/lib/postgresql/data \\
 && chown postgres:postgres /var/lib/postgresql/data
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
    PGDATA=/var/lib/postgresql/data
VOLUME /var/lib/postgresql/data
LABEL ${STAND_IN_LABEL}="${POSTGRES_RECIPE}"
ENTRYPOINT ["docker-entrypoint.sh"]
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
`,
        });
    });
}

/** Builds an image from a context directory with its Dockerfile; resolves with the build's duration. */
export async function buildImage(contextDir: string, tag: string, extraArgs: string[] = []): Promise<CommandResult> {
    return dockerOk(["build", "--network", "host", ...extraArgs, "-t", tag, "-f", path.join(contextDir, "Dockerfile"), contextDir], { timeoutMs: 900_000 });
}

/** Size in bytes that `docker image inspect` reports. */
export async function imageSize(ref: string): Promise<number> {
    return Number((await dockerOk(["image", "inspect", "--format", "{{.Size}}", ref])).stdout.trim());
}
