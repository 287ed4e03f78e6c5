import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync } from "fs";
import * as path from "path";
import { sha256 } from "./ledger";

/**
 * A content hash of a Docker build context, computed before anything is declared so that the
 * image tag (and with it the release digest) is known at preview time and unchanged source
 * shows no diff. Honours .dockerignore like Docker does for the common patterns.
 */
export function contextHash(contextDir: string, dockerfile: string, platform: string): string {
    const ignore = readIgnorePatterns(contextDir, dockerfile);
    const files = listFiles(contextDir, "").filter((f) => !isIgnored(f, ignore));
    // At least as sensitive as the Docker provider's own context digest (full permission bits,
    // symlink targets, the Dockerfile even when ignored): whenever it would rebuild, the tag
    // changes too, so a rebuild never pushes to an existing immutable tag.
    const entries = files.map((f) => {
        const full = path.join(contextDir, f);
        const stat = lstatSync(full);
        if (stat.isSymbolicLink()) return `${f} -> ${readlinkSync(full)}`;
        return `${f} ${(stat.mode & 0o7777).toString(8)} ${sha256(readFileSync(full))}`;
    });
    return sha256([`platform ${platform}`, `dockerfile ${dockerfile} ${sha256(readFileSync(path.join(contextDir, dockerfile)))}`, ...entries].join("\n"));
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
