import { readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { byLeadingNumber } from "../../lookups/migrations";
import { diffKeys } from "../../release/plan";
import type { Invocation } from "../cli";
import { OpsError } from "../io";
import { editPin } from "../pin-edit";
import { findRelease, readDeployedState, readState, releaseParameters, shortDigest, type LedgerRow } from "../state";

/**
 * Rollback by config, as the program defines it: `release.pin` selects a release of the
 * ledger. The command checks that the release can run again, says what the change does (keys,
 * image, migrations), writes the pin into the stack file, and either prints the next step
 * (commit, review, deploy through CI) or deploys at once.
 */
export async function rollback({ ref, clients, positionals, options, io }: Invocation): Promise<number> {
    const clear = options.clear === true;
    const dryRun = options["dry-run"] === true;
    if (clear === (positionals.length === 1)) throw new OpsError(clear ? "rollback --clear takes no release id" : "rollback needs a release id, or --clear", "npm run ops -- rollback <id> --stack <name>, or rollback --clear", 2);
    const state = await readDeployedState(clients, ref);
    const newest = state.ledger[state.ledger.length - 1];
    if (clear && ref.pin === undefined) {
        io.out(`${ref.stack} has no release.pin: the newest release (${newest.entry.id}) is what a deploy runs. Nothing to clear.\n`);
        return 0;
    }
    const target = clear ? newest : findRelease(state, positionals[0]);
    const { missing } = await releaseParameters(clients, ref, target.entry);
    if (missing.length > 0) {
        throw new OpsError(`release ${target.entry.id} cannot run again: its parameters ${missing.join(", ")} are gone from ${ref.path}/releases/${target.entry.id} (pruned or deleted)`,
            "pick a release whose parameters still exist (npm run ops -- release <id> says)", 4);
    }
    const runningId = state.pointer?.running;
    const running = state.ledger.find((r) => r.entry.id === runningId);
    const fileName = path.basename(ref.stackFile);
    const text = readFileSync(ref.stackFile, "utf8");
    const edited = editPin(text, ref.namespace, clear ? undefined : target.entry.id);

    io.out(`${clear ? `Clear the pin (${ref.pin}): the newest release runs again` : `Roll ${ref.stack} back to ${target.entry.id}`}\n`);
    io.out(`  runs now   ${runningId ?? "nothing (no running pointer)"}${running ? `  ${shortDigest(running.entry.image)}` : ""}\n`);
    io.out(`  will run   ${target.entry.id}  ${shortDigest(target.entry.image)}${running && running.entry.image === target.entry.image ? " (same image)" : ""}\n`);
    if (running) io.out(`  keys       ${describeKeyChanges(running, target)}\n`);
    const migration = migrationStep(running, target);
    if (migration.note) io.out(`  migrations ${migration.note}\n`);

    const lines = diffLines(text, edited);
    const deploy = options.deploy === true;
    if (dryRun) {
        io.out(`\nDry run: nothing written, nothing deployed. It would:\n`);
        io.out(lines.length === 0 ? `  leave ${fileName} as it is (already ${clear ? "unpinned" : `pinned to ${target.entry.id}`})\n` : `  edit ${fileName}:\n${lines.map((l) => `    ${l}`).join("\n")}\n`);
        if (migration.confirm) io.out(`  ask for confirmation first (the database is not rolled back), unless --yes\n`);
        io.out(deploy ? `  deploy: pulumi up --stack ${ref.stack} through the Automation API (refresh first), streaming its progress\n`
            : `  print the next steps:\n${nextSteps(ref.stack, fileName, target.entry.id, clear).trimEnd().replace(/^/gm, "    ")}\n`);
        return 0;
    }
    if (migration.confirm && options.yes !== true && !(await io.confirm(`${target.entry.id} is older than the database's schema (${migration.note}). The database is not rolled back. Continue?`))) {
        io.err("Not rolled back: nothing written.\n");
        return 4;
    }
    if (lines.length > 0) {
        writeFileSync(ref.stackFile, edited);
        io.out(`\nWrote ${fileName}:\n${lines.map((l) => `  ${l}`).join("\n")}\n`);
    } else {
        io.out(`\n${fileName} already ${clear ? "has no pin" : `pins ${target.entry.id}`}.\n`);
    }
    if (!deploy) {
        io.out(`\n${nextSteps(ref.stack, fileName, target.entry.id, clear)}`);
        return 0;
    }
    io.out(`\nDeploying ${ref.stack} (pulumi up through the Automation API)…\n`);
    const result = await io.deployer().up({ stack: ref.stack, workDir: io.cwd, onOutput: (t) => io.out(t) });
    const after = await readState(clients, ref);
    const changes = Object.entries(result.changes).map(([k, n]) => `${k} ${n}`).join(", ");
    io.out(`\nDeploy ${result.result}${changes ? ` (${changes})` : ""}: ${ref.stack} runs ${after.pointer?.running ?? "nothing"}${after.pointer?.previous ? `, previous ${after.pointer.previous}` : ""}.\n`);
    if (result.result !== "succeeded" || after.pointer?.running !== target.entry.id) {
        io.err(`The stack does not run ${target.entry.id}: see the deploy's output above; the pin stays in ${fileName}.\n`);
        return 1;
    }
    return 0;
}

function describeKeyChanges(from: LedgerRow, to: LedgerRow): string {
    const c = diffKeys(from.entry.keys, to.entry.keys);
    const words = [...c.added.map((k) => `+${k}`), ...c.changed.map((k) => `~${k}`), ...c.removed.map((k) => `-${k}`)];
    return words.length === 0 ? "no config key differs" : `${words.join(" ")} (names only)`;
}

/** Rolling back below the schema the database has reached needs a yes: migrations are not undone. */
export function migrationStep(running: LedgerRow | undefined, target: LedgerRow): { note?: string; confirm: boolean } {
    const [now, then] = [running?.entry.migrationHead, target.entry.migrationHead];
    if (running === undefined || running.entry.id === target.entry.id) return { confirm: false };
    if (now === undefined || then === undefined) {
        return { note: `unknown (${now === undefined ? running.entry.id : target.entry.id} recorded no migration head): check the schema by hand`, confirm: false };
    }
    const order = byLeadingNumber(then, now);
    if (order === 0) return { note: `same head (${now})`, confirm: false };
    if (order < 0) return { note: `${target.entry.id} carries migrations up to ${then}; the database has ${now} (${running.entry.id}) and keeps it`, confirm: true };
    return { note: `${target.entry.id} adds migrations after ${now}, up to ${then}: its release phase applies them`, confirm: false };
}

function nextSteps(stack: string, fileName: string, id: string, clear: boolean): string {
    const message = clear ? `Unpin ${stack}: run the newest release again` : `Roll ${stack} back to ${id}`;
    return `Next (deploys through CI):
  git add ${fileName} && git commit -m "${message}"
  push, open a pull request (its preview shows the release it runs), merge after review: the deploy workflow runs it
Or deploy from here: npm run ops -- rollback ${clear ? "--clear" : id} --stack ${stack} --deploy
`;
}

/** The lines an edit removes and adds, as `- …` / `+ …`. */
function diffLines(before: string, after: string): string[] {
    const a = before.split("\n");
    const b = after.split("\n");
    let start = 0;
    while (start < a.length && start < b.length && a[start] === b[start]) start++;
    let endA = a.length;
    let endB = b.length;
    while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) { endA--; endB--; }
    return [...a.slice(start, endA).map((l) => `- ${l}`), ...b.slice(start, endB).map((l) => `+ ${l}`)];
}
