import type { ParameterMetadata } from "@aws-sdk/client-ssm";
import { opsRecordName, type OpsRecord } from "../lib/ops-record";
import { ledgerEntryName, parameterName, parseLedger, parsePointer, pointerName, type LedgerEntry, type RunningPointer } from "../release/ledger";
import { describeBelow, parametersByPath, stringParameter, type Clients } from "./aws";
import { OpsError } from "./io";
import type { StackRef } from "./stack";

/** A ledger entry with who wrote it and when (SSM's parameter metadata). */
export interface LedgerRow {
    entry: LedgerEntry;
    written?: Date;
    by?: string;
}

export interface StackState {
    /** Oldest first. */
    ledger: LedgerRow[];
    pointer?: RunningPointer;
}

/** The ledger (values: the entries) and its metadata (who and when), and the running pointer. */
export async function readState(c: Clients, ref: StackRef): Promise<StackState> {
    const [parameters, metadata, pointerValue] = await Promise.all([
        parametersByPath(c.ssm, `${ref.path}/ledger`),
        describeBelow(c.ssm, `${ref.path}/ledger`),
        stringParameter(c.ssm, pointerName(ref.path)),
    ]);
    const byName = new Map(metadata.map((m) => [m.Name, m]));
    let entries: LedgerEntry[];
    try {
        entries = parseLedger(parameters);
    } catch (e) {
        throw new OpsError((e as Error).message, "the ledger is written by the program only; restore the entry from its parameter history (aws ssm get-parameter-history)", 1);
    }
    const ledger = entries.map((entry) => {
        const meta = byName.get(ledgerEntryName(ref.path, entry.id));
        const modified = meta?.LastModifiedDate ?? parameters.find((p) => p.name === ledgerEntryName(ref.path, entry.id))?.modified;
        return { entry, written: modified, by: meta?.LastModifiedUser };
    });
    return { ledger, pointer: parsePointer(pointerName(ref.path), pointerValue) };
}

/** The state of a stack that has released at least once. */
export async function readDeployedState(c: Clients, ref: StackRef): Promise<StackState> {
    const state = await readState(c, ref);
    if (state.ledger.length === 0) throw neverDeployed(ref, c.region);
    return state;
}

export function neverDeployed(ref: StackRef, region: string): OpsError {
    return new OpsError(`stack ${ref.stack} has no releases in ${ref.path}/ledger (${region})`,
        `it was never deployed in this account and region: check AWS_PROFILE and aws:region in ${ref.stackFile.split("/").pop()}, or deploy it first (pulumi up --stack ${ref.stack})`, 3);
}

export function findRelease(state: StackState, id: string): LedgerRow {
    const row = state.ledger.find((r) => r.entry.id === id);
    if (row === undefined) {
        const known = state.ledger.map((r) => r.entry.id);
        throw new OpsError(`release ${id} is not in the ledger`, `known releases: ${known.length > 8 ? `${known.slice(0, 3).join(", ")} … ${known.slice(-4).join(", ")}` : known.join(", ")} (npm run ops -- releases)`, 3);
    }
    return row;
}

/** Which of a release's parameters exist (metadata only: no value is read). */
export async function releaseParameters(c: Clients, ref: StackRef, entry: LedgerEntry): Promise<{ present: ParameterMetadata[]; missing: string[] }> {
    const present = await describeBelow(c.ssm, `${ref.path}/releases/${entry.id}`);
    const names = new Set(present.map((p) => p.Name));
    return { present, missing: Object.keys(entry.keys).sort().filter((k) => !names.has(parameterName(ref.path, entry.id, k))) };
}

export async function readOpsRecord(c: Clients, ref: StackRef): Promise<OpsRecord> {
    const value = await stringParameter(c.ssm, opsRecordName(ref.path));
    if (value === undefined) {
        throw new OpsError(`stack ${ref.stack} has no ops record (${opsRecordName(ref.path)} in ${c.region})`,
            `the program writes it on every deploy once the services are steady: deploy the stack with this version (pulumi up --stack ${ref.stack}), and check AWS_PROFILE and aws:region`, 3);
    }
    return JSON.parse(value) as OpsRecord;
}

/** `sha256:` and the first 12 hex digits of an image's digest. */
export function shortDigest(image: string): string {
    const m = /@(sha256:[0-9a-f]{12})/.exec(image);
    return m ? m[1] : image;
}
