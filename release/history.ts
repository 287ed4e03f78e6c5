import * as aws from "@pulumi/aws";
import { parameterName, parseLedger, parsePointer, pointerName, releaseNumber, type LedgerEntry, type RunningPointer } from "./ledger";

/**
 * What the stack's past left in SSM, read before anything is declared (data sources, so a
 * preview reads them too): the ledger, the running pointer, the other records the stack keeps
 * beside them, and the first release id no failed deploy has used.
 */
export interface ReleaseHistory {
    /** Oldest first. */
    ledger: LedgerEntry[];
    /** Absent before the first deploy that reached steady state, and after a destroy. */
    pointer?: RunningPointer;
    /** Other parameters directly below the stack's path (`/<app>/<stack>/<name>` → value). */
    records: Record<string, string>;
    /** The id number a new release gets. */
    nextNumber: number;
}

export async function readHistory(parameterPath: string): Promise<ReleaseHistory> {
    const [ledgerParameters, top] = await Promise.all([byPath(`${parameterPath}/ledger`, true), byPath(parameterPath, false)]);
    const ledger = parseLedger(ledgerParameters);
    const records = Object.fromEntries(top.map((p) => [p.name, p.value]));
    const newest = ledger[ledger.length - 1];
    return {
        ledger,
        pointer: parsePointer(pointerName(parameterPath), records[pointerName(parameterPath)]),
        records,
        nextNumber: await firstUnusedReleaseNumber(parameterPath, newest === undefined ? 1 : releaseNumber(newest.id) + 1),
    };
}

/**
 * A deploy that failed before writing its ledger entry leaves that release's parameters in
 * AWS (they are kept); a new release must not reuse, and so rewrite, those names.
 */
async function firstUnusedReleaseNumber(parameterPath: string, from: number): Promise<number> {
    for (let n = from; n < from + 100; n++) {
        if ((await byPath(`${parameterPath}/releases/v${n}`, true)).length === 0) return n;
    }
    throw new Error(`${parameterPath}/releases: v${from}…v${from + 99} all hold parameters without ledger entries; delete the orphans or repair the ledger`);
}

/** Every parameter of a pinned release must still exist (a prune or a manual delete removes them). */
export async function checkParametersExist(parameterPath: string, entry: LedgerEntry): Promise<void> {
    const found = (await byPath(`${parameterPath}/releases/${entry.id}`, true)).map((p) => p.name);
    const missing = Object.keys(entry.keys).sort().filter((key) => !found.includes(parameterName(parameterPath, entry.id, key)));
    if (missing.length > 0) {
        throw new Error(`twelve-factor:release.pin: release ${entry.id} cannot run again: its parameters ${missing.join(", ")} are gone from ${parameterPath}/releases/${entry.id} (pruned or deleted); pin a release whose parameters still exist`);
    }
}

/** Parameter names and values below a path; values are read without decryption (no kms:Decrypt needed). */
async function byPath(path: string, recursive: boolean): Promise<{ name: string; value: string }[]> {
    const found = await aws.ssm.getParametersByPath({ path, recursive, withDecryption: false });
    return found.names.map((name, i) => ({ name, value: found.values[i] }));
}
