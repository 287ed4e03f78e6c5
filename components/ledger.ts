import { createHash, pbkdf2Sync } from "crypto";
import type { ProcessDefinition } from "./processes";

/**
 * The release ledger: pure functions over the manifests a stack keeps in SSM
 * (`/<app>/<stack>/ledger/<id>`). Nothing here talks to AWS or Pulumi.
 */

/** One release as recorded in the ledger. Holds value hashes only, never values. */
export interface LedgerEntry {
    id: string;
    /** Content digest over the image identity and every key's value hash. */
    digest: string;
    /** Image reference pinned by digest (`repo@sha256:…`). */
    image: string;
    /** Config key → value hash (secret values hashed with a slow, salted KDF). */
    keys: Record<string, string>;
    /** Keys whose parameters are SecureString. */
    secretKeys: string[];
    /** How each process type runs in this release (commands, ports, health checks). */
    processes: Record<string, ProcessDefinition>;
}

/** Which release each role points at, kept in `/<app>/<stack>/running`. */
export interface RunningPointer {
    running: string;
    previous?: string;
}

/** What the program declares and runs this time. */
export interface ReleasePlan {
    /** The newest release: declared every run (unchanged inputs ⇒ no diff). */
    headId: string;
    /** True when this run creates the head. */
    headIsNew: boolean;
    /** The release the services run: the head, or a pinned earlier one from the ledger. */
    runningId: string;
    /** The ledger entry of the running release when it is not the head (rollback). */
    pinned?: LedgerEntry;
    /** The release that ran before the running one, if any. */
    previousId?: string;
}

const releaseIdPattern = /^v([1-9][0-9]*)$/;

export function releaseNumber(id: string): number {
    const m = releaseIdPattern.exec(id);
    if (!m) throw new Error(`Malformed release id "${id}": expected v<number>`);
    return Number(m[1]);
}

/** JSON with object keys sorted at every level, so equal content always serialises equally. */
export function stableStringify(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
    if (value !== null && typeof value === "object") {
        const entries = Object.entries(value as Record<string, unknown>)
            .filter(([, v]) => v !== undefined)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(",")}}`;
    }
    return JSON.stringify(value);
}

export function sha256(text: string | Buffer): string {
    return createHash("sha256").update(text).digest("hex");
}

/**
 * A value's fingerprint for change detection. Secret values go through PBKDF2 salted with
 * the key's full name, so the ledger (a plain String parameter) cannot be brute-forced cheaply.
 */
export function hashValue(value: string, secret: boolean, salt: string): string {
    if (!secret) return sha256(value).slice(0, 16);
    return pbkdf2Sync(value, salt, 100_000, 8, "sha256").toString("hex");
}

/** The release content digest: same image, values and process definitions ⇒ same digest. */
export function releaseDigest(imageIdentity: string, keys: Record<string, string>, processes: Record<string, ProcessDefinition>): string {
    return sha256(stableStringify({ image: imageIdentity, keys, processes }));
}

/** Parses the ledger parameters read from SSM; a malformed entry stops the program. */
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
        throw new Error(`${name} is malformed (${(e as Error).message}); it should read {"running":"vN","previous":"vM"}`);
    }
}

/** The number after the newest ledger entry's. */
export function nextReleaseNumber(ledger: LedgerEntry[]): number {
    const latest = ledger[ledger.length - 1];
    return latest === undefined ? 1 : releaseNumber(latest.id) + 1;
}

/** The ledger entry `release.pin` names; an id the ledger lacks is an error that lists the known ids. */
export function findPinned(ledger: LedgerEntry[], pin: string | undefined): LedgerEntry | undefined {
    if (pin === undefined) return undefined;
    const pinned = ledger.find((e) => e.id === pin);
    if (pinned === undefined) {
        const known = ledger.length === 0 ? "none yet" : ledger.map((e) => e.id).join(", ");
        throw new Error(`twelve-factor:release.pin: release ${pin} is not in this stack's ledger (known releases: ${known})`);
    }
    return pinned;
}

/**
 * Decides the release ids for this run.
 * - The head is the newest ledger entry when its digest equals this run's digest; otherwise a
 *   new release `v<nextNumber>`: the number after the newest entry's, or later when a deploy
 *   that failed before writing its ledger entry left parameters under that id. A release is
 *   never modified: any change makes a new id, even one that restores an older release's
 *   content (that is a new release, as in Heroku).
 * - `pin` selects an earlier release to run (rollback); it must exist in the ledger.
 */
export function planRelease(ledger: LedgerEntry[], digest: string, pin: string | undefined, pointer: RunningPointer | undefined, nextNumber = nextReleaseNumber(ledger)): ReleasePlan {
    const latest = ledger[ledger.length - 1];
    const headIsNew = latest === undefined || latest.digest !== digest;
    const headId = headIsNew ? `v${nextNumber}` : latest.id;

    let pinned = findPinned(ledger, pin);
    // Pinning the head itself is no rollback: it runs as the head.
    if (pinned?.id === headId) pinned = undefined;
    const runningId = pinned?.id ?? headId;
    // The pointer only moves when the running release changes, so re-running is a no-op.
    const previousId = pointer === undefined ? undefined : pointer.running === runningId ? pointer.previous : pointer.running;
    return { headId, headIsNew, runningId, pinned, previousId };
}

export interface KeyChanges {
    added: string[];
    changed: string[];
    removed: string[];
}

/** Keys whose value hashes differ between two releases. Values themselves are never compared or shown. */
export function diffKeys(before: Record<string, string>, after: Record<string, string>): KeyChanges {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return {
        added: keys.filter((k) => !(k in before)),
        changed: keys.filter((k) => k in before && k in after && before[k] !== after[k]),
        removed: keys.filter((k) => !(k in after)),
    };
}
