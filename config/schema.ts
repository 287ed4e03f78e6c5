import { z } from "zod";
import type { DatabaseSettings } from "../lib/database";
import type { BuildSource, Platform } from "../lib/image";
import { alarmsSchema, capacitySchema, domainSchema, loadBalancerSchema, scalingSchema, scheduleSchema } from "./schema-production";

export type { BuildSource, Platform };

/**
 * The one schema of this project's stack config (`twelve-factor:*` keys and `aws:region`).
 * Per-field limits live here; rules that span fields, or that depend on values the program
 * derives (resource names, tags, SSM parameter names, DATABASE_URL), live in ./rules.ts.
 * No message here ever contains the value it judges: values are shown (or hidden, when
 * secret) by the caller.
 */

/** The Pulumi project name: the namespace of every stack config key. */
export const projectName = "twelve-factor";

/** PostgreSQL major versions that RDS offers. */
export const postgresMajorVersions = [13, 14, 15, 16, 17] as const;

/** Keys the program itself sets in every release; config may not define them. */
export const reservedKeys = ["DATABASE_URL", "PORT"] as const;

/** CloudWatch Logs accepts only these retention periods (days). */
export const logRetentionDays = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** App and stack names: lowercase letters, digits and single hyphens, starting with a letter. */
export const lowerName = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
export const envVarName = /^[A-Z_][A-Z0-9_]*$/;
/** An image in ECR pinned by digest: tasks get pull rights for ECR repositories only. */
export const ecrImageRef = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/((?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*)@sha256:[a-f0-9]{64}$/;
/** Release ids: v1 … v999999999 (room for the SSM names the release stage derives from them). */
const releaseId = /^v[1-9][0-9]{0,8}$/;
/** EC2 ids are the prefix and 8 (older) or 17 hex digits. */
const ec2Id = (prefix: string) => new RegExp(`^${prefix}-(?:[0-9a-f]{8}|[0-9a-f]{17})$`);
const subnetId = ec2Id("subnet");
/** 10.x.0.0/16 with x in 0–255, written without leading zeros. */
const privateSlash16 = /^10\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.0\.0\/16$/;
/** ACM certificate ARN; the certificate id is a UUID. */
export const acmCertificateArn = /^arn:(aws[a-z-]*):acm:([a-z0-9-]+):(\d{12}):certificate\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const regionFormat = /^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/;
/** A customer managed IAM policy ARN (an optional path, then a name of 1–128 of IAM's name characters). */
export const iamPolicyArn = /^arn:(aws[a-z-]*):iam::(\d{12}):policy\/(?:[\x21-\x7e]*\/)?[\w+=,.@-]{1,128}$/;

/** An SSM standard-tier parameter value is at most 4 KB. */
export const maxValueBytes = 4096;

/**
 * Marks the fields whose values are secret: set with --secret, stored as SecureString, never
 * shown. Marked once, here, beside the field; every other list (message masking, the
 * stack-file check, test fakes) is derived by `secretPlaces`.
 */
const secretFields = z.registry<{ secret: true }>();
function secret<T extends z.ZodType>(field: T): T {
    secretFields.add(field as z.ZodType, { secret: true });
    return field;
}

/** Refinements every string the program passes on must meet. */
const noNul = (v: string) => !v.includes("\0");
const nonEmpty = "expected a non-empty value, got an empty one";

/** A value stored as an SSM parameter (env, secrets, DATABASE_URL parts). */
const configValue = z.string()
    .min(1, "expected a non-empty value (SSM refuses empty parameter values), got an empty one")
    .refine((v) => Buffer.byteLength(v) <= maxValueBytes, { message: `expected at most ${maxValueBytes} bytes (an SSM standard parameter)`, abort: true })
    .refine(noNul, { message: "expected text without NUL characters (an environment variable cannot hold one)", abort: true })
    .refine((v) => !/\{\{[\s\S]*\}\}/.test(v), { message: "expected a value without {{…}} (SSM refuses parameter values that reference other parameters)" });

const envKey = z.string().regex(envVarName, "expected an environment variable name: A–Z, 0–9 and _, not starting with a digit");

/** A command in exec form, as ECS passes it to the container. */
const execCommand = z.array(z.string().min(1, nonEmpty).refine(noNul, "expected text without NUL characters")).min(1, "expected at least one element (exec form, e.g. [node, src/web.js]), got none");

const platform = z.enum(["linux/amd64", "linux/arm64"] satisfies Platform[]);

/** Where the image comes from: built from source (the default), promoted from another stack, or a pinned digest. */
const buildSchema = z.strictObject({
    /** Build directory, relative to the project root. @default "app" */
    context: z.string().min(1, nonEmpty).refine(noNul, "expected a path without NUL characters").optional(),
    /** Dockerfile, relative to the context. @default "Dockerfile" */
    dockerfile: z.string().min(1, nonEmpty).refine(noNul, "expected a path without NUL characters").optional(),
    /** Must match the tasks' CPU architecture. @default "linux/amd64" */
    platform: platform.default("linux/amd64"),
    /** Run the image that another stack of this project built (prod ← dev), without building. */
    promoteFrom: z.string().regex(lowerName, "expected a stack name such as dev").optional(),
    /** Run exactly this image, pinned by digest, without building. */
    image: z.string().regex(ecrImageRef, "expected an ECR image pinned by digest: <account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<64 hex digits>").optional(),
});


/** A target group health check path: at most 1024 characters (Elastic Load Balancing). */
const maxHealthCheckPathLength = 1024;

export const processNamePattern = /^[a-z][a-z0-9]{0,15}$/;

export const processSchema = z.strictObject({
    command: execCommand,
    cpu: z.number().int(),
    memory: z.number().int(),
    /** Number of tasks; release-phase processes run once per task start instead. */
    count: z.number().int().min(0).max(100).default(1),
    /** Container port; only the web process has one (1024 and up: the container runs as a non-root user). */
    port: z.number().int().min(1024).max(65535).optional(),
    /** Load balancer health check path (web). @default "/healthz" */
    healthCheckPath: z.string()
        .max(maxHealthCheckPathLength, `expected at most ${maxHealthCheckPathLength} characters (Elastic Load Balancing's limit)`)
        .regex(/^\/[A-Za-z0-9._~\/-]*$/, "expected an absolute URL path such as /healthz")
        .default("/healthz"),
    /** Container health check, run inside the container (exec form). @example ["node", "src/healthcheck.js"] */
    healthCheckCommand: execCommand.optional(),
    /** "release": runs to completion before every task of this release starts (migrations). */
    phase: z.enum(["run", "release"]).default("run"),
    /** Application Auto Scaling between min and max; `count` is the starting size. */
    scaling: scalingSchema.optional(),
    /** Run as a scheduled job (cron(…) or rate(…)) instead of a service. */
    schedule: scheduleSchema.optional(),
    /** "spot": Fargate Spot. @default "fargate" */
    capacity: capacitySchema,
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
    /** Master user: 1–63 lowercase letters, digits or _, starting with a letter; not a PostgreSQL reserved word or an RDS/PostgreSQL reserved role. */
    username: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, "expected 1–63 lowercase letters, digits or _, starting with a letter (RDS for PostgreSQL master user)").default("app"),
    /**
     * The master password's version: bumping it (2, 3, …) generates a new password, and with it
     * a new DATABASE_URL and so a new release. @default 1
     */
    passwordVersion: z.number().int().min(1).default(1),
});

/** An RDS instance the stack adopts but does not own. */
const existingSettings = z.strictObject({
    /** RDS instance identifier: 1–63 letters, digits or hyphens, starting with a letter, no double or trailing hyphen. */
    identifier: z.string().regex(/^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){0,62}$/, "expected an RDS instance identifier: 1–63 lowercase letters, digits or single hyphens, starting with a letter, not ending with a hyphen"),
    /** A PostgreSQL role of that instance (1–63 bytes). */
    username: z.string()
        .min(1, nonEmpty)
        .refine((v) => Buffer.byteLength(v) <= 63, "expected a PostgreSQL role name of at most 63 bytes")
        .refine((v) => /^[^\s\u0000-\u001f\u007f]+$/.test(v), "expected a role name without spaces or control characters"),
    password: secret(z.string().min(1, nonEmpty).refine(noNul, "expected a password without NUL characters")),
    dbName: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,62}$/, "expected a database name: 1–63 letters, digits or _, starting with a letter"),
    /** The instance's security group; when given, the stack lets its tasks in on the database port. */
    securityGroupId: z.string().regex(ec2Id("sg"), "expected a security group id sg-…").optional(),
});

/** A PostgreSQL server run by a third party (or anyone), reached by URL. */
const externalSettings = z.strictObject({
    url: secret(configValue.regex(/^postgres(ql)?:\/\/[^\s]+$/, "expected a postgres:// or postgresql:// URL")),
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
export type DatabaseConfig = DatabaseSettings;

const networkSchema = z.discriminatedUnion("mode", [
    z.strictObject({
        mode: z.literal("create"),
        cidr: z.string().regex(privateSlash16, "expected a 10.x.0.0/16 block (x from 0 to 255)").default("10.0.0.0/16"),
        /**
         * "single": one NAT gateway (cheaper); "perAz": one per availability zone (survives an AZ
         * outage); "none": no NAT, tasks in the public subnets with public IPs (inbound only from
         * the load balancer; the database stays private).
         */
        natGateways: z.enum(["single", "perAz", "none"]).default("single"),
    }),
    z.strictObject({
        mode: z.literal("existing"),
        vpcId: z.string().regex(ec2Id("vpc"), "expected a VPC id vpc-…"),
        publicSubnetIds: z.array(z.string().regex(subnetId, "expected a subnet id subnet-…")).min(2, "expected two or more subnets (two availability zones)"),
        privateSubnetIds: z.array(z.string().regex(subnetId, "expected a subnet id subnet-…")).min(2, "expected two or more subnets (two availability zones)"),
    }),
]);

/** Tag keys and values: letters, digits, spaces and _ . : / = + - @ (the set every AWS service accepts). */
export const tagText = /^[\p{L}\p{M}\p{N} _.:/=+\-@]*$/u;
const codePoints = (v: string) => [...v].length;
const tagKey = z.string()
    .min(1, "expected a tag key, got an empty one")
    .refine((k) => codePoints(k) <= 128, "expected a tag key of at most 128 characters")
    .refine((k) => tagText.test(k), "expected a tag key of letters, digits, spaces and _ . : / = + - @")
    .refine((k) => !/^aws:/i.test(k), "expected a tag key not starting with aws: (AWS reserves it)");
const tagValue = z.string()
    .refine((v) => codePoints(v) <= 256, "expected a tag value of at most 256 characters")
    .refine((v) => tagText.test(v), "expected a tag value of letters, digits, spaces and _ . : / = + - @")
    .refine((v) => !/^aws:/i.test(v), "expected a tag value not starting with aws: (ECS reserves it for keys and values)");
/** Tags as a map; an empty value is allowed (AWS accepts it). */
export const tagsSchema = z.record(tagKey, tagValue);

/**
 * Raw stack settings as read from Pulumi config; secret values arrive in plain text here only.
 *
 * Types: a top-level key holding text (app, certificateArn, aws:region) is taken as the string
 * Pulumi stores, never JSON-parsed ("null", "true" and "123" stay strings). A top-level number
 * (logRetentionDays) arrives as text and is read as a JSON number. Inside structured keys
 * (objects, arrays) values keep the type the stack file gives them: `cpu: "256"` is a string
 * and is refused where a number is expected, and `LOG_LEVEL: 2` is a number where env expects
 * a string. `pulumi config set --path` stores integers and true/false typed; `--type string`
 * (or quotes in the file) keeps them text.
 */
export const stackConfigSchema = z
    .strictObject({
        region: z.string().regex(regionFormat, "expected an AWS region such as eu-west-1"),
        app: z.string().regex(lowerName, "expected lowercase letters, digits and single hyphens, starting with a letter"),
        build: buildSchema.default({ platform: "linux/amd64" }),
        release: z.strictObject({ pin: z.string().regex(releaseId, "expected a release id such as v42").optional() }).default({}),
        env: z.record(envKey, configValue).default({}),
        secretKeys: z.array(envKey).default([]),
        secrets: secret(z.record(envKey, configValue)).default({}),
        processes: z.record(z.string().regex(processNamePattern, "expected 1–16 lowercase letters or digits, starting with a letter"), processSchema),
        database: databaseSchema,
        network: networkSchema.default({ mode: "create", cidr: "10.0.0.0/16", natGateways: "single" }),
        logRetentionDays: z.number().int().default(30),
        certificateArn: z.string().regex(acmCertificateArn, "expected an ACM certificate ARN: arn:aws:acm:<region>:<account>:certificate/<uuid>").optional(),
        domain: domainSchema.optional(),
        loadBalancer: loadBalancerSchema.default({ deletionProtection: false }),
        alarms: alarmsSchema.optional(),
        exec: z.boolean().default(false),
        /**
         * The permissions boundary of every IAM role the stack creates (a customer managed policy:
         * iam/role-boundary.json as `<app>-<stack>-role-boundary`). The CI deploy roles create roles
         * only with it. Unset: no boundary.
         */
        permissionsBoundary: z.string().regex(iamPolicyArn, "expected a customer managed IAM policy ARN: arn:aws:iam::<account>:policy/<name>, such as arn:aws:iam::123456789012:policy/shop-dev-role-boundary").optional(),
        tags: tagsSchema.default({}),
    });

export type SchemaKey = keyof typeof stackConfigSchema.shape;
export type ParsedConfig = z.infer<typeof stackConfigSchema>;
export type StackConfig = Omit<ParsedConfig, "build" | "database"> & { stack: string; build: BuildSource; database: DatabaseConfig };
export type ProcessConfig = z.infer<typeof processSchema>;
export type NetworkConfig = StackConfig["network"];

/** What JSON type a top-level key holds, read from the schema (defaults and optionals unwrapped). */
export function valueKind(key: SchemaKey): "string" | "number" | "boolean" | "structured" {
    let def = (stackConfigSchema.shape[key] as unknown as { _zod: { def: { type: string; innerType?: unknown } } })._zod.def;
    while ((def.type === "default" || def.type === "optional") && def.innerType !== undefined) {
        def = (def.innerType as { _zod: { def: { type: string; innerType?: unknown } } })._zod.def;
    }
    return def.type === "string" || def.type === "number" || def.type === "boolean" ? def.type : "structured";
}

/** A place whose values are secret: a top-level key and the path below it (empty: the whole key). */
export interface SecretPlace {
    top: SchemaKey;
    path: string[];
}

/** Every field marked `secret` in the schema, found by walking it. */
export function secretPlaces(): SecretPlace[] {
    type Def = { type: string; shape?: Record<string, z.ZodType>; innerType?: z.ZodType; options?: z.ZodType[] };
    const found: SecretPlace[] = [];
    const walk = (schema: z.ZodType, top: SchemaKey, path: string[]) => {
        if (secretFields.has(schema)) {
            found.push({ top, path });
            return;
        }
        const def = (schema as unknown as { _zod: { def: Def } })._zod.def;
        if (def.innerType !== undefined) walk(def.innerType, top, path);
        for (const [key, child] of Object.entries(def.shape ?? {})) walk(child, top, [...path, key]);
        for (const option of def.options ?? []) walk(option, top, path);
    };
    for (const [key, field] of Object.entries(stackConfigSchema.shape)) walk(field as z.ZodType, key as SchemaKey, []);
    return found;
}
