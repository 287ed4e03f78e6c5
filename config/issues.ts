import type { z } from "zod";
import { databaseKey, type Path, type Reporter, valueAt } from "./report";

/**
 * One zod issue as "key: expected …, given …", with unknown keys and bad map keys named
 * precisely. zod's own messages never contain the input; values are shown by the Reporter,
 * which hides them when secret.
 */
export function describeIssue(r: Reporter, top: string, issue: z.core.$ZodIssue, value: unknown): void {
    const path = issue.path.map((p) => (typeof p === "number" ? p : String(p))) as Path;
    if (issue.code === "unrecognized_keys") {
        const parent = valueAt(value, path) as Record<string, unknown>;
        for (const key of issue.keys) {
            const at = [...path, key];
            // A misspelt key under database is most likely a misspelt password or url.
            const shown = !r.hides(top, at) && top === databaseKey ? "a value (hidden: it may be a misspelt password or url)" : r.show(top, at, parent[key]);
            r.add(top, at, `expected no such setting (misspelt?), got ${shown}`);
        }
        return;
    }
    if (issue.code === "invalid_key") {
        const key = String(path[path.length - 1]);
        r.add(top, path, `${issue.issues.map((i) => i.message).join("; ")}, got the name ${JSON.stringify(key)}`);
        return;
    }
    const given = valueAt(value, path);
    const shown = r.show(top, path, given);
    if (issue.code === "invalid_union" && "discriminator" in issue && Array.isArray((issue as { options?: unknown[] }).options)) {
        const options = (issue as unknown as { options: unknown[] }).options.map((o) => JSON.stringify(o)).join(" or ");
        r.add(top, path, `expected ${options}; given ${shown}`);
        return;
    }
    let message = issue.message.replace(/^Invalid input: /, "").replace(/^Invalid option: /, "");
    if (issue.code === "invalid_type" && !r.hides(top, path)) message += path.length === 0 ? topLevelHint(issue.expected, given) : typeHint(issue.expected, given);
    r.add(top, path, `${message}; given ${shown}`);
}

/** A top-level key arrives as text; only its form can be wrong. */
function topLevelHint(expected: string, given: unknown): string {
    if (expected === "number" && typeof given === "string") return " (a plain decimal number such as 30)";
    if ((expected === "object" || expected === "record" || expected === "array") && typeof given === "string") {
        return ` (set it in the stack file as YAML, or with pulumi config set --path '<key>.<name>' …)`;
    }
    return "";
}

/** Why a value has the wrong JSON type, when the cause is the usual one. */
function typeHint(expected: string, given: unknown): string {
    if (expected === "number" && typeof given === "string" && given.trim() !== "" && !Number.isNaN(Number(given))) {
        return " (a number in quotes is text: write it without quotes)";
    }
    if (expected === "boolean" && (given === "true" || given === "false")) return " (true/false in quotes is text: write it without quotes)";
    if (expected === "string" && (typeof given === "number" || typeof given === "boolean")) {
        return " (quote it in the stack file, or set it with pulumi config set --path --type string: --path stores integers and true/false typed)";
    }
    return "";
}
