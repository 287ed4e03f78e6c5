import { ConfigError } from "../lib/config-error";
import { hashValue, sha256, stableStringify } from "../lib/hashing";
import type { ProcessDefinition } from "../lib/process";
import { maxLedgerEntryBytes, serialiseEntry, type LedgerEntry, type RunningPointer } from "./ledger";

/**
 * The release plan: pure, computed once before anything is declared, from the history read
 * from SSM and what this run is made of. It decides the ids, whether a release is new, which
 * release runs, what changed, and whether the image must be built.
 */

/** One config key of a new release, as the plan sees it. */
export interface PlannedValue {
    key: string;
    secret: boolean;
    /**
     * What decides the value, known before deploying: the value itself, or for a value known
     * only after deploying (an owned database's URL) what determines it. Only its hash is kept.
     */
    decidedBy: string;
}

/** What a new release is made of: the build and this stack's config. */
export interface ReleaseContent {
    /** Build identity known before deploying (`source:<context hash>` or `image:<ref>`). */
    build: string;
    /** True when this run declares the image build (it builds and pushes it). */
    built: boolean;
    values: PlannedValue[];
    /** How each process type runs (commands, ports, health checks): part of the release. */
    processes: Record<string, ProcessDefinition>;
    /** The newest migration the build carries: recorded, not hashed (the build identity decides it). */
    migrationHead?: string;
}

export interface PlanInput {
    /** SSM path of this stack, `/<app>/<stack>`: secret hashes are salted with the key's path below it. */
    parameterPath: string;
    ledger: LedgerEntry[];
    pointer?: RunningPointer;
    /** `release.pin`: run this earlier release and declare nothing new. */
    pin?: string;
    /** The id number a new release gets: the first with no parameters in AWS yet. */
    nextNumber: number;
    /** What a new release would be made of; not needed (and not read) while pinned. */
    content?: ReleaseContent;
}

/** The newest release after this run, when this run declares it. */
export interface PlannedHead {
    /** The ledger entry to write (its image is filled in once the build has a digest). */
    entry: Omit<LedgerEntry, "image"> & { image?: string };
    /** True when this run creates it; false when it re-declares the newest entry exactly as recorded. */
    isNew: boolean;
}

export interface ReleasePlan {
    /** The release the services run: the head, or the pinned one. */
    runningId: string;
    /** The release that ran before the running one, if any. */
    previousId?: string;
    /** The newest release in the ledger after this run. */
    newestId: string;
    /** Declared by this run; absent while a pin freezes the stack. */
    head?: PlannedHead;
    /** The ledger entry of the running release when a pin selects it (rollback). */
    pinned?: LedgerEntry;
    /** Content digest of the running release. */
    digest: string;
    /** Process definitions of the running release. */
    processes: Record<string, ProcessDefinition>;
    /** The running release's migration head, when recorded. */
    migrationHead?: string;
    /** Keys whose value hashes differ between the previous and the running release. */
    changes: KeyChanges;
    /** Process types whose definitions differ between them. */
    changedProcesses: string[];
}

export interface KeyChanges {
    added: string[];
    changed: string[];
    removed: string[];
}

/**
 * - `pin` freezes the stack on an earlier release (rollback): nothing new is declared, so a
 *   pinned stack never records a new release when what it builds or promotes moves on.
 * - Otherwise the head is the newest ledger entry when its digest equals this run's and the
 *   stack's state continued since it was written (the running pointer exists); it is then
 *   re-declared exactly as recorded. Anything else is a new release `v<nextNumber>`: after
 *   `pulumi destroy` the values a re-declared id would get (a new database password, a new
 *   repository) cannot be proven equal, and vN is never rewritten.
 */
export function planRelease(input: PlanInput): ReleasePlan {
    const { ledger, pointer } = input;
    const previousOf = (runningId: string) => pointer === undefined ? undefined : pointer.running === runningId ? pointer.previous : pointer.running;
    const pinned = findPinned(ledger, input.pin);
    const newest = ledger[ledger.length - 1];
    let running: Omit<LedgerEntry, "image">;
    let head: PlannedHead | undefined;
    if (pinned !== undefined) {
        running = pinned;
    } else {
        if (input.content === undefined) throw new Error("planRelease: an unpinned run needs the release content");
        const entry = newEntry(input.content, input.parameterPath);
        const reuse = newest !== undefined && newest.digest === entry.digest && pointer !== undefined;
        head = reuse ? { entry: newest, isNew: false } : { entry: { ...entry, id: `v${input.nextNumber}` }, isNew: true };
        if (head.isNew) checkEntrySize(head.entry);
        running = head.entry;
    }
    const previousId = previousOf(running.id);
    const previous = ledger.find((e) => e.id === previousId);
    const definitions = (processes: Record<string, ProcessDefinition> | undefined) =>
        Object.fromEntries(Object.entries(processes ?? {}).map(([name, p]) => [name, stableStringify(p)]));
    const processChanges = diffKeys(definitions(previous?.processes), definitions(running.processes));
    return {
        runningId: running.id,
        previousId,
        newestId: head?.entry.id ?? newest.id,
        head,
        pinned,
        digest: running.digest,
        processes: running.processes,
        migrationHead: running.migrationHead,
        changes: diffKeys(previous?.keys ?? {}, running.keys),
        changedProcesses: [...processChanges.added, ...processChanges.changed, ...processChanges.removed].sort(),
    };
}

function newEntry(content: ReleaseContent, parameterPath: string): Omit<LedgerEntry, "image" | "id"> {
    const values = [...content.values].sort((a, b) => (a.key < b.key ? -1 : 1));
    const keys = Object.fromEntries(values.map((v) => [v.key, hashValue(v.decidedBy, v.secret, `${parameterPath}/${v.key}`)]));
    return {
        digest: releaseDigest(content.build, keys, content.processes),
        keys,
        secretKeys: values.filter((v) => v.secret).map((v) => v.key),
        processes: content.processes,
        build: content.build,
        built: content.built,
        migrationHead: content.migrationHead,
    };
}

/** A ledger entry is one SSM parameter: at most 8 KB in the advanced tier. */
function checkEntrySize(entry: Omit<LedgerEntry, "image">): void {
    // Room for the longest image reference ECR hands out.
    const bytes = Buffer.byteLength(serialiseEntry({ ...entry, image: "0".repeat(300) }));
    if (bytes > maxLedgerEntryBytes) {
        throw new ConfigError([{ key: "twelve-factor:env", message: `expected a release whose ledger entry fits SSM's ${maxLedgerEntryBytes}-byte advanced tier, got about ${bytes} bytes (${Object.keys(entry.keys).length} keys): use fewer, or build settings that rarely change into the image` }]);
    }
}

/** The release content digest: same build, values and process definitions ⇒ same digest. */
export function releaseDigest(build: string, keys: Record<string, string>, processes: Record<string, ProcessDefinition>): string {
    return sha256(stableStringify({ image: build, keys, processes }));
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

/** Keys whose value hashes differ between two releases. Values themselves are never compared or shown. */
export function diffKeys(before: Record<string, string>, after: Record<string, string>): KeyChanges {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return {
        added: keys.filter((k) => !(k in before)),
        changed: keys.filter((k) => k in before && k in after && before[k] !== after[k]),
        removed: keys.filter((k) => !(k in after)),
    };
}
