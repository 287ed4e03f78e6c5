import * as pulumi from "@pulumi/pulumi";
import { readEngineConfig, fullKey } from "./engine";
import { describeIssue } from "./issues";
import { ConfigError, projectKey, redact, Reporter } from "./report";
import { crossFieldProblems } from "./rules";
import { type BuildSource, type DatabaseConfig, type ParsedConfig, type SchemaKey, stackConfigSchema, type StackConfig } from "./schema";
import { secrecyProblems, secretValues } from "./secrets";
import { readStackFile } from "./stack-file";

export { ConfigError, type Problem } from "./report";
export {
    type BuildSource, type DatabaseConfig, type NetworkConfig, type Platform, type ProcessConfig, type StackConfig,
    postgresMajorVersions, projectName, reservedKeys, stackConfigSchema,
} from "./schema";

export interface ParseOptions {
    /**
     * The top-level keys Pulumi reports as secret (`twelve-factor:env`, `aws:region`; a bare name
     * means this project's key). When given, a secret key that may not hold secrets is refused,
     * and so is a value that must be secret but is not. Values under these keys never appear
     * in an error.
     */
    secretTopLevelKeys?: Iterable<string>;
    /** Pulumi.<stack>.yaml as parsed YAML: tells, per value, which were set with --secret. */
    stackFile?: unknown;
}

/**
 * Validates the stack's config, as the engine hands it over, before anything is declared. Pure:
 * tests call it directly. Every problem found is reported at once, each naming the key the user
 * typed; secret values never appear in the error.
 *
 * @param raw config keys as `namespace:name` (pulumi.runtime.allConfig()) or, for this
 *   project's keys, bare names (`app`; `region` for aws:region). Values are the strings Pulumi
 *   stores (structured ones as JSON) or already structured values.
 */
export function parseConfig(raw: Record<string, unknown>, stack: string, options: ParseOptions = {}): StackConfig {
    const secretTops = options.secretTopLevelKeys === undefined ? undefined : new Set([...options.secretTopLevelKeys].map(fullKey));
    const r = new Reporter(secretTops ?? new Set());
    const input = readEngineConfig(raw, r);

    const parsed: Partial<Record<SchemaKey, unknown>> = {};
    for (const key of Object.keys(stackConfigSchema.shape) as SchemaKey[]) {
        const result = stackConfigSchema.shape[key].safeParse(input.settings[key]);
        if (result.success) parsed[key] = result.data;
        else for (const issue of result.error.issues) describeIssue(r, key === "region" ? "aws:region" : projectKey(key), issue, input.settings[key]);
    }
    const c = parsed as Partial<ParsedConfig>;
    secrecyProblems(r, { settings: input.settings, secretTops, stackFile: options.stackFile });
    crossFieldProblems(r, { c, settings: input.settings, stack, aws: input.aws });

    if (r.problems.length > 0) throw new ConfigError(redact(r.problems, secretValues(input.raw, input.settings, secretTops ?? new Set())));
    const data = c as ParsedConfig;
    return { ...data, stack, build: buildSource(data.build), database: selectedDatabase(data.database) };
}

function selectedDatabase(d: ParsedConfig["database"]): DatabaseConfig {
    const common = { engine: d.engine, majorVersion: d.majorVersion };
    // crossFieldProblems has checked that the selected block is present.
    if (d.kind === "existing") return { ...common, kind: "existing", ...d.existing! };
    if (d.kind === "external") return { ...common, kind: "external", ...d.external! };
    return { ...common, kind: "owned", ...d.owned };
}

function buildSource(b: ParsedConfig["build"]): BuildSource {
    if (b.promoteFrom !== undefined) return { kind: "promote", fromStack: b.promoteFrom, platform: b.platform };
    if (b.image !== undefined) return { kind: "image", image: b.image, platform: b.platform };
    return { kind: "source", context: b.context ?? "app", dockerfile: b.dockerfile ?? "Dockerfile", platform: b.platform };
}

/**
 * Reads this stack's settings: every config key (all namespaces), so that a misspelt key or
 * namespace fails instead of being ignored; which top-level keys are secret; and the stack
 * file, which tells per value what was set with --secret. Values are read raw (secrets
 * included) because the release digest must hash them before any resource is declared; the
 * release component re-wraps them as secrets, and they are never exported or logged.
 */
export function loadConfig(): StackConfig {
    const stack = pulumi.getStack();
    const all = pulumi.runtime.allConfig();
    return parseConfig(all, stack, {
        secretTopLevelKeys: Object.keys(all).filter(isConfigSecret),
        // `pulumi up` starts the program in the project directory; the others are fallbacks.
        stackFile: readStackFile(stack, [pulumi.runtime.getRootDirectory(), process.cwd(), __dirname]),
    });
}

/**
 * Whether Pulumi marks a top-level config key secret. @pulumi/pulumi 3.248 has no public API
 * for this: `pulumi.Config#getSecret` wraps any key as secret, and `pulumi.isSecret` only
 * reports on Outputs. The SDK's runtime exports `isConfigSecret` (tagged @internal, so left out
 * of its typings); this is the one place that reads it.
 */
function isConfigSecret(key: string): boolean {
    const { isConfigSecret: check } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(fullKey: string): boolean };
    // Older engines name keys `project:config:key`; allConfig() has already dropped the `config:`.
    const i = key.indexOf(":");
    return check(key) || (i > 0 && check(`${key.slice(0, i)}:config:${key.slice(i + 1)}`));
}
