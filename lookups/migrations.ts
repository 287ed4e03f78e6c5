import { readdirSync, readFileSync } from "fs";
import * as path from "path";
import type { ImageSource, PromotedImage } from "../lib/image";

/**
 * The migration head of a release: the newest migration its source carries, recorded in its
 * ledger entry so that a rollback across a migration can say so (the database is not rolled
 * back). Read from the staged build context by convention, nothing to configure:
 *
 * - files in a directory named `migrations` (`0004_add_index.sql`, `20240101120000_x.rb`,
 *   Prisma's `migrations/<timestamp>_<name>/`): the newest by leading number, then name;
 * - else a module `migrations.{js,cjs,mjs,ts,json}` listing `{id: <number>, name: '<name>'}`
 *   entries (the sample app's `src/migrations.js`): the highest id, as `<id>_<name>`.
 *
 * A promoted image carries the head the stack it comes from recorded; an image given by
 * reference has none that can be read.
 */
export function migrationHeadOf(source: ImageSource | undefined, projectRoot: string, promoted: PromotedImage | undefined): string | undefined {
    if (source === undefined) return undefined;
    if (source.kind === "source") return readMigrationHead(path.resolve(projectRoot, source.staged.context));
    return promoted?.image === source.image ? promoted.migrationHead : undefined;
}

export function readMigrationHead(contextDir: string): string | undefined {
    const files = walk(contextDir, "");
    const inDirectory = files.flatMap((f) => {
        const parts = f.split("/");
        const at = parts.lastIndexOf("migrations");
        // The entry right below `migrations/`: a file (without extension) or a directory.
        return at >= 0 && at < parts.length - 1 ? [parts[at + 1].replace(/\.[^.]+$/, "")] : [];
    });
    if (inDirectory.length > 0) return [...new Set(inDirectory)].sort(byLeadingNumber).pop();
    const modules = files.filter((f) => /(^|\/)migrations\.(js|cjs|mjs|ts|json)$/.test(f)).sort();
    for (const file of modules) {
        const text = readFileSync(path.join(contextDir, file), "utf8");
        const entries = [...text.matchAll(/["']?\bid["']?\s*:\s*(\d+)\s*,?\s*(?:["']?name["']?\s*:\s*["'`]([^"'`]+)["'`])?/g)]
            .map((m) => ({ id: Number(m[1]), name: m[2] }));
        if (entries.length === 0) continue;
        const newest = entries.reduce((a, b) => (b.id > a.id ? b : a));
        return newest.name === undefined ? String(newest.id) : `${newest.id}_${newest.name}`;
    }
    return undefined;
}

/** Orders migration names by their leading number (sequence or timestamp), then by name. */
export function byLeadingNumber(a: string, b: string): number {
    const n = (s: string) => { const m = /^\d+/.exec(s); return m ? BigInt(m[0]) : -1n; };
    const [x, y] = [n(a), n(b)];
    return x !== y ? (x < y ? -1 : 1) : a < b ? -1 : a > b ? 1 : 0;
}

function walk(root: string, rel: string): string[] {
    return readdirSync(path.join(root, rel), { withFileTypes: true }).flatMap((e) => {
        if (e.name.startsWith(".") || e.name === "node_modules") return [];
        const child = rel === "" ? e.name : `${rel}/${e.name}`;
        return e.isDirectory() ? [child, ...walk(root, child)] : [child];
    });
}
