import { stableStringify } from "../lib/hashing";
import type { ProcessDefinition } from "../lib/process";

/**
 * The release ledger's format: what a stack keeps in SSM below `/<app>/<stack>` — one
 * parameter set per release (`releases/<id>/<KEY>`), one ledger entry per release
 * (`ledger/<id>`) and the running pointer (`running`). Pure: nothing here talks to AWS.
 */

/** One release as recorded in the ledger. Holds value hashes only, never values. */
export interface LedgerEntry {
    id: string;
    /** Content digest over the build identity, every key's value hash and the process definitions. */
    digest: string;
    /** Image reference pinned by digest (`repo@sha256:…`). */
    image: string;
    /** Config key → value hash (secret values hashed with a slow, salted KDF). */
    keys: Record<string, string>;
    /** Keys whose parameters are SecureString. */
    secretKeys: string[];
    /** How each process type runs in this release (commands, ports, health checks). */
    processes: Record<string, ProcessDefinition>;
    /** What the image was made from (`source:<context hash>` or `image:<ref>`); absent in entries written before it was recorded. */
    build?: string;
    /** True when this release's deploy built and pushed the image (it then sits in the stack's state). */
    built?: boolean;
    /** The newest migration its source carries (lookups/migrations.ts); absent when unknown or in entries written before it was recorded. */
    migrationHead?: string;
}

/**
 * What runs, kept in `/<app>/<stack>/running` and written only once every service is steady:
 * the stack's outputs and promotion read it, so a failed deploy never reports or promotes
 * what it tried to run.
 */
export interface RunningPointer {
    running: string;
    previous?: string;
    /** Image of the running release, pinned by digest (absent in pointers written before it was recorded). */
    image?: string;
    /** The image's platform, so a stack promoting this image can check its architecture. */
    platform?: string;
}

export function parameterName(parameterPath: string, releaseId: string, key: string): string {
    return `${parameterPath}/releases/${releaseId}/${key}`;
}

export function ledgerEntryName(parameterPath: string, releaseId: string): string {
    return `${parameterPath}/ledger/${releaseId}`;
}

export function pointerName(parameterPath: string): string {
    return `${parameterPath}/running`;
}

const releaseIdPattern = /^v([1-9][0-9]*)$/;

export function releaseNumber(id: string): number {
    const m = releaseIdPattern.exec(id);
    if (!m) throw new Error(`Malformed release id "${id}": expected v<number>`);
    return Number(m[1]);
}

/** Parses the ledger parameters read from SSM, oldest first; a malformed entry stops the program. */
export function parseLedger(parameters: { name: string; value: string }[]): LedgerEntry[] {
    const entries = parameters.map(({ name, value }) => {
        let entry: LedgerEntry;
        try {
            entry = JSON.parse(value) as LedgerEntry;
        } catch {
            throw new Error(`Ledger entry ${name} is not JSON; the ledger is append-only and must not be edited by hand`);
        }
        if (!name.endsWith(`/${entry.id}`) || typeof entry.digest !== "string" || typeof entry.image !== "string" || typeof entry.keys !== "object" || typeof entry.processes !== "object") {
            throw new Error(`Ledger entry ${name} is malformed: expected {id, digest, image, keys, secretKeys, processes}`);
        }
        releaseNumber(entry.id);
        return entry;
    });
    return entries.sort((a, b) => releaseNumber(a.id) - releaseNumber(b.id));
}

export function parsePointer(name: string, value: string | undefined): RunningPointer | undefined {
    if (value === undefined) return undefined;
    try {
        const pointer = JSON.parse(value) as RunningPointer;
        releaseNumber(pointer.running);
        return pointer;
    } catch (e) {
        throw new Error(`${name} is malformed (${(e as Error).message}); it should read {"running":"vN","previous":"vM",…}`);
    }
}

/** SSM's advanced tier: the largest parameter value, and so the largest ledger entry. */
export const maxLedgerEntryBytes = 8192;

/** The serialised ledger entry, exactly as stored. */
export function serialiseEntry(entry: LedgerEntry): string {
    return stableStringify(entry);
}
