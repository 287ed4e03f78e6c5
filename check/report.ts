import type { CheckDocument, CostReport, ReleaseReport, StackReport } from "./types";

/**
 * The check's report as Markdown that also reads in a terminal (aligned tables, no colour):
 * `text` for a terminal, `markdown` for a GitHub job summary (long sections folded).
 */

export type Format = "text" | "markdown";

function table(headers: string[], rows: string[][]): string[] {
    const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
    const all = [headers, ...rows].map((r) => r.map(cell));
    const widths = headers.map((_, i) => Math.max(3, ...all.map((r) => [...(r[i] ?? "")].length)));
    const line = (r: string[]) => `| ${r.map((c, i) => c + " ".repeat(widths[i] - [...c].length)).join(" | ")} |`;
    return [line(all[0]), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...all.slice(1).map(line)];
}

const usd = (n: number) => `$${n.toFixed(2)}`;
const names = (list: string[]) => (list.length === 0 ? "—" : list.join(", "));

function folded(format: Format, summary: string, body: string[]): string[] {
    return format === "markdown" ? ["<details>", `<summary>${summary}</summary>`, "", ...body, "", "</details>"] : body;
}

function releaseLines(r: ReleaseReport): string[] {
    const status = {
        new: `${r.release}, a new release`,
        same: `${r.release} again: the newest release, nothing new is written`,
        "same-unless-secrets": `${r.release} again if the secret values are unchanged; a new release if any changed (they are opaque here)`,
        pinned: `${r.release}, pinned (release.pin): nothing new is declared`,
    }[r.status];
    const image = r.image.builds
        ? `builds and pushes ${r.image.ref}; tasks run it by digest (known after the push)`
        : `${r.image.ref} (${r.image.source === "promote" ? "promoted, no build" : r.image.source === "pinned" ? "the pinned release's" : "given, no build"}${r.image.simulated ? "; simulated: see the notes" : ""})`;
    return table(["", ""], [
        ["release", status],
        ["previous", r.previous ?? "none"],
        ["digest", r.digest ?? "unknown offline: secret values are hashed into it"],
        ["ledger", r.ledger.given ? `${r.ledger.entries} entr${r.ledger.entries === 1 ? "y" : "ies"}, newest ${r.ledger.newest ?? "none"}` : "none given: a first deploy assumed"],
        ["image", image],
        ["keys added", names(r.keys.added)],
        ["keys changed", names(r.keys.changed)],
        ["keys removed", names(r.keys.removed)],
        ["keys unknown", r.keys.unknown.length === 0 ? "—" : `${r.keys.unknown.join(", ")} (secret: changed or not, the check cannot tell)`],
        ["processes changed", names(r.processesChanged)],
    ]);
}

function costLines(c: CostReport): string[] {
    const head = c.known
        ? `Monthly at idle in ${c.region}, USD, ${c.hoursPerMonth} h a month; prices as of ${c.pricesAsOf} from check/prices.json (each names its AWS pricing page; not yet verified).`
        : `No prices for ${c.region} in check/prices.json: nothing is guessed.`;
    const rows = c.lines.map((l) => [l.type.replace(/^aws:/, ""), l.driver, c.known ? usd(l.monthly) : "?", l.note ?? (l.unitPrice !== null ? `${l.quantity % 1 === 0 ? l.quantity : l.quantity.toFixed(2)} × $${l.unitPrice}/${l.unit}` : "")]);
    if (c.monthlyTotal !== null) rows.push(["total", "", usd(c.monthlyTotal), c.unpriced.length > 0 ? `incomplete: no rule for ${c.unpriced.join(", ")}` : ""]);
    return [head, "", ...table(["type", "driver", "monthly", "how"], rows)];
}

export function renderStack(s: StackReport, format: Format): string[] {
    const out: string[] = [];
    const verdict = s.ok ? "ok" : "FAILED";
    out.push(`## Stack ${s.stack}${s.region ? ` (${s.region})` : ""}: ${verdict}`, "");
    out.push(`### Config (${s.stackFile})`, "");
    if (s.config.errors.length === 0) out.push("No errors.");
    for (const p of s.config.errors) out.push(`- error: ${p.key}: ${p.message}`);
    for (const p of s.config.warnings) out.push(`- warning: ${p.key}: ${p.message}`);
    if (s.config.secrets.length > 0) out.push("", `Secret values (never decrypted or shown): ${s.config.secrets.map((x) => `${x.key} (${x.state})`).join(", ")}`);
    out.push("");
    if (s.programError !== undefined) out.push("### Program", "", `The program refused to run: ${s.programError}`, "");
    if (s.release !== undefined) out.push("### Release plan", "", ...releaseLines(s.release), "");
    if (s.processes !== undefined) {
        out.push("### Processes", "");
        out.push(...table(["process", "phase", "size", "tasks", "capacity", "secrets (valueFrom)", "environment"], s.processes.map((p) => [
            p.process, p.phase, `${p.cpu / 1024} vCPU, ${p.memory} MiB`, p.scaling ? `${p.count} (scales ${p.scaling.min}–${p.scaling.max})` : String(p.count), p.capacity, names(p.secrets), names(p.environment),
        ])));
        const images = [...new Set(s.processes.map((p) => p.image))];
        out.push("", `Image: ${images.join(", ")}`, "");
    }
    if (s.permissions !== undefined) {
        out.push("### Permissions", "");
        for (const role of s.permissions) out.push(`- ${role.role}`, ...role.statements.map((st) => `  - ${st}`));
        out.push("");
    }
    if (s.policies !== undefined) {
        out.push(`### Policies: ${s.policies.mandatoryViolations} mandatory, ${s.policies.advisoryViolations} advisory violation${s.policies.advisoryViolations === 1 ? "" : "s"}`, "");
        out.push(...table(["policy", "enforcement", "result"], s.policies.results.map((r) => [
            r.policy, r.enforcement, r.enforcement === "disabled" ? "not run" : r.violations.length === 0 ? "pass" : `${r.violations.length} violation${r.violations.length === 1 ? "" : "s"}`,
        ])));
        for (const r of s.policies.results) for (const v of r.violations) out.push(`- ${r.enforcement === "mandatory" ? "MANDATORY" : r.enforcement} ${r.policy}: ${v.resource ? `${v.resource}: ` : ""}${v.message}`);
        out.push("");
    }
    if (s.cost !== undefined) out.push("### Cost", "", ...costLines(s.cost), "");
    if (s.resources !== undefined) {
        const rows = s.resources.groups.map((g) => [g.component, g.type, String(g.count)]);
        out.push(...folded(format, `Resources: ${s.resources.total}`, [`### Resources: ${s.resources.total}`, "", ...table(["component", "type", "count"], rows)]), "");
    }
    if (s.notes.length > 0) out.push("### Notes", "", ...s.notes.map((n) => `- ${n}`), "");
    return out;
}

export function render(doc: CheckDocument, format: Format): string {
    const summary = doc.stacks.map((s) => `${s.stack} ${s.ok ? "ok" : "FAILED"}${s.cost?.monthlyTotal != null ? ` (${usd(s.cost.monthlyTotal)}/month at idle)` : ""}`).join(", ");
    const lines = [`# npm run check: ${doc.ok ? "ok" : "FAILED"}${doc.strict ? " (strict)" : ""}`, "", summary, "", ...doc.stacks.flatMap((s) => renderStack(s, format))];
    return `${lines.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd()}\n`;
}
