import { ledgerEntryName, releaseNumber } from "../../release/ledger";
import { deleteInBatches, describeAll, describeBelow, ssmLimits, stringParameter } from "../aws";
import type { Invocation } from "../cli";
import { OpsError } from "../io";
import { readStack } from "../stack";
import { readDeployedState, type LedgerRow, type StackState } from "../state";
import { isoMinute, table } from "../table";
import { pointerName, parsePointer } from "../../release/ledger";

/** Why a release is kept, or undefined when prune may delete it. */
export function keepReason(row: LedgerRow, index: number, count: number, keep: number, protect: { running?: string; previous?: string; pinned?: string }, olderThan: Date | undefined): string | undefined {
    const id = row.entry.id;
    if (id === protect.running) return "running";
    if (id === protect.previous) return "previous";
    if (id === protect.pinned) return "pinned";
    if (index >= count - keep) return `newest ${keep}`;
    // The next release id follows the newest ledger entry: pruning it would let a later deploy
    // take its id again, and vN would name two releases.
    if (index === count - 1) return "newest";
    if (olderThan !== undefined && (row.written === undefined || row.written >= olderThan)) return "not old enough";
    return undefined;
}

/**
 * Deletes the oldest releases: their parameters first, then their ledger entries (so an
 * interrupted prune leaves a ledger entry whose parameters are gone, which a pin refuses up
 * front, never parameters no ledger lists). The running, previous and pinned releases are read
 * again right before deleting and every name is checked against them.
 */
export async function prune({ ref, clients, options, json, io }: Invocation): Promise<number> {
    const keep = Number(options.keep);
    if (options.keep === undefined || !Number.isInteger(keep) || keep < 0) throw new OpsError(`--keep: expected how many of the newest releases to keep (a whole number), got ${options.keep === undefined ? "nothing" : `"${options.keep}"`}`, "npm run ops -- prune --keep 20 --stack <name>", 2);
    const days = options["older-than"] === undefined ? undefined : Number(options["older-than"]);
    if (days !== undefined && !(Number.isFinite(days) && days >= 0)) throw new OpsError(`--older-than: expected a number of days, got "${options["older-than"]}"`, undefined, 2);
    const olderThan = days === undefined ? undefined : new Date(io.now().getTime() - days * 86_400_000);
    const state = await readDeployedState(clients, ref);
    const protect = { running: state.pointer?.running, previous: state.pointer?.previous, pinned: ref.pin };
    const plan = state.ledger.map((row, i) => ({ row, reason: keepReason(row, i, state.ledger.length, keep, protect, olderThan) }));
    const doomed = plan.filter((p) => p.reason === undefined).map((p) => p.row);
    const names = new Map<string, string[]>();
    for (const row of doomed) names.set(row.entry.id, [...(await describeBelow(clients.ssm, `${ref.path}/releases/${row.entry.id}`)).map((p) => p.Name!).sort(), ledgerEntryName(ref.path, row.entry.id)]);
    const total = [...names.values()].reduce((n, l) => n + l.length, 0);
    const yes = options.yes === true;

    if (!json) {
        io.out(table(["RELEASE", "WRITTEN", "PARAMETERS", yes ? "ACTION" : "WOULD"], [...plan].reverse().map(({ row, reason }) => [
            row.entry.id, isoMinute(row.written), reason === undefined ? String(names.get(row.entry.id)!.length) : "-", reason === undefined ? "delete" : `keep (${reason})`,
        ])));
    }
    let deleted = 0;
    if (!yes) {
        if (!json) io.out(`\nDry run: ${doomed.length} release(s), ${total} parameter(s) would be deleted. Pass --yes to delete them.\n`);
    } else if (doomed.length > 0) {
        await checkStillProtected(ref.stack, io.cwd, clients, ref.path, state, doomed);
        const releaseNames = doomed.flatMap((r) => names.get(r.entry.id)!.slice(0, -1));
        const ledgerNames = doomed.map((r) => ledgerEntryName(ref.path, r.entry.id));
        assertOnly([...releaseNames, ...ledgerNames], ref.path, new Set(doomed.map((r) => r.entry.id)), protect);
        const progress = (what: string, of: number) => (done: number) => io.err(`  deleted ${done}/${of} ${what}\r`);
        const a = await deleteInBatches(clients.ssm, releaseNames, progress("release parameters", releaseNames.length));
        const b = await deleteInBatches(clients.ssm, ledgerNames, progress("ledger entries", ledgerNames.length));
        deleted = a.deleted + b.deleted;
        io.err("\n");
        if (!json) io.out(`\nDeleted ${deleted} parameter(s) of ${doomed.length} release(s) (${doomed.map((r) => r.entry.id).join(", ")}), in batches of ${ssmLimits.deleteBatch}.\n`);
    } else if (!json) io.out("\nNothing to delete.\n");

    let usage: { standard: number; calls: number } | undefined;
    if (options["no-count"] !== true) {
        let calls = 0;
        const standard = (await describeAll(clients.ssm, [{ Key: "Tier", Values: ["Standard"] }], () => calls++)).length;
        usage = { standard, calls };
        if (!json) io.out(`Standard parameters in this account and region (${clients.region}): ${standard} of ${ssmLimits.standardQuota.toLocaleString("en")} (counted with ${calls} DescribeParameters call(s), ${ssmLimits.describePage} per page).\n`);
    }
    if (json) {
        io.out(`${JSON.stringify({ dryRun: !yes, releases: plan.map(({ row, reason }) => ({ id: row.entry.id, written: row.written?.toISOString(), action: reason === undefined ? "delete" : "keep", reason, parameters: names.get(row.entry.id)?.length })), deleted, standardParameters: usage?.standard, quota: ssmLimits.standardQuota }, null, 2)}\n`);
    }
    return 0;
}

/** A deploy or a rollback may have moved the pointer or the pin since the plan was made. */
async function checkStillProtected(stack: string, cwd: string, clients: Invocation["clients"], path: string, before: StackState, doomed: LedgerRow[]): Promise<void> {
    const pointer = parsePointer(pointerName(path), await stringParameter(clients.ssm, pointerName(path)));
    const pin = readStack(cwd, stack).pin;
    const now = [pointer?.running, pointer?.previous, pin];
    const hit = doomed.find((r) => now.includes(r.entry.id));
    if (hit !== undefined || pointer?.running !== before.pointer?.running) {
        throw new OpsError(`the stack moved while prune was planning (it runs ${pointer?.running ?? "nothing"} now${hit ? `, and ${hit.entry.id} is protected` : ""}): nothing deleted`, "run prune again", 4);
    }
}

/** Every name must belong to a release being pruned, and none to a protected one. */
export function assertOnly(names: string[], path: string, ids: Set<string>, protect: { running?: string; previous?: string; pinned?: string }): void {
    for (const name of names) {
        const m = new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/(?:releases/(v\\d+)/[^/]+|ledger/(v\\d+))$`).exec(name);
        const id = m?.[1] ?? m?.[2];
        if (id === undefined || !ids.has(id) || [protect.running, protect.previous, protect.pinned].includes(id)) {
            throw new OpsError(`refusing to delete ${name}: not a parameter of a release being pruned`, "this is a bug; nothing was deleted", 4);
        }
        releaseNumber(id);
    }
}
