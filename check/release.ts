import type { StackConfig } from "../config";
import { stackParameterPath } from "../lib/naming";
import type { Evaluation } from "../offline/evaluate";
import { ledgerEntryName, parseLedger, pointerName, type LedgerEntry } from "../release/ledger";
import { releaseDigest } from "../release/plan";
import type { ReleaseReport } from "./types";

/**
 * The release a deploy would create, from what the program declared against the ledger read
 * from a file (or none). Secret values are opaque here, yet they are hashed into the release
 * digest: where the answer depends on them, the report says so instead of guessing.
 */

interface Planned {
    running: string;
    previous: string;
    pinned: string;
    newest: string;
}

interface Changes {
    added: string[];
    changed: string[];
    removed: string[];
    processes: string[];
}

export interface ReleaseInput {
    config: StackConfig;
    /** The SSM parameters the check was given (ledger, pointer, records). */
    ssm: Record<string, string>;
    ledgerGiven: boolean;
    /** Release keys whose values the check cannot see. */
    opaqueKeys: string[];
    /** The promoted stack's outputs were simulated (no --stack-outputs). */
    promotionSimulated: boolean;
}

export function releaseReport(run: Evaluation, input: ReleaseInput): ReleaseReport {
    const path = stackParameterPath(input.config.app, input.config.stack);
    const ledger = parseLedger(Object.entries(input.ssm).filter(([name]) => name.startsWith(`${path}/ledger/`)).map(([name, value]) => ({ name, value })));
    const newest: LedgerEntry | undefined = ledger[ledger.length - 1];
    const pointer = input.ssm[pointerName(path)];
    const planned = run.outputs.plannedRelease as Planned;
    const changes = (run.outputs.releaseChanges ?? { added: [], changed: [], removed: [], processes: [] }) as Changes;
    const none = (id: string) => (id === "none" ? null : id);

    const declaredHead = run.ofType("aws:ssm/parameter:Parameter").find((p) => p.inputs.name === ledgerEntryName(path, planned.newest));
    const head = declaredHead === undefined ? undefined : (JSON.parse(String(declaredHead.inputs.insecureValue)) as LedgerEntry);
    const opaque = new Set(input.opaqueKeys);

    let status: ReleaseReport["status"];
    let release = planned.running;
    let keys = { added: changes.added, changed: changes.changed.filter((k) => !opaque.has(k)), removed: changes.removed, unknown: changes.changed.filter((k) => opaque.has(k)) };
    let processesChanged = changes.processes;
    let digest: string | null = String(run.outputs.releaseDigest);
    if (planned.pinned !== "none") {
        status = "pinned";
    } else if (newest !== undefined && planned.newest === newest.id) {
        status = "same";
        keys = { added: [], changed: [], removed: [], unknown: [] };
        processesChanged = [];
    } else {
        status = "new";
        // The program hashed stand-ins for the secret values: the digest is not the deploy's.
        if (opaque.size > 0) digest = null;
        // With the newest entry's hashes for the opaque keys, would it be the same release?
        if (head !== undefined && newest !== undefined && pointer !== undefined && opaque.size > 0 && [...opaque].every((k) => newest.keys[k] !== undefined && head.keys[k] !== undefined)) {
            const keysIfUnchanged = { ...head.keys, ...Object.fromEntries([...opaque].map((k) => [k, newest.keys[k]])) };
            if (head.build !== undefined && releaseDigest(head.build, keysIfUnchanged, head.processes) === newest.digest) {
                status = "same-unless-secrets";
                release = newest.id;
                keys = { added: [], changed: [], removed: [], unknown: [...opaque].sort() };
                processesChanged = [];
            }
        }
    }

    const web = run.ofType("aws:ecs/taskDefinition:TaskDefinition")[0];
    const containers = web === undefined ? [] : (JSON.parse(String(web.inputs.containerDefinitions)) as { image?: string }[]);
    const built = run.ofType("docker:index/image:Image")[0];
    const builds = built !== undefined;
    const source = status === "pinned" ? "pinned" : input.config.build.kind === "source" ? "build" : input.config.build.kind;
    return {
        release,
        status,
        previous: none(planned.previous),
        pinned: none(planned.pinned),
        digest: status === "same-unless-secrets" ? newest!.digest : digest,
        ledger: { given: input.ledgerGiven, entries: ledger.length, newest: newest?.id ?? null },
        image: {
            ref: builds ? String(built.inputs.imageName) : String(containers[0]?.image ?? ""),
            source,
            builds,
            // A build's digest is known after the push; a promotion without --stack-outputs is simulated.
            simulated: builds || (source === "promote" && input.promotionSimulated),
        },
        keys,
        processesChanged,
    };
}
