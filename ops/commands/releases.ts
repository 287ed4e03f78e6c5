import { diffKeys } from "../../release/plan";
import type { Invocation } from "../cli";
import { findRelease, readDeployedState, releaseParameters, shortDigest, type LedgerRow, type StackState } from "../state";
import { isoMinute, table } from "../table";
import { entriesByKey } from "../../lib/hashing";

/** What changed in a release against the one before it in the ledger: image, and keys by name. */
export function changesOf(row: LedgerRow, before: LedgerRow | undefined) {
    const keys = diffKeys(before?.entry.keys ?? {}, row.entry.keys);
    return { image: before !== undefined && before.entry.image !== row.entry.image, ...keys };
}

export function describeChanges(c: ReturnType<typeof changesOf>, first: boolean): string {
    if (first) return "(first release)";
    const words = [...(c.image ? ["image"] : []), ...c.added.map((k) => `+${k}`), ...c.changed.map((k) => `~${k}`), ...c.removed.map((k) => `-${k}`)];
    return words.length === 0 ? "(processes or database only)" : words.join(" ");
}

export function statesOf(id: string, state: StackState, pin: string | undefined): string[] {
    return [...(state.pointer?.running === id ? ["running"] : []), ...(state.pointer?.previous === id ? ["previous"] : []), ...(pin === id ? ["pinned"] : [])];
}

export async function releases({ ref, clients, json, io }: Invocation): Promise<number> {
    const state = await readDeployedState(clients, ref);
    const rows = state.ledger.map((row, i) => {
        const changes = changesOf(row, state.ledger[i - 1]);
        return { row, changes, first: i === 0, states: statesOf(row.entry.id, state, ref.pin) };
    }).reverse();
    if (json) {
        io.out(`${JSON.stringify(rows.map(({ row, changes, states }) => ({
            id: row.entry.id, written: row.written?.toISOString(), by: row.by, image: row.entry.image, digest: row.entry.digest,
            changes, migrationHead: row.entry.migrationHead, running: states.includes("running"), previous: states.includes("previous"), pinned: states.includes("pinned"),
        })), null, 2)}\n`);
        return 0;
    }
    io.out(table(["RELEASE", "WRITTEN", "BY", "IMAGE", "MIGRATION", "STATE", "CHANGES"], rows.map(({ row, changes, first, states }) => [
        row.entry.id, isoMinute(row.written), shortUser(row.by), shortDigest(row.entry.image), row.entry.migrationHead ?? "-", states.join(",") || "-", describeChanges(changes, first),
    ])));
    if (ref.pin !== undefined && state.pointer?.running !== ref.pin) io.out(`\n${ref.stack} is pinned to ${ref.pin} in its stack file, but ${state.pointer?.running ?? "nothing"} runs: the pin is not deployed yet.\n`);
    return 0;
}

/** `arn:aws:sts::123:assumed-role/deploy/GitHubActions` → `assumed-role/deploy/GitHubActions`. */
function shortUser(user: string | undefined): string {
    return user === undefined ? "-" : user.replace(/^arn:[^:]+:(iam|sts)::\d{12}:/, "");
}

export async function release({ ref, clients, positionals, json, io }: Invocation): Promise<number> {
    const state = await readDeployedState(clients, ref);
    const row = findRelease(state, positionals[0]);
    const { entry } = row;
    const { present, missing } = await releaseParameters(clients, ref, entry);
    const typeOf = new Map(present.map((p) => [p.Name!.split("/").pop()!, p.Type]));
    const states = statesOf(entry.id, state, ref.pin);
    if (json) {
        io.out(`${JSON.stringify({ ...entry, written: row.written?.toISOString(), by: row.by, states, parameters: { present: present.length, missing } }, null, 2)}\n`);
        return 0;
    }
    const secret = new Set(entry.secretKeys);
    const lines = [
        `release    ${entry.id}${states.length ? `  (${states.join(", ")})` : ""}`,
        `written    ${isoMinute(row.written)} by ${row.by ?? "-"}`,
        `image      ${entry.image}`,
        `digest     ${entry.digest}`,
        `build      ${entry.build ?? "-"}${entry.built ? " (built by this release's deploy)" : ""}`,
        `migration  ${entry.migrationHead ?? "- (not recorded)"}`,
        "",
        "processes",
        ...table(["  NAME", "COMMAND", "PORT", "HEALTH", "PHASE"], entriesByKey(entry.processes).map(([name, p]) => [
            `  ${name}`, (p.command ?? []).join(" "), p.port === undefined ? "-" : String(p.port), p.port === undefined ? (p.healthCheckCommand?.join(" ") ?? "-") : p.healthCheckPath, p.phase,
        ])).trimEnd().split("\n"),
        "",
        "keys (value hashes only: values are never read)",
        ...table(["  KEY", "HASH", "TYPE", ""], Object.keys(entry.keys).sort().map((k) => [
            `  ${k}`, entry.keys[k], typeOf.get(k) ?? "(gone)", secret.has(k) ? "secret" : "",
        ])).trimEnd().split("\n"),
        "",
        missing.length === 0 ? `parameters all ${Object.keys(entry.keys).length} present under ${ref.path}/releases/${entry.id}: it can run again`
            : `parameters ${missing.length} gone (${missing.join(", ")}): pruned or deleted, it cannot run again`,
    ];
    io.out(`${lines.join("\n")}\n`);
    return 0;
}
