import { readFileSync, readdirSync, statSync } from "fs";
import * as path from "path";
import { sha256 } from "./ledger";

/**
 * A content hash of a Docker build context, computed before anything is declared so that the
 * image tag (and with it the release digest) is known at preview time and unchanged source
 * shows no diff. Honours .dockerignore like Docker does for the common patterns.
 */
export function contextHash(contextDir: string, dockerfile: string, platform: string): string {
    const ignore = readIgnorePatterns(contextDir);
    const files = listFiles(contextDir, "").filter((f) => !isIgnored(f, ignore));
    const hash = sha256(
        [`platform ${platform}`, `dockerfile ${dockerfile}`, ...files.map((f) => {
            const full = path.join(contextDir, f);
            const mode = (statSync(full).mode & 0o111) !== 0 ? "x" : "-";
            return `${f} ${mode} ${sha256(readFileSync(full))}`;
        })].join("\n"),
    );
    return hash;
}

function listFiles(root: string, rel: string): string[] {
    const out: string[] = [];
    const entries = readdirSync(path.join(root, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
        const child = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) out.push(...listFiles(root, child));
        else if (e.isFile()) out.push(child);
    }
    return out;
}

interface IgnorePattern {
    negate: boolean;
    regex: RegExp;
}

function readIgnorePatterns(contextDir: string): IgnorePattern[] {
    let text: string;
    try {
        text = readFileSync(path.join(contextDir, ".dockerignore"), "utf8");
    } catch {
        return [];
    }
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
