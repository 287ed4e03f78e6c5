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
    /** What the image was made from (`source:<context hash>` or `image:<ref>`); absent in entries written before it was recorded. */
    build?: string;
    /** True when this release's deploy built and pushed the image (it then sits in the stack's state). */
    built?: boolean;
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

/** What the program declares and runs this time. */
export interface ReleasePlan {
    /** The newest release, declared by this run; absent while a pin freezes the stack. */
    head?: {
        id: string;
        /** True when this run creates it; false when it re-declares the newest ledger entry unchanged. */
        isNew: boolean;
        /** The ledger entry re-declared (exactly as recorded) when not new. */
        existing?: LedgerEntry;
    };
    /** The release the services run: the head, or the pinned one from the ledger. */
    runningId: string;
    /** The ledger entry of the running release when a pin selects it (rollback). */
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
 * - `pin` freezes the stack on an earlier release (rollback): nothing new is declared, so a
 *   pinned stack never records a new release when what it builds or promotes moves on.
 * - Otherwise the head is the newest ledger entry when its digest equals this run's and the
 *   stack's state continued since it was written (the running pointer exists); it is then
 *   re-declared exactly as recorded. Anything else is a new release `v<nextNumber>`: after
 *   `pulumi destroy` the values a re-declared id would get (a new database password, a new
 *   repository) cannot be proven equal, and vN is never rewritten.
 */
export function planRelease(ledger: LedgerEntry[], pointer: RunningPointer | undefined, run: { digest?: string; pin?: string; nextNumber?: number }): ReleasePlan {
    const previousOf = (runningId: string) => pointer === undefined ? undefined : pointer.running === runningId ? pointer.previous : pointer.running;
    const pinned = findPinned(ledger, run.pin);
    if (pinned !== undefined) return { runningId: pinned.id, pinned, previousId: previousOf(pinned.id) };
    if (run.digest === undefined) throw new Error("planRelease: an unpinned run needs the release digest");

    const latest = ledger[ledger.length - 1];
    const reuse = latest !== undefined && latest.digest === run.digest && pointer !== undefined;
    const id = reuse ? latest.id : `v${run.nextNumber ?? nextReleaseNumber(ledger)}`;
    // The pointer only moves when the running release changes, so re-running is a no-op.
    return { head: { id, isNew: !reuse, existing: reuse ? latest : undefined }, runningId: id, previousId: previousOf(id) };
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
