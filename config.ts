import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { describeMemoryFor, fargateCpus, isFargateCpu, isValidFargateSize } from "./components/fargate";
import { stableStringify } from "./components/ledger";
import { maxPrefixLength, stackPrefix } from "./components/naming";
import { releaseDefinitions } from "./components/processes";

/** The Pulumi project name: the namespace of every stack config key. */
export const projectName = "twelve-factor";

/** PostgreSQL major versions that RDS offers. */
export const postgresMajorVersions = [13, 14, 15, 16, 17] as const;

/** Keys the program itself sets in every release; config may not define them. */
export const reservedKeys = ["DATABASE_URL", "PORT"] as const;

/** CloudWatch Logs accepts only these retention periods (days). */
const logRetentionDays = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const lowerName = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const envVarName = /^[A-Z_][A-Z0-9_]*$/;
const imageDigestRef = /^[a-z0-9][a-z0-9.-]*(:[0-9]+)?\/[a-z0-9._\/-]+@sha256:[a-f0-9]{64}$/;
const releaseId = /^v[1-9][0-9]*$/;
const subnetId = /^subnet-[0-9a-f]{8,17}$/;

/** An SSM standard-tier parameter value is at most 4 KB. */
const maxValueBytes = 4096;

const configValue = z.string().refine((v) => Buffer.byteLength(v) <= maxValueBytes, {
    message: `expected at most ${maxValueBytes} bytes (an SSM standard parameter)`,
});

const envKey = z.string().regex(envVarName, "expected an environment variable name: A–Z, 0–9 and _, not starting with a digit");

const platform = z.enum(["linux/amd64", "linux/arm64"]);

/** Where the image comes from: built from source (the default), promoted from another stack, or a pinned digest. */
const buildSchema = z.strictObject({
    /** Build directory, relative to the project root. @default "app" */
    context: z.string().min(1).optional(),
    /** Dockerfile, relative to the context. @default "Dockerfile" */
    dockerfile: z.string().min(1).optional(),
    /** Must match the tasks' CPU architecture. @default "linux/amd64" */
    platform: platform.default("linux/amd64"),
    /** Run the image that another stack of this project built (prod ← dev), without building. */
    promoteFrom: z.string().regex(lowerName, "expected a stack name such as dev").optional(),
    /** Run exactly this image, pinned by digest, without building. */
    image: z.string().regex(imageDigestRef, "expected <registry>/<repository>@sha256:<64 hex digits>").optional(),
});

export type BuildSource =
    | { kind: "source"; context: string; dockerfile: string; platform: Platform }
    | { kind: "promote"; fromStack: string; platform: Platform }
    | { kind: "image"; image: string; platform: Platform };
export type Platform = z.infer<typeof platform>;

const processSchema = z.strictObject({
    command: z.array(z.string().min(1)).min(1),
    cpu: z.number().int(),
    memory: z.number().int(),
    /** Number of tasks; release-phase processes run once per task start instead. */
    count: z.number().int().min(0).max(100).default(1),
    /** Container port; only the web process has one. */
    port: z.number().int().min(1024).max(65535).optional(),
    /** Load balancer health check path (web). @default "/healthz" */
    healthCheckPath: z.string().regex(/^\/[A-Za-z0-9._~\/-]*$/, "expected an absolute URL path such as /healthz").default("/healthz"),
    /** Container health check, run inside the container (exec form). @example ["node", "src/healthcheck.js"] */
    healthCheckCommand: z.array(z.string().min(1)).min(1).optional(),
    /** "release": runs to completion before every task of this release starts (migrations). */
    phase: z.enum(["run", "release"]).default("run"),
});

/** Settings of an RDS instance the stack owns. */
const ownedSettings = z.strictObject({
    instanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, "expected an RDS instance class such as db.t4g.micro").default("db.t4g.micro"),
    allocatedStorage: z.number().int().min(20).max(65536).default(20),
    backupRetentionDays: z.number().int().min(1).max(35).default(7),
    multiAz: z.boolean().default(false),
    deletionProtection: z.boolean().default(true),
    /** Only when true may removing this instance from the stack delete it (after a final snapshot). */
    allowDelete: z.boolean().default(false),
    username: z.string().regex(/^[a-z][a-z0-9_]{0,15}$/, "expected 1–16 lowercase letters, digits or _, starting with a letter").default("app"),
});

/** An RDS instance the stack adopts but does not own. */
const existingSettings = z.strictObject({
    identifier: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, "expected an RDS instance identifier"),
    username: z.string().min(1),
    password: z.string().min(1),
    dbName: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,62}$/, "expected a database name"),
    /** The instance's security group; when given, the stack lets its tasks in on the database port. */
    securityGroupId: z.string().regex(/^sg-[0-9a-f]{8,17}$/, "expected a security group id sg-…").optional(),
});

/** A PostgreSQL server run by a third party (or anyone), reached by URL. */
const externalSettings = z.strictObject({
    url: configValue.regex(/^postgres(ql)?:\/\/[^\s]+$/, "expected a postgres:// or postgresql:// URL"),
});

/**
 * The backing database. `kind` alone selects which block is used, so swapping is one
 * `pulumi config set`; the blocks of the other kinds may stay in the file.
 */
const databaseSchema = z.strictObject({
    kind: z.enum(["owned", "existing", "external"]),
    engine: z.string(),
    majorVersion: z.number().int(),
    owned: ownedSettings.default(ownedSettings.parse({})),
    existing: existingSettings.optional(),
    external: externalSettings.optional(),
});

/** The database as the components see it: the selected kind's settings only. */
export type DatabaseConfig = { engine: string; majorVersion: number } & (
    | ({ kind: "owned" } & z.infer<typeof ownedSettings>)
    | ({ kind: "existing" } & z.infer<typeof existingSettings>)
    | ({ kind: "external" } & z.infer<typeof externalSettings>)
);

const networkSchema = z.discriminatedUnion("mode", [
    z.strictObject({
        mode: z.literal("create"),
        cidr: z.string().regex(/^10\.(\d{1,3})\.0\.0\/16$/, "expected a 10.x.0.0/16 block").default("10.0.0.0/16"),
        /** "single": one NAT gateway (cheaper); "perAz": one per availability zone (survives an AZ outage). */
        natGateways: z.enum(["single", "perAz"]).default("single"),
    }),
    z.strictObject({
        mode: z.literal("existing"),
        vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, "expected a VPC id vpc-…"),
        publicSubnetIds: z.array(z.string().regex(subnetId, "expected a subnet id subnet-…")).min(2),
        privateSubnetIds: z.array(z.string().regex(subnetId, "expected a subnet id subnet-…")).min(2),
    }),
]);

/** Raw stack settings as read from Pulumi config; secret values arrive in plain text here only. */
export const stackConfigSchema = z
    .strictObject({
        region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "expected an AWS region such as eu-west-1"),
        app: z.string().regex(lowerName, "expected lowercase letters, digits and single hyphens, starting with a letter"),
        build: buildSchema.default({ platform: "linux/amd64" }),
        release: z.strictObject({ pin: z.string().regex(releaseId, "expected a release id such as v42").optional() }).default({}),
        env: z.record(envKey, configValue).default({}),
        secretKeys: z.array(envKey).default([]),
        secrets: z.record(envKey, configValue).default({}),
        processes: z.record(z.string().regex(/^[a-z][a-z0-9]{0,15}$/, "expected 1–16 lowercase letters or digits, starting with a letter"), processSchema),
        database: databaseSchema,
        network: networkSchema.default({ mode: "create", cidr: "10.0.0.0/16", natGateways: "single" }),
        logRetentionDays: z.number().int().default(30),
        certificateArn: z.string().regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/, "expected an ACM certificate ARN").optional(),
        tags: z.record(z.string().min(1).max(128), z.string().max(256)).default({}),
    });

type ParsedConfig = z.infer<typeof stackConfigSchema>;
export type StackConfig = Omit<ParsedConfig, "build" | "database"> & { stack: string; build: BuildSource; database: DatabaseConfig };
export type ProcessConfig = z.infer<typeof processSchema>;
export type NetworkConfig = StackConfig["network"];

/** Config paths that hold secret values (and everything below them); errors never echo them. */
const secretPaths = new Set(["secrets", "database.existing.password", "database.external.url"]);

type Problem = { path: string; message: string };

/** Cross-field rules that zod's per-field checks cannot express. */
function crossFieldProblems(c: ParsedConfig, stack: string): Problem[] {
    const problems: Problem[] = [];
    const add = (path: string, message: string) => problems.push({ path, message });

    const sources = [c.build.context !== undefined || c.build.dockerfile !== undefined ? "context/dockerfile" : undefined, c.build.promoteFrom && "promoteFrom", c.build.image && "image"].filter(Boolean);
    if (sources.length > 1) add("build", `expected one image source (context/dockerfile, promoteFrom or image), got ${sources.join(" and ")}`);
    if (c.build.promoteFrom === stack) add("build.promoteFrom", `expected another stack than this one, got "${stack}"`);

    const prefix = stackPrefix(c.app, stack);
    if (prefix.length > maxPrefixLength) {
        add("app", `expected at most ${maxPrefixLength - stack.length - 1} characters for stack "${stack}" so that ALB, target group, IAM role and RDS names stay within AWS limits ("${prefix}" is ${prefix.length} of ${maxPrefixLength}), got "${c.app}"`);
    }
    if (/^(aws|ssm)/i.test(c.app)) add("app", `expected a name not starting with "aws" or "ssm" (SSM reserves them), got "${c.app}"`);

    for (const [name, p] of Object.entries(c.processes)) {
        if (!isFargateCpu(p.cpu)) {
            add(`processes.${name}.cpu`, `expected a Fargate CPU size (${fargateCpus.join(", ")}), got ${p.cpu}`);
        } else if (!isValidFargateSize(p.cpu, p.memory)) {
            add(`processes.${name}.memory`, `expected a Fargate memory size for cpu ${p.cpu} (${describeMemoryFor(p.cpu)} MiB), got ${p.memory}`);
        }
        if (name === "web" && p.port === undefined) add(`processes.web.port`, "expected the port the web process listens on, got nothing");
        if (name !== "web" && p.port !== undefined) add(`processes.${name}.port`, `expected no port: only the web process is behind the load balancer, got ${p.port}`);
        if (name === "web" && p.phase === "release") add(`processes.web.phase`, `expected "run" for the web process, got "release"`);
    }
    if (!("web" in c.processes)) add("processes", `expected a "web" process, got ${JSON.stringify(Object.keys(c.processes))}`);
    if (Object.values(c.processes).filter((p) => p.phase === "release").length > 1) {
        add("processes", "expected at most one process with phase \"release\"");
    }

    for (const key of Object.keys(c.env)) {
        if (key in c.secrets || c.secretKeys.includes(key)) add(`env.${key}`, `expected ${key} in either env or secrets, got it in both`);
    }
    for (const key of [...Object.keys(c.env), ...c.secretKeys]) {
        if ((reservedKeys as readonly string[]).includes(key)) add(`env.${key}`, `expected a key other than ${reservedKeys.join(" and ")}, which the stack sets itself, got ${key}`);
    }
    for (const key of c.secretKeys) {
        if (!(key in c.secrets)) {
            add(`secrets.${key}`, `expected a value for required secret ${key}: run pulumi config set --secret --path 'secrets.${key}' <value>, got nothing`);
        }
    }
    for (const key of Object.keys(c.secrets)) {
        if (!c.secretKeys.includes(key)) add(`secrets.${key}`, `expected ${key} to be listed in secretKeys, got an undeclared secret`);
    }

    const db = c.database;
    if (db.engine !== "postgres") {
        add("database.engine", `expected "postgres" (a PostgreSQL server; SQLite and other engines are not supported), got ${JSON.stringify(db.engine)}`);
    }
    if (!(postgresMajorVersions as readonly number[]).includes(db.majorVersion)) {
        add("database.majorVersion", `expected a PostgreSQL major version RDS offers (${postgresMajorVersions.join(", ")}), got ${db.majorVersion}`);
    }
    if (db.kind === "existing" && db.existing === undefined) {
        add("database.existing", "expected {identifier, username, dbName, password} for kind existing (password: pulumi config set --secret --path database.existing.password <value>), got nothing");
    }
    if (db.kind === "external" && db.external === undefined) {
        add("database.external.url", "expected the server's URL for kind external: run pulumi config set --secret --path database.external.url <postgresql://…>, got nothing");
    }
    const ledgerBytes = estimatedLedgerEntryBytes(c);
    if (ledgerBytes > maxLedgerEntryBytes) {
        add("env", `expected a release whose ledger entry fits SSM's ${maxLedgerEntryBytes}-byte advanced tier, got about ${ledgerBytes} bytes (${Object.keys(c.env).length + c.secretKeys.length} keys): use fewer, or build settings that rarely change into the image`);
    }
    if (!(logRetentionDays as readonly number[]).includes(c.logRetentionDays)) {
        add("logRetentionDays", `expected one of ${logRetentionDays.join(", ")}, got ${c.logRetentionDays}`);
    }
    if (!lowerName.test(stack)) add("(stack name)", `expected a stack name of lowercase letters, digits and hyphens, got "${stack}"`);
    return problems;
}

function shown(path: string, value: unknown): string {
    if (isSecretPath(path)) return "a secret value (hidden)";
    return value === undefined ? "nothing" : JSON.stringify(value);
}

/** One zod issue as "key: expected …, got …", with unknown keys and bad map keys named precisely. */
function describeIssue(issue: z.core.$ZodIssue, raw: Record<string, unknown>): Problem[] {
    const path = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
        const parent = valueAt(raw, issue.path) as Record<string, unknown>;
        return issue.keys.map((key) => {
            const at = path ? `${path}.${key}` : key;
            return { path: at, message: `expected no such setting (misspelt?), got ${shown(at, parent[key])}` };
        });
    }
    if (issue.code === "invalid_key") {
        const key = String(issue.path[issue.path.length - 1]);
        return [{ path, message: `${issue.issues.map((i) => i.message).join("; ")}, got the name "${key}"` }];
    }
    const message = issue.message.replace(/^Invalid input: /, "");
    return [{ path: path || "(root)", message: `${message}; given ${shown(path, valueAt(raw, issue.path))}` }];
}

/** SSM's advanced tier: the largest parameter value, and so the largest ledger entry. */
const maxLedgerEntryBytes = 8192;

/** The size of this config's ledger entry, with room for the longest digest, id and image. */
function estimatedLedgerEntryBytes(c: ParsedConfig): number {
    const keys = [...Object.keys(c.env), ...c.secretKeys, ...reservedKeys];
    return Buffer.byteLength(stableStringify({
        digest: "0".repeat(64),
        id: "v999999",
        image: "0".repeat(300),
        keys: Object.fromEntries(keys.map((k) => [k, "0".repeat(16)])),
        processes: releaseDefinitions(c.processes),
        secretKeys: [...c.secretKeys, ...reservedKeys],
    }));
}

function isSecretPath(path: string): boolean {
    return [...secretPaths].some((p) => path === p || path.startsWith(`${p}.`));
}

function valueAt(raw: unknown, path: PropertyKey[]): unknown {
    let v: unknown = raw;
    for (const key of path) {
        if (v === null || typeof v !== "object") return undefined;
        v = (v as Record<PropertyKey, unknown>)[key];
    }
    return v;
}

/** The fully-qualified name a user types in `pulumi config set`. */
function configKeyName(path: string): string {
    if (path === "region") return "aws:region";
    if (path === "(stack name)") return path;
    return `${projectName}:${path}`;
}

export class ConfigError extends Error {
    constructor(public readonly problems: Problem[]) {
        super(`Invalid stack configuration:\n${problems.map((p) => `  - ${configKeyName(p.path)}: ${p.message}`).join("\n")}`);
        this.name = "ConfigError";
    }
}

/** Validates raw stack settings. Pure: tests call it directly; nothing is declared on failure. */
export function parseConfig(raw: Record<string, unknown>, stack: string): StackConfig {
    const parsed = stackConfigSchema.safeParse(raw);
    if (!parsed.success) {
        throw new ConfigError(parsed.error.issues.flatMap((issue) => describeIssue(issue, raw)));
    }
    const problems = crossFieldProblems(parsed.data, stack);
    if (problems.length > 0) throw new ConfigError(problems);
    return { ...parsed.data, stack, build: buildSource(parsed.data.build), database: selectedDatabase(parsed.data.database) };
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
 * Reads this stack's settings: every key of the project namespace, so that a misspelt key
 * fails instead of being ignored. Values are read raw (secrets included) because the release
 * digest must hash them before any resource is declared; the release component re-wraps
 * them as secrets, and they are never exported or logged.
 */
export function loadConfig(): StackConfig {
    const all = pulumi.runtime.allConfig();
    const raw: Record<string, unknown> = { region: all["aws:region"] };
    for (const [fullKey, value] of Object.entries(all)) {
        if (fullKey.startsWith(`${projectName}:`)) raw[fullKey.slice(projectName.length + 1)] = parseConfigValue(value);
    }
    const config = parseConfig(raw, pulumi.getStack());
    const unencrypted = secretValuedKeys(config).filter((key) => !isConfigSecret(`${projectName}:${key.split(".")[0]}`));
    if (unencrypted.length > 0) {
        throw new ConfigError(unencrypted.map((key) => ({ path: key, message: `expected a secret, got a value stored in plain text in the stack file: set it again with pulumi config set --secret --path '${key}' <value>` })));
    }
    return config;
}

/** Keys whose values must have been set with --secret. */
function secretValuedKeys(c: StackConfig): string[] {
    const keys = Object.keys(c.secrets).map((k) => `secrets.${k}`);
    if (c.database.kind === "existing") keys.push("database.existing.password");
    if (c.database.kind === "external") keys.push("database.external.url");
    return keys;
}

// The SDK exports this from its runtime but leaves it out of its typings.
const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(fullKey: string): boolean };

/** Pulumi passes structured and numeric config as JSON text; plain strings stay strings. */
function parseConfigValue(value: string): unknown {
    try {
        return JSON.parse(value);
    } catch {
        return value;
    }
}
