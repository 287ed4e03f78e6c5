import { fullKey, schemaKeyOf } from "./engine";
import { databaseKey, databaseSecretPaths, keyName, leaves, type Path, type Reporter, secretsKey, valueAt } from "./report";
import { projectName } from "./schema";

/**
 * Secrets, never in plain text. Pulumi marks secrecy per TOP-LEVEL key: `twelve-factor:env` is
 * secret as soon as any value below it was set with --secret. So:
 * - a secret top-level key that may not hold secrets is refused (its value would end up in a
 *   String parameter, a tag, a task definition or an ARN);
 * - a value that must be secret (under `secrets`, database.existing.password,
 *   database.external.url) is checked per value in the stack file when the file holds it
 *   (every leaf must be a `secure:` ciphertext), and otherwise per top-level key.
 */

/** Top-level keys that may hold values set with --secret. */
function mayHoldSecrets(top: string): boolean {
    if (top === secretsKey || top === databaseKey) return true;
    // The AWS provider's credentials (aws:secretKey, aws:token, …) and the Docker provider's
    // registry auth may be secret; the region and default tags are written out in plain text.
    return !top.startsWith(`${projectName}:`) && top !== "aws:region" && top !== "aws:defaultTags";
}

/** A top-level key the rest of the parse reports as unknown (with its value hidden when secret). */
function isKnownKey(top: string): boolean {
    return schemaKeyOf(top) !== undefined || top === "aws:defaultTags";
}

export function isSecure(value: unknown): boolean {
    return value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 1 && typeof (value as { secure?: unknown }).secure === "string";
}

/** Every leaf below a stack-file value, and whether it is `secure:` ciphertext. */
function fileLeaves(value: unknown, path: Path = []): { path: Path; secure: boolean }[] {
    if (isSecure(value)) return [{ path, secure: true }];
    if (Array.isArray(value)) return value.flatMap((v, i) => fileLeaves(v, [...path, i]));
    if (value !== null && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => fileLeaves(v, [...path, k]));
    return [{ path, secure: false }];
}

/** `config:` of Pulumi.<stack>.yaml, by full key; undefined when there is no stack file. */
export function stackFileConfig(stackFile: unknown): Map<string, unknown> | undefined {
    if (stackFile === undefined || stackFile === null || typeof stackFile !== "object") return undefined;
    const config = (stackFile as { config?: unknown }).config;
    const entries = config !== null && typeof config === "object" && !Array.isArray(config) ? Object.entries(config) : [];
    return new Map(entries.map(([k, v]) => [fullKey(k), v]));
}

function misplacedMessage(top: string, leavesSet: Path[]): string {
    const where = leavesSet.length > 0 ? ` (set with --secret: ${leavesSet.map((p) => keyName(top, p)).join(", ")})` : "";
    if (top === "aws:region") return `holds a value set with --secret; the region is not secret (it is part of every ARN and resource name): set it with pulumi config set aws:region <region>${where}`;
    if (top === "aws:defaultTags") return `holds a value set with --secret; tags are stored in plain text on every resource: set them without --secret${where}`;
    return `holds a value set with --secret; secrets belong under ${secretsKey} (pulumi config set --secret --path 'secrets.KEY' …) and in secretKeys${where}`;
}

function plaintextMessage(top: string, path: Path, inStackFile: boolean): string {
    const typed = keyName(top, path).slice(`${projectName}:`.length);
    const message = `expected a secret, got a value stored in plain text in the stack file: set it again with pulumi config set --secret --path '${typed}' <value>`;
    return inStackFile ? message : `${message} (if it comes from a Pulumi ESC environment, make it secret there with fn::secret)`;
}

/** The places in the decoded config that hold values which must be secret. */
function secretValuedPlaces(settings: { secrets?: unknown; database?: unknown }): { top: string; path: Path }[] {
    const places: { top: string; path: Path }[] = [];
    const secrets = settings.secrets;
    if (secrets !== null && typeof secrets === "object" && !Array.isArray(secrets)) {
        for (const key of Object.keys(secrets)) places.push({ top: secretsKey, path: [key] });
    }
    for (const path of databaseSecretPaths) {
        if (valueAt(settings.database, path) !== undefined) places.push({ top: databaseKey, path });
    }
    return places;
}

export interface SecrecyInput {
    settings: { secrets?: unknown; database?: unknown };
    /** Top-level keys Pulumi reports as secret; undefined when the caller does not know them. */
    secretTops: ReadonlySet<string> | undefined;
    /** Pulumi.<stack>.yaml as parsed YAML; undefined when not available. */
    stackFile: unknown;
}

export function secrecyProblems(r: Reporter, input: SecrecyInput): void {
    const file = stackFileConfig(input.stackFile);

    // Secret values where they may not be.
    const misplaced = new Map<string, Path[]>();
    for (const top of input.secretTops ?? []) if (!mayHoldSecrets(top)) misplaced.set(top, []);
    for (const [top, value] of file ?? []) {
        for (const leaf of fileLeaves(value)) {
            if (!leaf.secure || (mayHoldSecrets(top) && top !== databaseKey)) continue;
            if (top === databaseKey) {
                const allowed = databaseSecretPaths.some((p) => p.length === leaf.path.length && p.every((k, i) => k === leaf.path[i]));
                if (!allowed && leaf.path.length > 0) {
                    r.add(top, leaf.path, "holds a value set with --secret; under database only database.existing.password and database.external.url may be secret (the others are written out in plain text): set it without --secret");
                }
                continue;
            }
            misplaced.set(top, [...(misplaced.get(top) ?? []), leaf.path]);
        }
    }
    for (const [top, paths] of misplaced) {
        // Unknown keys are refused as such, their values hidden.
        if (isKnownKey(top)) r.add(top, [], misplacedMessage(top, paths.filter((p) => p.length > 0)));
    }

    // Values that must be secret but are not: per value where the stack file holds them.
    const fileHolds = (top: string, path: Path) => {
        const value = file?.get(top);
        return value !== undefined && (isSecure(value) || valueAt(value, path) !== undefined);
    };
    for (const top of [secretsKey, databaseKey]) {
        const value = file?.get(top);
        if (value === undefined || isSecure(value)) continue;
        const places = top === secretsKey ? [[] as Path] : databaseSecretPaths.filter((p) => valueAt(value, p) !== undefined);
        for (const place of places) {
            const below = valueAt(value, place);
            for (const leaf of fileLeaves(below)) {
                if (!leaf.secure) r.add(top, [...place, ...leaf.path], plaintextMessage(top, [...place, ...leaf.path], true));
            }
        }
    }
    // Elsewhere (a Pulumi ESC environment's `pulumiConfig`, values set only in the service
    // backend, or no stack file beside Pulumi.yaml): ESC values arrive as config without the
    // stack file, and the engine still marks the secret ones per top-level key, so that is
    // what the program can check.
    if (input.secretTops === undefined) return;
    for (const { top, path } of secretValuedPlaces(input.settings)) {
        if (fileHolds(top, path)) continue;
        if (!input.secretTops.has(top)) r.add(top, path, plaintextMessage(top, path, false));
    }
}

/** Every value no message may contain: everything under secret top-level keys, and every value in a secret place. */
export function secretValues(raw: Map<string, unknown>, settings: { secrets?: unknown; database?: unknown }, secretTops: ReadonlySet<string>): string[] {
    const values: string[] = [];
    // `database` is secret whenever it holds a password or URL; its other values (the app's
    // own name as dbName or username, often) are no secret, and would mangle every message
    // that names the app. Its secret places are listed below.
    const tops = [...secretTops].filter((top) => top !== databaseKey);
    for (const top of tops) values.push(...leaves(raw.get(top)));
    for (const top of tops) {
        const value = raw.get(top);
        if (typeof value === "string") {
            try {
                values.push(...leaves(JSON.parse(value)));
            } catch {
                // Not JSON: the string itself is already listed.
            }
        }
    }
    values.push(...leaves(settings.secrets));
    for (const path of databaseSecretPaths) values.push(...leaves(valueAt(settings.database, path)));
    return values;
}
