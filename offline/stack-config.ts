import { createHash } from "crypto";
import { secretPlaces } from "../config/schema";
import { readFileSync } from "fs";
import * as yaml from "js-yaml";
import * as path from "path";

/** Stack config as the Pulumi engine hands it to the program: project defaults, stack file, secrecy per top-level key. */

export const projectRoot = path.resolve(__dirname, "..");
export const project = "twelve-factor";

/** Pulumi.yaml defaults + Pulumi.<stack>.yaml, as the engine hands them to the program. */
export function readStackConfig(stack: string): { config: Record<string, unknown>; secretKeys: string[] } {
    const projectFile = yaml.load(readFileSync(path.join(projectRoot, "Pulumi.yaml"), "utf8")) as { config?: Record<string, { default?: unknown }> };
    const stackFile = yaml.load(readFileSync(path.join(projectRoot, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Record<string, unknown> };
    const config: Record<string, unknown> = {};
    const secretKeys: string[] = [];
    for (const [key, decl] of Object.entries(projectFile.config ?? {})) {
        const full = `${project}:${key}`;
        if (decl.default !== undefined) config[full] = decl.default;
        // The engine refuses to run a stack that lacks a declared key without a default.
        else if (!(full in (stackFile.config ?? {}))) throw new Error(`Stack '${stack}' is missing configuration value '${key}' (declared in Pulumi.yaml without a default)`);
    }
    for (const [key, value] of Object.entries(stackFile.config ?? {})) {
        const { value: plain, secret } = replaceSecure(value, key);
        config[key] = plain;
        if (secret) secretKeys.push(key);
    }
    return { config, secretKeys };
}

/** `secure:` leaves become fake plain values; the key is then a secret, as Pulumi marks it. */
function replaceSecure(value: unknown, pathSoFar: string): { value: unknown; secret: boolean } {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        const obj = value as Record<string, unknown>;
        if (Object.keys(obj).length === 1 && typeof obj.secure === "string") return { value: `fake-secret-${pathSoFar}`, secret: true };
        let secret = false;
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(obj)) {
            const r = replaceSecure(v, `${pathSoFar}.${k}`);
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
