import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, utimesSync } from "fs";
import * as path from "path";
import { sha256 } from "./hashing";

/** Where staged build contexts live, relative to the project root (git-ignored). */
export const stagingDirName = ".build-context";

/** A build context copied into the project with normalised permissions, named by its content. */
export interface StagedContext {
    /** Content hash over file names, executable bits, contents, the Dockerfile and the platform. */
    hash: string;
    /** The image tag for this content: `src-<hash>`, written once (ECR tags are immutable). */
    tag: string;
    /** The staged context, relative to the project root. */
    context: string;
    /** The staged Dockerfile, relative to the project root (the Docker provider resolves both against its working directory). */
    dockerfile: string;
}

/**
 * Copies the build context (minus what .dockerignore excludes) to `.build-context/<hash>`
 * inside the project, files 0644 or 0755 by their executable bit, as git stores them.
 *
 * Why: the Docker provider hashes the context it is given, full permission bits included, and
 * keeps the paths as given. Built from the checkout itself, a second checkout (another CI
 * workspace, a laptop, another umask) would show a diff, rebuild a not byte-identical image and
 * push it to the same immutable tag, which ECR refuses. The staged copy is the same bytes,
 * modes and relative paths on every machine that has the same source.
 */
export function stageContext(projectRoot: string, contextDir: string, dockerfile: string, platform: string): StagedContext {
    if (path.isAbsolute(dockerfile) || path.normalize(dockerfile).startsWith("..")) {
        throw new Error(`twelve-factor:build.dockerfile: expected a Dockerfile inside the build context (a path relative to it), got "${dockerfile}"`);
    }
    const stagingRoot = path.join(projectRoot, stagingDirName);
    const ignore = readIgnorePatterns(contextDir, dockerfile);
    // Like Docker, the Dockerfile and its ignore file are read even when .dockerignore lists them.
    // A context that holds the project (".") must not take in its own staged copies.
    const staging = path.relative(contextDir, stagingRoot);
    const files = listFiles(contextDir, "")
        .filter((f) => staging.startsWith("..") || (f !== staging && !f.startsWith(`${staging}/`)))
        .filter((f) => f === dockerfile || !isIgnored(f, ignore));
    const entries = files.map((f) => {
        const full = path.join(contextDir, f);
        const stat = lstatSync(full);
        if (stat.isSymbolicLink()) {
            const target = readlinkSync(full);
            if (path.isAbsolute(target) || path.normalize(path.join(path.dirname(f), target)).startsWith("..")) {
                throw new Error(`twelve-factor:build.context: ${f} links to ${target}, outside the build context; Docker cannot follow it`);
            }
            return { file: f, line: `${f} -> ${target}`, symlink: target };
        }
        const mode = stat.mode & 0o111 ? 0o755 : 0o644;
        return { file: f, line: `${f} ${mode.toString(8)} ${sha256(readFileSync(full))}`, mode };
    });
    const hash = sha256([`platform ${platform}`, `dockerfile ${dockerfile}`, ...entries.map((e) => e.line)].join("\n"));

    const name = `src-${hash.slice(0, 20)}`;
    const target = path.join(stagingRoot, name);
    if (!existsSync(target)) {
        // Written aside and renamed, so an interrupted copy is never taken for a complete one.
        const partial = `${target}.partial-${process.pid}`;
        rmSync(partial, { recursive: true, force: true });
        for (const e of entries) {
            const to = path.join(partial, e.file);
            mkdirSync(path.dirname(to), { recursive: true });
            if (e.symlink !== undefined) symlinkSync(e.symlink, to);
            else {
                copyFileSync(path.join(contextDir, e.file), to);
                chmodSync(to, e.mode!);
            }
        }
        normaliseDirectories(partial);
        try {
            renameSync(partial, target);
        } catch (e) {
            // Another evaluation staged the same content first: same bytes, keep theirs.
            if (!existsSync(target)) throw e;
            rmSync(partial, { recursive: true, force: true });
        }
    }
    removeStaleStagings(stagingRoot, name);
    const context = path.posix.join(stagingDirName, name);
    return { hash, tag: name, context, dockerfile: path.posix.join(context, dockerfile) };
}

/** A day is longer than any preview-then-up; younger copies may belong to another evaluation running now. */
const stagingLifetimeMs = 24 * 60 * 60 * 1000;

/** Staged copies nobody used for a day are never needed again: the ledger and ECR, not the disk, remember builds. */
function removeStaleStagings(stagingRoot: string, current: string): void {
    const now = new Date();
    utimesSync(path.join(stagingRoot, current), now, now);
    for (const entry of readdirSync(stagingRoot)) {
        const full = path.join(stagingRoot, entry);
        if (entry !== current && now.getTime() - statSync(full).mtimeMs > stagingLifetimeMs) rmSync(full, { recursive: true, force: true });
    }
}

function normaliseDirectories(dir: string): void {
    chmodSync(dir, 0o755);
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) normaliseDirectories(path.join(dir, e.name));
}

function listFiles(root: string, rel: string): string[] {
    const out: string[] = [];
    const entries = readdirSync(path.join(root, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
        const child = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) out.push(...listFiles(root, child));
        else if (e.isFile() || e.isSymbolicLink()) out.push(child);
    }
    return out;
}

interface IgnorePattern {
    negate: boolean;
    regex: RegExp;
}

function readIgnorePatterns(contextDir: string, dockerfile: string): IgnorePattern[] {
    // Like Docker: <Dockerfile>.dockerignore, when present, replaces .dockerignore.
    const candidates = [path.join(contextDir, `${dockerfile}.dockerignore`), path.join(contextDir, ".dockerignore")];
    const file = candidates.find((c) => existsSync(c));
    if (file === undefined) return [];
    const text = readFileSync(file, "utf8");
    return text
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l !== "" && !l.startsWith("#"))
        .map((l) => {
            const negate = l.startsWith("!");
            const pattern = (negate ? l.slice(1) : l).replace(/^\/+/, "").replace(/\/+$/, "");
            return { negate, regex: globToRegex(pattern) };
        });
}

/** Docker's matching: `**` spans directories, `*` and `?` do not; a match on a directory covers what is inside. */
export function globToRegex(glob: string): RegExp {
    let re = "";
    for (let i = 0; i < glob.length; i++) {
        const c = glob[i];
        if (c === "*" && glob[i + 1] === "*") {
            re += ".*";
            i++;
            if (glob[i + 1] === "/") i++;
        } else if (c === "*") re += "[^/]*";
        else if (c === "?") re += "[^/]";
        else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
    return new RegExp(`^${re}(/.*)?$`);
}

export function isIgnored(file: string, patterns: IgnorePattern[]): boolean {
    let ignored = false;
    for (const p of patterns) if (p.regex.test(file)) ignored = !p.negate;
    return ignored;
}
