import { ConfigError, type Problem } from "../lib/config-error";
import { projectName, secretPlaces } from "./schema";

export { ConfigError, type Problem };

/**
 * Problems with the stack's config, each naming the key as the user types it
 * (`twelve-factor:processes.web.cpu`, `aws:region`), and the one place that decides
 * whether a value may be shown in a message.
 */

/** A path below a top-level key; numbers index arrays. */
export type Path = readonly (string | number)[];

export const projectKey = (name: string) => `${projectName}:${name}`;
/** The key whose every value is secret, and the one that holds secret values among others (both from the schema's marks). */
export const secretsKey = projectKey(secretPlaces().find((p) => p.path.length === 0)!.top);
export const databaseKey = projectKey(secretPlaces().find((p) => p.path.length > 0)!.top);

/** The secret places below `database` (from the schema): the only values there that may (and must) be secret. */
export const databaseSecretPaths: readonly (readonly string[])[] = secretPlaces().filter((p) => p.top === "database").map((p) => p.path);

/** `twelve-factor:processes.web.command[1]`: Pulumi's path syntax. */
export function keyName(top: string, path: Path = []): string {
    return top + path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("");
}

/** True at a place that holds a secret value, or a value that contains one. */
export function isSecretPlace(top: string, path: Path): boolean {
    if (top === secretsKey) return true;
    if (top !== databaseKey) return false;
    // The place itself, anything below it, or a parent that holds it.
    return databaseSecretPaths.some((secret) => path.every((p, i) => i >= secret.length || p === secret[i]));
}

export const hiddenValue = "a secret value (hidden)";

export class Reporter {
    readonly problems: Problem[] = [];

    /** @param secretTops top-level keys Pulumi reports as secret (set with --secret). */
    constructor(private readonly secretTops: ReadonlySet<string>) {}

    isSecret(top: string): boolean {
        return this.secretTops.has(top);
    }

    /** Whether no value at this place may appear in a message. */
    hides(top: string, path: Path): boolean {
        return this.secretTops.has(top) || isSecretPlace(top, path);
    }

    /** A value for a message: JSON (shortened), "nothing", or hidden when secret. */
    show(top: string, path: Path, value: unknown): string {
        if (this.hides(top, path)) return hiddenValue;
        if (value === undefined) return "nothing";
        const text = JSON.stringify(value) ?? String(value);
        return text.length > 120 ? `${text.slice(0, 100)}… (${text.length} characters)` : text;
    }

    add(top: string, path: Path, message: string): void {
        const key = keyName(top, path);
        if (!this.problems.some((p) => p.key === key && p.message === message)) this.problems.push({ key, message });
    }
}

/** The value at a path (undefined when the path leaves the value). */
export function valueAt(value: unknown, path: Path): unknown {
    let v: unknown = value;
    for (const key of path) {
        if (v === null || typeof v !== "object") return undefined;
        v = (v as Record<PropertyKey, unknown>)[key];
    }
    return v;
}


/**
 * Defence in depth: replaces any secret value (and its JSON-escaped form) that reached a
 * message anyway. Values shorter than 4 characters are left alone; they would mangle every
 * message and cannot be told from ordinary words.
 */
export function redact(problems: Problem[], secrets: Iterable<string>): Problem[] {
    const needles = new Set<string>();
    for (const s of secrets) {
        // A secret top-level key (`database`) also holds the schema's fixed words (kind, engine):
        // those are no secret, and every message uses them.
        if (vocabulary.has(s)) continue;
        for (const form of [s, JSON.stringify(s).slice(1, -1), JSON.stringify(JSON.stringify(s)).slice(2, -2)]) if (form.length >= 4) needles.add(form);
    }
    if (needles.size === 0) return problems;
    // Longest first, so a secret containing another is replaced whole.
    const sorted = [...needles].sort((a, b) => b.length - a.length);
    const scrub = (text: string) => sorted.reduce((t, n) => t.split(n).join("(hidden)"), text);
    return problems.map((p) => ({ key: p.key, message: scrub(p.message) }));
}

/** The fixed values of the schema's enums and literals. */
const vocabulary = new Set(["owned", "existing", "external", "postgres", "linux/amd64", "linux/arm64", "create", "single", "perAz", "run", "release"]);

/** Every string (and number) below a value: what redact() must keep out of messages. */
export function leaves(value: unknown): string[] {
    if (typeof value === "string") return [value];
    if (typeof value === "number") return [String(value)];
    if (Array.isArray(value)) return value.flatMap(leaves);
    if (value !== null && typeof value === "object") return Object.values(value).flatMap(leaves);
    return [];
}

/** The keys of a value that is a plain object (none otherwise). */
export function objectKeys(value: unknown): string[] {
    return value !== null && typeof value === "object" && !Array.isArray(value) ? Object.keys(value) : [];
}
