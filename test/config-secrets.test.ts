import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../config";
import { readStackConfig, evaluateStackFailure } from "./harness";
import { engineConfig, type ConfigOverrides } from "./support/stack-config";

/**
 * Values set with --secret never appear in a config error, wherever they sit: canaries of
 * several shapes, set at places that may not hold secrets, at unknown keys, in wrongly typed
 * fields and inside arrays. Secrecy is what Pulumi reports: per top-level key.
 */

const canaries = [
    "canary with spaces, \"double\" and 'single' quotes",
    "123456",
    '{"a":1}',
    "first canary line\nsecond canary line\twith a tab",
    "ünïcödé-canary-✓",
];

/** The forms a value could take in a message: itself, JSON-escaped, escaped twice. */
function forms(canary: string): string[] {
    return [canary, JSON.stringify(canary).slice(1, -1), JSON.stringify(JSON.stringify(canary)).slice(2, -2)];
}

const dev = readStackConfig("dev").config;
const devProcesses = dev["twelve-factor:processes"] as Record<string, Record<string, unknown>>;
const devDatabase = dev["twelve-factor:database"] as Record<string, unknown>;

/** Places a secret can be put by mistake: `pulumi config set --secret [--path] <key> <canary>`. */
const places: { where: string; secretConfig: (c: string) => Record<string, unknown>; key: string; says?: RegExp }[] = [
    { where: "under env", secretConfig: (c) => ({ env: { ...(dev["twelve-factor:env"] as object), API_TOKEN: c } }), key: "twelve-factor:env", says: /^holds a value set with --secret; secrets belong under twelve-factor:secrets \(pulumi config set --secret --path 'secrets.KEY' …\) and in secretKeys$/ },
    { where: "beside a bad env name and an empty value", secretConfig: (c) => ({ env: { "bad-name": c, EMPTY: "" } }), key: "twelve-factor:env", says: /holds a value set with --secret/ },
    { where: "under tags", secretConfig: (c) => ({ tags: { team: c } }), key: "twelve-factor:tags", says: /holds a value set with --secret/ },
    { where: "as a tag key's value that breaks AWS's rules", secretConfig: (c) => ({ tags: { "aws:x": c, app: c } }), key: "twelve-factor:tags" },
    { where: "as an unknown key", secretConfig: (c) => ({ secretz: c }), key: "twelve-factor:secretz", says: /no such setting.*a secret value \(hidden\)/ },
    { where: "as a nested key set without --path", secretConfig: (c) => ({ "secrets.API_TOKEN": c }), key: "twelve-factor:secrets.API_TOKEN", says: /a secret value \(hidden\)/ },
    { where: "in a namespace the program does not know", secretConfig: (c) => ({ "twelvefactor:secrets": { API_TOKEN: c } }), key: "twelvefactor:secrets" },
    { where: "as an unknown aws key", secretConfig: (c) => ({ "aws:secretKeyy": c }), key: "aws:secretKeyy", says: /a secret value \(hidden\)/ },
    { where: "as a wrongly typed number field", secretConfig: (c) => ({ processes: { ...devProcesses, web: { ...devProcesses.web, cpu: c } } }), key: "twelve-factor:processes.web.cpu", says: /expected number.*a secret value \(hidden\)/ },
    { where: "as a top-level number", secretConfig: (c) => ({ logRetentionDays: c }), key: "twelve-factor:logRetentionDays", says: /a secret value \(hidden\)/ },
    { where: "inside processes.*.command", secretConfig: (c) => ({ processes: { ...devProcesses, worker: { ...devProcesses.worker, command: ["node", c] } } }), key: "twelve-factor:processes", says: /holds a value set with --secret/ },
    { where: "as a command given as one string", secretConfig: (c) => ({ processes: { ...devProcesses, worker: { ...devProcesses.worker, command: c } } }), key: "twelve-factor:processes.worker.command", says: /expected array.*a secret value \(hidden\)/ },
    { where: "inside a list of names", secretConfig: (c) => ({ secretKeys: ["SESSION_SECRET", c] }), key: "twelve-factor:secretKeys[1]", says: /a secret value \(hidden\)/ },
    { where: "inside a list of subnets", secretConfig: (c) => ({ network: { mode: "existing", vpcId: "vpc-0123456789abcdef0", publicSubnetIds: [c, c], privateSubnetIds: ["subnet-01234567", c] } }), key: "twelve-factor:network" },
    { where: "as the app name", secretConfig: (c) => ({ app: c }), key: "twelve-factor:app", says: /a secret value \(hidden\)/ },
    { where: "as the region", secretConfig: (c) => ({ "aws:region": c }), key: "aws:region", says: /holds a value set with --secret; the region is not secret/ },
    { where: "as a default tag", secretConfig: (c) => ({ "aws:defaultTags": { tags: { owner: c } } }), key: "aws:defaultTags", says: /holds a value set with --secret/ },
    { where: "as the certificate ARN", secretConfig: (c) => ({ certificateArn: c }), key: "twelve-factor:certificateArn", says: /a secret value \(hidden\)/ },
    { where: "as the alarm email", secretConfig: (c) => ({ alarms: { email: c } }), key: "twelve-factor:alarms" },
    { where: "as the domain name", secretConfig: (c) => ({ domain: { name: c, hostedZoneId: "Z0123456789ABCDEFGHIJ" } }), key: "twelve-factor:domain" },
    { where: "as the roles' permissions boundary", secretConfig: (c) => ({ permissionsBoundary: c }), key: "twelve-factor:permissionsBoundary" },
    { where: "as the pinned release", secretConfig: (c) => ({ release: { pin: c } }), key: "twelve-factor:release.pin", says: /a secret value \(hidden\)/ },
    { where: "as the build image", secretConfig: (c) => ({ build: { image: c } }), key: "twelve-factor:build.image", says: /a secret value \(hidden\)/ },
    { where: "at a misspelt database password", secretConfig: (c) => ({ database: { ...devDatabase, owned: { ...(devDatabase.owned as object), passwrd: c } } }), key: "twelve-factor:database.owned.passwrd", says: /no such setting.*a secret value \(hidden\)/ },
    { where: "as a database setting that is not the password", secretConfig: (c) => ({ database: { ...devDatabase, owned: { ...(devDatabase.owned as object), username: c } } }), key: "twelve-factor:database.owned.username", says: /a secret value \(hidden\)/ },
    { where: "as a database engine", secretConfig: (c) => ({ database: { ...devDatabase, engine: c } }), key: "twelve-factor:database.engine", says: /a secret value \(hidden\)/ },
    { where: "in an existing database's password beside a bad identifier", secretConfig: (c) => ({ database: { ...devDatabase, kind: "existing", existing: { identifier: c, username: c, dbName: c, password: c } } }), key: "twelve-factor:database.existing.identifier" },
    { where: "in an external URL with a bad port", secretConfig: (c) => ({ database: { ...devDatabase, kind: "external", external: { url: `postgresql://app:${encodeURIComponent(c)}@db.example.com:99999/shop` } } }), key: "twelve-factor:database.external.url", says: /port from 1 to 65535.*not shown/ },
    { where: "in an external URL that is not a URL", secretConfig: (c) => ({ database: { ...devDatabase, kind: "external", external: { url: c } } }), key: "twelve-factor:database.external.url", says: /a secret value \(hidden\)/ },
    { where: "as a secret value breaking SSM's rules", secretConfig: (c) => ({ secrets: { SESSION_SECRET: `${c}{{ssm:x}}`, STRAY: c } }), key: "twelve-factor:secrets.SESSION_SECRET", says: /\{\{…\}\}.*a secret value \(hidden\)/ },
    { where: "as a secret whose name is not listed", secretConfig: (c) => ({ secrets: { SESSION_SECRET: c, STRAY: c } }), key: "twelve-factor:secrets.STRAY", says: /listed in secretKeys/ },
    { where: "as a whole structured key", secretConfig: (c) => ({ processes: c }), key: "twelve-factor:processes", says: /a secret value \(hidden\)/ },
];

function refused(o: Partial<ConfigOverrides>): ConfigError {
    const { config, secretKeys } = engineConfig({ stack: "dev", ...o });
    try {
        parseConfig(config, "dev", { secretTopLevelKeys: secretKeys });
    } catch (e) {
        if (e instanceof ConfigError) return e;
        throw e;
    }
    throw new Error("expected the config to be refused");
}

describe("a value set with --secret never appears in a config error", () => {
    const cases = places.flatMap((p) => canaries.map((canary) => ({ ...p, canary })));

    it.each(cases)("$where: $canary", ({ secretConfig, canary, key, says }) => {
        const error = refused({ secretConfig: secretConfig(canary) });
        const text = [error.message, error.stack ?? "", JSON.stringify(error.problems), String(error)].join("\n");
        for (const form of forms(canary)) expect(text, `${form} in:\n${error.message}`).not.toContain(form);
        // Each line of a multi-line canary, too.
        for (const line of canary.split(/\n|\t/).filter((l) => l.length >= 6)) expect(text).not.toContain(line);
        const named = error.problems.filter((p) => p.key === key || p.key.startsWith(`${key}.`) || p.key.startsWith(`${key}[`));
        expect(named.length, error.message).toBeGreaterThan(0);
        if (says) expect(named.map((p) => p.message).join("\n"), error.message).toMatch(says);
    });

    it("refuses a secret top-level key that may not hold secrets, even when its values are valid", () => {
        const error = refused({ secretConfig: { env: { LOG_LEVEL: "debug" } } });
        expect(error.message).toContain("- twelve-factor:env: holds a value set with --secret; secrets belong under twelve-factor:secrets (pulumi config set --secret --path 'secrets.KEY' …) and in secretKeys");
    });

    it("hides values at secret places even when the caller does not say what is secret", () => {
        const { config } = engineConfig({ stack: "dev", secrets: { SESSION_SECRET: `${canaries[0]}${"x".repeat(5000)}` } });
        let error: ConfigError | undefined;
        try {
            parseConfig(config, "dev");
        } catch (e) {
            error = e as ConfigError;
        }
        expect(error?.message).toContain("twelve-factor:secrets.SESSION_SECRET: expected at most 4096 bytes (an SSM standard parameter); given a secret value (hidden)");
        for (const form of forms(canaries[0])) expect(error?.message).not.toContain(form);
    });

    it("shows values of keys that are not secret", () => {
        const error = refused({ config: { tags: { team: "plat!form" } } });
        expect(error.message).toContain('given "plat!form"');
    });
});

describe("program level: a secret in the wrong place is refused before anything is declared", () => {
    it.each([
        ["under env", { env: { API_TOKEN: canaries[0] } }, "twelve-factor:env"],
        ["under tags", { tags: { team: canaries[3] } }, "twelve-factor:tags"],
        ["as an unknown key", { secretz: canaries[2] }, "twelve-factor:secretz"],
        ["as a wrongly typed number", { processes: { ...devProcesses, web: { ...devProcesses.web, memory: canaries[1] } } }, "twelve-factor:processes.web.memory"],
    ])("%s", async (_, secretConfig, key) => {
        const { error, resources } = await evaluateStackFailure({ stack: "dev", secretConfig });
        expect(error.name).toBe("ConfigError");
        expect(error.message).toContain(`- ${key}: `);
        for (const canary of canaries) for (const form of forms(canary)) expect(`${error.message}\n${error.stack}`).not.toContain(form);
        expect(resources).toEqual([]);
    });
});
