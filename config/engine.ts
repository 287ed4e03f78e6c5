import { awsProviderKeys, dockerProviderKeys } from "./aws";
import { describeIssue } from "./issues";
import { projectKey, type Reporter } from "./report";
import { projectName, stackConfigSchema, tagsSchema, valueKind, type SchemaKey } from "./schema";

/**
 * From the config the Pulumi engine hands the program (every key `namespace:name`, every value
 * a string) to the values the schema reads. Keys of namespaces the program does not know are
 * refused; values are decoded by what the schema expects of their top-level key.
 */

/** Namespaces whose keys the program accepts. `pulumi:` belongs to the engine (pulumi:tags, pulumi:disable-default-providers, …). */
const knownNamespaces = [projectName, "aws", "docker", "pulumi"] as const;

/** What the rules read of the AWS provider's own config. */
export interface AwsSettings {
    defaultTags?: Record<string, string>;
    allowedAccountIds?: string[];
    forbiddenAccountIds?: string[];
    skipRegionValidation?: boolean;
}

export interface EngineInput {
    /** Top-level keys by their full name, with the values as given (engine strings, or structured values from tests). */
    raw: Map<string, unknown>;
    /** The schema's keys, decoded. */
    settings: Partial<Record<SchemaKey, unknown>>;
    aws: AwsSettings;
}

/**
 * A config key as given to parseConfig: `namespace:name` (as pulumi.runtime.allConfig() names
 * them, `ns:config:name` from older engines included), `region` for aws:region, or a bare
 * name of this project's namespace.
 */
export function fullKey(key: string): string {
    if (key === "region") return "aws:region";
    const i = key.indexOf(":");
    if (i < 0) return projectKey(key);
    return key.startsWith("config:", i + 1) ? key.slice(0, i + 1) + key.slice(i + 1 + "config:".length) : key;
}

export function schemaKeyOf(full: string): SchemaKey | undefined {
    if (full === "aws:region") return "region";
    const prefix = `${projectName}:`;
    if (!full.startsWith(prefix)) return undefined;
    const name = full.slice(prefix.length);
    return name !== "region" && Object.hasOwn(stackConfigSchema.shape, name) ? (name as SchemaKey) : undefined;
}

export function readEngineConfig(given: Record<string, unknown>, r: Reporter): EngineInput {
    const raw = new Map<string, unknown>();
    for (const [key, value] of Object.entries(given)) raw.set(fullKey(key), value);

    const settings: Partial<Record<SchemaKey, unknown>> = {};
    const aws: AwsSettings = {};
    for (const [full, value] of raw) {
        const schemaKey = schemaKeyOf(full);
        if (schemaKey !== undefined) {
            if (value !== undefined) settings[schemaKey] = decode(valueKind(schemaKey), value);
            continue;
        }
        const i = full.indexOf(":");
        const namespace = full.slice(0, i);
        const name = full.slice(i + 1);
        switch (namespace) {
            case projectName:
                r.add(full, [], `expected no such setting (misspelt?${name.includes(".") ? ` a nested setting is set with pulumi config set --path '${name}' …` : ""}${name === "region" ? " the region is aws:region" : ""}), got ${r.show(full, [], value)}`);
                break;
            case "aws":
                if (!awsProviderKeys.includes(name)) r.add(full, [], `expected a setting of the AWS provider (misspelt?), got an unknown key with ${r.show(full, [], value)}`);
                else readAwsSetting(full, name, value, aws, r);
                break;
            case "docker":
                if (!dockerProviderKeys.includes(name)) r.add(full, [], `expected a setting of the Docker provider (misspelt?), got an unknown key with ${r.show(full, [], value)}`);
                break;
            case "pulumi":
                break;
            default: {
                const similar = namespace.toLowerCase().replace(/[^a-z0-9]/g, "") === projectName.replace(/[^a-z0-9]/g, "");
                r.add(full, [], `expected a key of a namespace this program reads (${knownNamespaces.join(", ")}), got namespace ${JSON.stringify(namespace)}${similar ? ` (misspelt? this project's keys are ${projectName}:<name>)` : ""}`);
            }
        }
    }
    return { raw, settings, aws };
}

/**
 * Pulumi hands every value over as text: structured keys as JSON, numbers as their digits,
 * and text as itself. Only keys the schema types as structured, numeric or boolean are parsed;
 * a text key keeps its string even when it reads as JSON ("null", "true", "123").
 */
function decode(kind: ReturnType<typeof valueKind>, value: unknown): unknown {
    if (typeof value !== "string") return value;
    switch (kind) {
        case "string":
            return value;
        case "number":
            return /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/.test(value) ? Number(value) : value;
        case "boolean":
            return value === "true" ? true : value === "false" ? false : value;
        case "structured":
            try {
                return JSON.parse(value);
            } catch {
                return value;
            }
    }
}

function readAwsSetting(full: string, name: string, value: unknown, aws: AwsSettings, r: Reporter): void {
    const parsed = decode("structured", value);
    switch (name) {
        case "defaultTags": {
            if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
                r.add(full, [], `expected {tags: {KEY: value}}, given ${r.show(full, [], parsed)}`);
                return;
            }
            for (const key of Object.keys(parsed)) {
                if (key !== "tags") r.add(full, [key], `expected no such setting (the AWS provider's defaultTags holds only tags), got ${r.show(full, [key], (parsed as Record<string, unknown>)[key])}`);
            }
            const tags = (parsed as { tags?: unknown }).tags;
            if (tags === undefined) return;
            const result = tagsSchema.safeParse(tags);
            if (result.success) aws.defaultTags = result.data;
            else for (const issue of result.error.issues) describeIssue(r, full, { ...issue, path: ["tags", ...issue.path] }, parsed);
            return;
        }
        case "allowedAccountIds":
        case "forbiddenAccountIds": {
            const ids = Array.isArray(parsed) ? parsed.map((id) => (typeof id === "number" && Number.isInteger(id) ? String(id).padStart(12, "0") : id)) : undefined;
            if (ids === undefined || !ids.every((id) => typeof id === "string" && /^\d{12}$/.test(id))) {
                r.add(full, [], `expected a list of 12-digit AWS account ids, given ${r.show(full, [], parsed)}`);
                return;
            }
            aws[name] = ids as string[];
            return;
        }
        case "skipRegionValidation":
            aws.skipRegionValidation = parsed === true || parsed === "true";
            return;
    }
}
