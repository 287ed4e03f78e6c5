import { createHash } from "crypto";
import { secretPlaces } from "../config/schema";
import { readFileSync } from "fs";
import * as yaml from "js-yaml";
import * as path from "path";

/** Stack config as the Pulumi engine hands it to the program: project defaults, stack file, secrecy per top-level key. */

export const projectRoot = path.resolve(__dirname, "..");
export const project = "twelve-factor";

/** What the engine makes of Pulumi.yaml and Pulumi.<stack>.yaml before the program runs. */
export interface StackFiles {
    /** Every config key by its full name (`twelve-factor:app`): project defaults, then the stack file; `secure:` leaves are opaque stand-ins. */
    config: Record<string, unknown>;
    /** Top-level keys holding a `secure:` value somewhere (Pulumi marks the whole key secret). */
    secretKeys: string[];
    /** Each `secure:` value's place (`twelve-factor:secrets.SESSION_SECRET`): present and encrypted, never decrypted. */
    encrypted: string[];
    /** What the engine refuses before running the program: a declared key without default missing, a value of the wrong declared type. */
    problems: { key: string; message: string }[];
    /** Pulumi.<stack>.yaml as parsed YAML (the program reads it too). */
    stackFile: { config?: Record<string, unknown> } & Record<string, unknown>;
}

type Declaration = { default?: unknown; type?: string };

/** Pulumi.yaml and Pulumi.<stack>.yaml of a project directory, as the engine reads them: no value is decrypted. */
export function readStackFiles(stack: string, projectDir: string = projectRoot, stackFilePath: string = path.join(projectDir, `Pulumi.${stack}.yaml`)): StackFiles {
    const projectFile = (yaml.load(readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) ?? {}) as { config?: Record<string, Declaration> };
    const stackFile = (yaml.load(readFileSync(stackFilePath, "utf8")) ?? {}) as StackFiles["stackFile"];
    // A key without a namespace belongs to the project, as `pulumi config` reads it.
    const given = Object.fromEntries(Object.entries(stackFile.config ?? {}).map(([k, v]) => [k.includes(":") ? k : `${project}:${k}`, v]));
    const config: Record<string, unknown> = {};
    const secretKeys: string[] = [];
    const encrypted: string[] = [];
    const problems: StackFiles["problems"] = [];
    for (const [key, decl] of Object.entries(projectFile.config ?? {})) {
        const full = key.includes(":") ? key : `${project}:${key}`;
        if (decl?.default !== undefined) config[full] = decl.default;
        else if (!(full in given)) problems.push({ key: full, message: `expected a value: Pulumi.yaml declares it without a default, so pulumi refuses to run stack '${stack}' without it (pulumi config set ${key} <value>)` });
        const typeProblem = full in given ? declaredTypeProblem(decl?.type, given[full]) : undefined;
        if (typeProblem !== undefined) problems.push({ key: full, message: typeProblem });
    }
    for (const [key, value] of Object.entries(given)) {
        const { value: plain, secret } = replaceSecure(value, key, encrypted);
        config[key] = plain;
        if (secret) secretKeys.push(key);
    }
    return { config, secretKeys, encrypted, problems, stackFile };
}

/** Pulumi checks a stack's value against the type Pulumi.yaml declares (a `secure:` value passes: it is decrypted first). */
function declaredTypeProblem(type: string | undefined, value: unknown): string | undefined {
    if (type === undefined || isSecureValue(value)) return undefined;
    const ok = type === "string" ? typeof value === "string" : type === "integer" ? Number.isInteger(value) : type === "boolean" ? typeof value === "boolean" : type === "array" ? Array.isArray(value) : true;
    return ok ? undefined : `expected a value of type ${type} (Pulumi.yaml declares it so), got ${Array.isArray(value) ? "a list" : value === null ? "null" : typeof value}`;
}

/** Pulumi.yaml defaults + Pulumi.<stack>.yaml of this checkout, as the engine hands them to the program. */
export function readStackConfig(stack: string): { config: Record<string, unknown>; secretKeys: string[] } {
    const files = readStackFiles(stack);
    const missing = files.problems[0];
    // The engine refuses to run a stack that lacks a declared key without a default.
    if (missing !== undefined) throw new Error(`Stack '${stack}' ${missing.key}: ${missing.message}`);
    return { config: files.config, secretKeys: files.secretKeys };
}

export function isSecureValue(value: unknown): boolean {
    return value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 1 && typeof (value as { secure?: unknown }).secure === "string";
}

/**
 * A stand-in for a value that is present but encrypted: of the shape its place needs (a URL where
 * the schema wants one), never the value, and the same for the same place.
 */
export function opaqueValue(place: string): string {
    const tag = createHash("sha256").update(place).digest("hex").slice(0, 16);
    return /\.url$/.test(place) ? `postgresql://opaque:opaque@opaque-${tag}.invalid:5432/opaque` : `opaque-secret-${tag}`;
}

/** `secure:` leaves become opaque stand-ins; the key is then a secret, as Pulumi marks it. */
function replaceSecure(value: unknown, pathSoFar: string, encrypted: string[]): { value: unknown; secret: boolean } {
    if (isSecureValue(value)) {
        encrypted.push(pathSoFar);
        return { value: opaqueValue(pathSoFar), secret: true };
    }
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        let secret = false;
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) {
            const r = replaceSecure(v, `${pathSoFar}.${k}`, encrypted);
            out[k] = r.value;
            secret ||= r.secret;
        }
        return { value: out, secret };
    }
    return { value, secret: false };
}

export function fakeSecret(key: string): string {
    return `fake-${key.toLowerCase()}-${createHash("sha256").update(key).digest("hex").slice(0, 24)}`;
}


/** How a test changes the stack's config before the engine hands it over. */
export interface ConfigOverrides {
    stack: string;
    /** Config overrides by key (`app`, `database`, `aws:region`); `undefined` removes a key. */
    config?: Record<string, unknown>;
    /** Values for `secrets`; default: a fake value for each name in secretKeys. */
    secrets?: Record<string, string>;
    /** Hand secrets to the program as plain config, as if set without --secret. */
    plaintextConfig?: boolean;
    /**
     * Config set with --secret somewhere below each key (`env`, `tags`, `aws:region`, an unknown
     * key): applied like `config`, after it and after `secrets`, and each key's top-level key
     * becomes secret, as Pulumi marks it (`--secret --path env.X` makes all of `env` secret).
     */
    secretConfig?: Record<string, unknown>;
}

/** The config the engine passes to the program: every value as a string, and the keys that are secret. */
export function engineConfig(options: ConfigOverrides): { config: Record<string, string>; secretKeys: string[] } {
    const { config, secretKeys } = readStackConfig(options.stack);
    for (const [key, value] of Object.entries(options.config ?? {})) {
        const full = key.includes(":") ? key : `${project}:${key}`;
        if (value === undefined) delete config[full];
        else config[full] = value;
        // `pulumi config set --secret --path database.external.url …` marks the whole key secret.
        if (options.plaintextConfig !== true && holdsSecret(full, value)) secretKeys.push(full);
    }
    const declared = config[`${project}:secretKeys`];
    const secrets = options.secrets ?? Object.fromEntries((Array.isArray(declared) ? declared : []).map((k: string) => [k, fakeSecret(k)]));
    if (Object.keys(secrets).length > 0) {
        config[`${project}:secrets`] = secrets;
        if (options.plaintextConfig !== true) secretKeys.push(`${project}:secrets`);
    }
    for (const [key, value] of Object.entries(options.secretConfig ?? {})) {
        const full = key.includes(":") ? key : `${project}:${key}`;
        if (value === undefined) delete config[full];
        else config[full] = value;
        secretKeys.push(full);
    }
    const serialized: Record<string, string> = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
    return { config: serialized, secretKeys: [...new Set(secretKeys)] };
}

/** Whether a value set at this key holds a place the schema marks secret (so `--secret` marked the key). */
function holdsSecret(full: string, value: unknown): boolean {
    return secretPlaces().some((place) => full === `${project}:${place.top}` && place.path.length > 0 && valueAt(value, place.path) !== undefined);
}

function valueAt(value: unknown, path: string[]): unknown {
    return path.reduce<unknown>((v, key) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined), value);
}
