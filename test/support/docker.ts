// Docker for tests on a machine without a registry: starts the engine when none answers, and
// when the base image node:20-bookworm-slim is not in the local image store, builds a stand-in
// for it (Debian bookworm minbase from the apt mirror this machine already uses, plus this
// machine's own node and npm) and imports it under that name, once; later runs reuse it.
//
// Builds use the classic builder (DOCKER_BUILDKIT=0): BuildKit asks the registry for the base
// image's metadata even when the image is local, which cannot work offline.

import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { findExecutable, onPath } from "./executables";

export const BASE_IMAGE = "node:20-bookworm-slim";
const BASE_SUITE = "bookworm";
const STAND_IN_LABEL = "stand-in built by test/support/docker.ts";

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

/** The npm package directory of the npm that this machine's node runs. */
function hostNpmDir(nodeBinary: string): string {
    const beside = path.join(path.dirname(path.dirname(nodeBinary)), "lib", "node_modules", "npm");
    if (fs.existsSync(path.join(beside, "bin", "npm-cli.js"))) return beside;
    const npm = onPath("npm");
    if (npm !== undefined) {
        let dir = path.dirname(fs.realpathSync(npm));
        while (dir !== path.dirname(dir)) {
            const pkg = path.join(dir, "package.json");
            if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, "utf8")) as { name?: string }).name === "npm") return dir;
            dir = path.dirname(dir);
        }
    }
    throw new Error(`cannot find the npm that belongs to ${nodeBinary}; install Node.js with npm`);
}

/**
 * Makes sure BASE_IMAGE exists locally. Returns "present" when it already did, "built" when a
 * stand-in was built now.
 */
export async function ensureBaseImage(): Promise<"present" | "built"> {
    if ((await docker(["image", "inspect", BASE_IMAGE])).code === 0) return "present";

    const debootstrap = findExecutable("debootstrap", ["/usr/sbin", "/usr/bin"]);
    if (debootstrap === undefined) {
        throw new Error(`${BASE_IMAGE} is not in the local image store, no registry is reachable, and debootstrap (to build a stand-in) is missing: apt-get install -y debootstrap`);
    }
    if (process.getuid?.() !== 0) throw new Error(`${BASE_IMAGE} is missing and building a stand-in with debootstrap needs root`);
    const nodeOnPath = onPath("node");
    if (nodeOnPath === undefined) throw new Error("node is not on PATH");
    const nodeBinary = fs.realpathSync(nodeOnPath);
    const nodeVersion = spawnSync(nodeBinary, ["--version"], { encoding: "utf8" }).stdout.trim();
    if (!nodeVersion.startsWith("v20.")) throw new Error(`the stand-in for ${BASE_IMAGE} needs Node.js 20 on this machine, found ${nodeVersion}`);
    const npmDir = hostNpmDir(nodeBinary);

    const mirror = aptMirror();
    const rootfs = fs.mkdtempSync(path.join(os.tmpdir(), "node-base-rootfs-"));
    try {
        log(`${BASE_IMAGE} not found locally; building a stand-in: debootstrap --variant=minbase ${BASE_SUITE} from ${mirror} (a few minutes, once)`);
        const boot = await sh(debootstrap, ["--variant=minbase", BASE_SUITE, rootfs, mirror], "debootstrap", 1_200_000);
        log(`debootstrap done in ${Math.round(boot.ms / 1000)} s`);

        // Laid out like the official image: node and npm under /usr/local.
        fs.mkdirSync(path.join(rootfs, "usr/local/bin"), { recursive: true });
        fs.copyFileSync(nodeBinary, path.join(rootfs, "usr/local/bin/node"));
        fs.chmodSync(path.join(rootfs, "usr/local/bin/node"), 0o755);
        fs.cpSync(npmDir, path.join(rootfs, "usr/local/lib/node_modules/npm"), { recursive: true, verbatimSymlinks: true });
        for (const [name, cli] of [["npm", "npm-cli.js"], ["npx", "npx-cli.js"]]) {
            const wrapper = path.join(rootfs, "usr/local/bin", name);
            fs.writeFileSync(wrapper, `#!/bin/sh\nexec /usr/local/bin/node /usr/local/lib/node_modules/npm/bin/${cli} "$@"\n`, { mode: 0o755 });
        }

        // Every shared library node needs must exist inside the rootfs (checked in a chroot,
        // because absolute symlinks in the rootfs would resolve against this machine's root).
        const libs = [...spawnSync("ldd", [nodeBinary], { encoding: "utf8" }).stdout.matchAll(/(\/[^\s]+\.so[^\s]*)/g)].map((m) => m[1]);
        const missing = await run("chroot", [rootfs, "/bin/sh", "-c", 'for f in "$@"; do [ -e "$f" ] || echo "$f"; done', "sh", ...libs]);
        if (missing.code !== 0 || missing.stdout.trim() !== "") {
            throw new Error(`libraries that ${nodeBinary} needs are missing from the ${BASE_SUITE} rootfs: ${missing.stdout.trim()} ${missing.stderr.trim()}`);
        }
        const inChroot = await sh("chroot", [rootfs, "/usr/local/bin/node", "--version"], "running node inside the rootfs");
        log(`node ${inChroot.stdout.trim()} runs inside the rootfs`);

        // The official image has a `node` user with uid/gid 1000.
        fs.appendFileSync(path.join(rootfs, "etc/group"), "node:x:1000:\n");
        fs.appendFileSync(path.join(rootfs, "etc/passwd"), "node:x:1000:1000::/home/node:/bin/bash\n");
        fs.mkdirSync(path.join(rootfs, "home/node"), { recursive: true });
        fs.chownSync(path.join(rootfs, "home/node"), 1000, 1000);

        // This machine reaches the npm registry through its own TLS setup and registry setting;
        // `npm ci` inside the stand-in must do the same. (The official image needs neither.)
        const changes = ["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 'CMD ["node"]'];
        const hostCa = process.env.NODE_EXTRA_CA_CERTS ?? "/etc/ssl/certs/ca-certificates.crt";
        if (fs.existsSync(hostCa)) {
            fs.mkdirSync(path.join(rootfs, "etc/ssl/certs"), { recursive: true });
            fs.copyFileSync(hostCa, path.join(rootfs, "etc/ssl/certs/host-ca-certificates.crt"));
            changes.push("ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/host-ca-certificates.crt");
        }
        const registry = spawnSync(nodeBinary, [path.join(npmDir, "bin/npm-cli.js"), "config", "get", "registry"], { encoding: "utf8" }).stdout.trim();
        if (registry !== "") {
            fs.mkdirSync(path.join(rootfs, "usr/local/etc"), { recursive: true });
            fs.writeFileSync(path.join(rootfs, "usr/local/etc/npmrc"), `registry=${registry}\nupdate-notifier=false\nfund=false\naudit=false\n`);
        }

        // Like Debian's slim images: no package caches, documentation or manual pages.
        for (const p of ["var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man", "usr/share/info"]) {
            fs.rmSync(path.join(rootfs, p), { recursive: true, force: true });
            fs.mkdirSync(path.join(rootfs, p), { recursive: true });
        }

        const tar = spawn("tar", ["-C", rootfs, "--numeric-owner", "-c", "."], { stdio: ["ignore", "pipe", "inherit"] });
        if (tar.stdout === null) throw new Error("tar has no stdout");
        const args = ["import", "--message", `${STAND_IN_LABEL} from ${mirror} and node ${nodeVersion}`];
        for (const c of changes) args.push("--change", c);
        await dockerOk([...args, "-", BASE_IMAGE], { input: tar.stdout, timeoutMs: 600_000 });
        log(`imported the stand-in as ${BASE_IMAGE}`);
        return "built";
    } finally {
        fs.rmSync(rootfs, { recursive: true, force: true });
    }
}

/** Builds an image from a context directory with its Dockerfile; resolves with the build's duration. */
export async function buildImage(contextDir: string, tag: string, extraArgs: string[] = []): Promise<CommandResult> {
    return dockerOk(["build", "--network", "host", ...extraArgs, "-t", tag, "-f", path.join(contextDir, "Dockerfile"), contextDir], { timeoutMs: 900_000 });
}

/** Size in bytes that `docker image inspect` reports. */
export async function imageSize(ref: string): Promise<number> {
    return Number((await dockerOk(["image", "inspect", "--format", "{{.Size}}", ref])).stdout.trim());
}
