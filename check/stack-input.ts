import { existsSync, readdirSync, readFileSync } from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { ConfigError, parseConfig, projectName, type StackConfig } from "../config";
import { findProjectDirectory, stackFilePaths } from "../config/stack-file";
import { isSecureValue, opaqueValue, readStackFiles } from "../offline/stack-config";
import type { Problem } from "./types";

/**
 * A stack's config as `pulumi up` would hand it to the program, read from Pulumi.yaml and
 * Pulumi.<stack>.yaml without AWS, a backend or the Pulumi CLI. `secure:` values stay opaque
 * (present, encrypted, never decrypted or printed); a required secret missing from the file is
 * reported (Pulumi would refuse `up`) and stood in for, so the rest can still be checked.
 */

/** A usage error: exit code 2. */
export class UsageError extends Error {}

export interface StackInput {
    stack: string;
    projectDir: string;
    /** The stack file, relative to the project directory. */
    stackFile: string;
    /** The config exactly as the engine would hand it over (stand-ins for encrypted and missing secrets). */
    engine: { config: Record<string, string>; secretKeys: string[] };
    errors: Problem[];
    warnings: Problem[];
    secrets: { key: string; state: "encrypted" | "missing" }[];
    /** Release keys whose values the check cannot see (they hash into the release digest). */
    opaqueKeys: string[];
    /** Parsed, when the config has no error. */
    config?: StackConfig;
    region?: string;
}

/** The project directory: where Pulumi.yaml is, from `dir` upwards (as the Pulumi CLI finds it). */
export function projectDirectory(dir: string): string {
    const found = findProjectDirectory([path.resolve(dir)]);
    if (found === undefined) throw new UsageError(`no Pulumi.yaml in ${path.resolve(dir)} or above it (use --cwd <project directory>)`);
    return found;
}

/** The stacks a project directory has a file for, sorted. */
export function stacksIn(projectDir: string): string[] {
    const dir = stackDirectory(projectDir);
    return readdirSync(dir).map((f) => /^Pulumi\.([^.]+)\.ya?ml$/.exec(f)?.[1]).filter((s): s is string => s !== undefined).sort();
}

function stackDirectory(projectDir: string): string {
    return path.dirname(stackFilePaths(projectDir, loadYaml(path.join(projectDir, "Pulumi.yaml")), "x")[0]);
}

function loadYaml(file: string): unknown {
    return yaml.load(readFileSync(file, "utf8"));
}

export function readStackInput(projectDir: string, stack: string, strict: boolean): StackInput {
    const stackPath = stackFilePaths(projectDir, loadYaml(path.join(projectDir, "Pulumi.yaml")), stack).find((f) => existsSync(f));
    if (stackPath === undefined) throw new UsageError(`no stack file Pulumi.${stack}.yaml in ${stackDirectory(projectDir)} (stacks there: ${stacksIn(projectDir).join(", ") || "none"})`);
    const input: StackInput = {
        stack, projectDir, stackFile: path.relative(projectDir, stackPath), engine: { config: {}, secretKeys: [] },
        errors: [], warnings: [], secrets: [], opaqueKeys: [],
    };
    let files;
    try {
        files = readStackFiles(stack, projectDir, stackPath);
    } catch (e) {
        input.errors.push({ key: input.stackFile, message: `cannot be read as YAML: ${(e as Error).message.split("\n")[0]}` });
        return input;
    }
    input.errors.push(...files.problems);
    const environments = files.stackFile.environment;
    if (environments !== undefined && environments !== null) {
        input.warnings.push({ key: input.stackFile, message: `imports Pulumi ESC environment(s) ${JSON.stringify(environments)}: their values cannot be read offline, so keys set only there look missing here` });
    }
    const { config } = files;
    const secretKeys = new Set(files.secretKeys);
    input.secrets.push(...files.encrypted.map((key) => ({ key, state: "encrypted" as const })));

    // Required secrets the file lacks: Pulumi would refuse `up`; stand in for them to check the rest.
    const missing: string[] = [];
    const secretsKey = `${projectName}:secrets`;
    const declared = config[`${projectName}:secretKeys`];
    const fileSecrets = files.stackFile.config?.[secretsKey] ?? files.stackFile.config?.secrets;
    const wholeSecure = isSecureValue(fileSecrets);
    const present = new Set(wholeSecure ? [] : Object.keys((fileSecrets as Record<string, unknown> | undefined) ?? {}));
    if (Array.isArray(declared) && !wholeSecure) {
        const secrets = { ...((config[secretsKey] as Record<string, unknown> | undefined) ?? {}) };
        for (const name of declared.filter((n): n is string => typeof n === "string" && !present.has(n))) {
            missing.push(`${secretsKey}.${name}`);
            secrets[name] = opaqueValue(`${secretsKey}.${name}`);
        }
        if (Object.keys(secrets).length > 0) {
            config[secretsKey] = secrets;
            secretKeys.add(secretsKey);
        }
    }
    if (wholeSecure && Array.isArray(declared)) {
        // One encrypted value for the whole key: its names cannot be seen; assume secretKeys.
        config[secretsKey] = Object.fromEntries(declared.map((n) => [n, opaqueValue(`${secretsKey}.${n}`)]));
        input.warnings.push({ key: secretsKey, message: "is one encrypted value: the check cannot see which keys it holds and assumes exactly those in secretKeys" });
    }
    const databaseKey = `${projectName}:database`;
    const database = config[databaseKey] as { kind?: unknown; existing?: Record<string, unknown>; external?: Record<string, unknown> } | undefined;
    const needs = database?.kind === "existing" && database.existing !== undefined ? ["existing", "password"] : database?.kind === "external" ? ["external", "url"] : undefined;
    if (needs !== undefined && (database as Record<string, Record<string, unknown> | undefined>)[needs[0]]?.[needs[1]] === undefined) {
        const place = `${databaseKey}.${needs.join(".")}`;
        missing.push(place);
        const block = { ...((database as Record<string, unknown>)[needs[0]] as Record<string, unknown> | undefined), [needs[1]]: opaqueValue(place) };
        config[databaseKey] = { ...database, [needs[0]]: block };
        secretKeys.add(databaseKey);
    }
    for (const key of missing) {
        input.secrets.push({ key, state: "missing" });
        const typed = key.slice(projectName.length + 1);
        (strict ? input.errors : input.warnings).push({ key, message: `required secret missing from ${input.stackFile}: pulumi up would refuse it; set it with pulumi config set --stack ${stack} --secret --path '${typed}' <value>` });
    }
    input.secrets.sort((a, b) => (a.key < b.key ? -1 : 1));

    input.engine = {
        config: Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])),
        secretKeys: [...secretKeys].sort(),
    };
    input.region = typeof config["aws:region"] === "string" ? config["aws:region"] : undefined;
    try {
        input.config = parseConfig(input.engine.config, stack, { secretTopLevelKeys: input.engine.secretKeys, stackFile: files.stackFile });
    } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        input.errors.push(...e.problems);
    }
    if (input.errors.length > 0) input.config = undefined;
    if (input.config !== undefined) {
        input.opaqueKeys = [...Object.keys(input.config.secrets), ...(input.config.database.kind === "owned" ? [] : ["DATABASE_URL"])].sort();
    }
    return input;
}
