import { readFileSync } from "fs";
import * as yaml from "js-yaml";
import * as path from "path";

/**
 * Mandatory, advisory or disabled, per policy and stack: configured in ./enforcement.yaml, never
 * in the rules. `npm run check` reads it for the stack it checks; for `pulumi preview --policy-pack
 * policy/`, `npm run -s policy -- --stack <name>` prints the same settings as the file Pulumi's
 * `--policy-pack-config` takes.
 */

export const levels = ["mandatory", "advisory", "disabled"] as const;
export type Level = (typeof levels)[number];

/** One policy's settings for one stack: its level and its configSchema properties. */
export interface PolicySettings {
    enforcementLevel: Level;
    [property: string]: unknown;
}

export const enforcementFile = path.join(__dirname, "enforcement.yaml");

type Entry = Level | ({ enforcementLevel?: Level } & Record<string, unknown>);
interface EnforcementFile {
    default?: Record<string, Entry>;
    stacks?: Record<string, Record<string, Entry> | null>;
}

/** Thrown for a file that names an unknown policy or level; the message says where. */
export class EnforcementError extends Error {}

function entry(value: unknown, where: string, base?: PolicySettings): PolicySettings {
    const given = typeof value === "string" ? { enforcementLevel: value } : value;
    if (given === null || typeof given !== "object" || Array.isArray(given)) throw new EnforcementError(`${where}: expected a level (${levels.join(", ")}) or {enforcementLevel, …settings}`);
    const merged = { ...base, ...(given as Record<string, unknown>) } as Record<string, unknown>;
    if (!levels.includes(merged.enforcementLevel as Level)) throw new EnforcementError(`${where}: expected enforcementLevel ${levels.join(", ")}, got ${JSON.stringify(merged.enforcementLevel)}`);
    return merged as PolicySettings;
}

/**
 * Every policy's settings for a stack (undefined: the defaults alone). Each policy must have a
 * default; a name the pack does not have is an error, so a typo never disables a policy.
 */
export function settingsFor(policyNames: readonly string[], stack: string | undefined, file: string = enforcementFile): Record<string, PolicySettings> {
    const parsed = (yaml.load(readFileSync(file, "utf8")) ?? {}) as EnforcementFile;
    const where = path.basename(file);
    const unknown = (names: string[], at: string) => {
        const bad = names.filter((n) => !policyNames.includes(n));
        if (bad.length > 0) throw new EnforcementError(`${where} ${at}: no policy named ${bad.join(", ")} (the pack has ${policyNames.join(", ")})`);
    };
    unknown(Object.keys(parsed.default ?? {}), "default");
    for (const [name, overrides] of Object.entries(parsed.stacks ?? {})) unknown(Object.keys(overrides ?? {}), `stacks.${name}`);
    const settings: Record<string, PolicySettings> = {};
    for (const policy of policyNames) {
        const base = parsed.default?.[policy];
        if (base === undefined) throw new EnforcementError(`${where} default: no level for policy ${policy} (every policy needs one)`);
        settings[policy] = entry(base, `${where} default.${policy}`);
        const override = stack === undefined ? undefined : parsed.stacks?.[stack]?.[policy];
        if (override !== undefined) settings[policy] = entry(override, `${where} stacks.${stack}.${policy}`, settings[policy]);
    }
    return settings;
}

/** The stacks the file names. */
export function configuredStacks(file: string = enforcementFile): string[] {
    const parsed = (yaml.load(readFileSync(file, "utf8")) ?? {}) as EnforcementFile;
    return Object.keys(parsed.stacks ?? {});
}
