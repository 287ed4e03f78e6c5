import { describe, expect, it } from "vitest";
import { parseConfig } from "../config";
import { readStackConfig, evaluateStack, evaluateStackFailure } from "./harness";

const devProcesses = readStackConfig("dev").config["twelve-factor:processes"] as Record<string, Record<string, unknown>>;
const devDatabase = readStackConfig("dev").config["twelve-factor:database"] as Record<string, unknown>;
const withProcess = (name: string, patch: Record<string, unknown>) => ({ processes: { ...devProcesses, [name]: { ...devProcesses[name], ...patch } } });
const withDatabase = (patch: Record<string, unknown>) => ({ database: { ...devDatabase, ...patch } });
const withOwned = (patch: Record<string, unknown>) => withDatabase({ owned: { ...(devDatabase.owned as object), ...patch } });
const digest = "a".repeat(64);

/** Each bad setting, the stack it is applied to, and the key the error must name. */
const badConfigs: { why: string; stack?: string; config?: Record<string, unknown>; secrets?: Record<string, string>; key: string; says: RegExp }[] = [
    { why: "SQLite as the engine", config: withDatabase({ engine: "sqlite" }), key: "twelve-factor:database.engine", says: /expected "postgres".*SQLite.*got "sqlite"/ },
    { why: "a non-server database kind", config: withDatabase({ kind: "sqlite" }), key: "twelve-factor:database.kind", says: /owned.*existing.*external.*given "sqlite"/ },
    { why: "kind external without its URL", config: withDatabase({ kind: "external" }), key: "twelve-factor:database.external.url", says: /pulumi config set --secret --path database.external.url/ },
    { why: "kind existing without its settings", config: withDatabase({ kind: "existing" }), key: "twelve-factor:database.existing", says: /identifier, username, dbName, password/ },
    { why: "MySQL as the engine", config: withDatabase({ engine: "mysql" }), key: "twelve-factor:database.engine", says: /got "mysql"/ },
    { why: "a PostgreSQL major version RDS lacks", config: withDatabase({ majorVersion: 12 }), key: "twelve-factor:database.majorVersion", says: /13, 14, 15, 16, 17\), got 12/ },
    { why: "a made-up major version", config: withDatabase({ majorVersion: 99 }), key: "twelve-factor:database.majorVersion", says: /got 99/ },
    { why: "a misspelt database setting", config: withOwned({ multiAZ: true }), key: "twelve-factor:database.owned.multiAZ", says: /no such setting/ },
    { why: "backups switched off", config: withOwned({ backupRetentionDays: 0 }), key: "twelve-factor:database.owned.backupRetentionDays", says: /given 0/ },
    { why: "a CPU size Fargate lacks", config: withProcess("web", { cpu: 300 }), key: "twelve-factor:processes.web.cpu", says: /Fargate CPU size .*got 300/ },
    { why: "memory too large for 256 CPU", config: withProcess("web", { memory: 4096 }), key: "twelve-factor:processes.web.memory", says: /cpu 256 \(512, 1024, 2048 MiB\), got 4096/ },
    { why: "memory off the 1024 step", config: withProcess("worker", { cpu: 1024, memory: 3000 }), key: "twelve-factor:processes.worker.memory", says: /2048–8192 in steps of 1024 MiB\), got 3000/ },
    { why: "a negative task count", config: withProcess("worker", { count: -1 }), key: "twelve-factor:processes.worker.count", says: /given -1/ },
    { why: "a process name that breaks AWS names", config: { processes: { ...devProcesses, Web_1: devProcesses.worker } }, key: "twelve-factor:processes.Web_1", says: /lowercase letters or digits.*got the name "Web_1"/ },
    { why: "a process name too long", config: { processes: { ...devProcesses, backgroundreportgenerator: devProcesses.worker } }, key: "twelve-factor:processes.backgroundreportgenerator", says: /1–16/ },
    { why: "no web process", config: { processes: { worker: devProcesses.worker } }, key: "twelve-factor:processes", says: /expected a "web" process, got \["worker"\]/ },
    { why: "a web process without a port", config: withProcess("web", { port: undefined }), key: "twelve-factor:processes.web.port", says: /expected the port/ },
    { why: "a worker with a port", config: withProcess("worker", { port: 9000 }), key: "twelve-factor:processes.worker.port", says: /expected no port.*got 9000/ },
    { why: "an invalid env var name", config: { env: { "log-level": "info" } }, key: "twelve-factor:env.log-level", says: /environment variable name.*got the name "log-level"/ },
    { why: "an env var name starting with a digit", config: { env: { "1PASSWORD": "x" } }, key: "twelve-factor:env.1PASSWORD", says: /got the name "1PASSWORD"/ },
    { why: "a key in both env and secrets", config: { env: { SESSION_SECRET: "plain" } }, key: "twelve-factor:env.SESSION_SECRET", says: /either env or secrets, got it in both/ },
    { why: "DATABASE_URL set by hand", config: { env: { DATABASE_URL: "postgres://x" } }, key: "twelve-factor:env.DATABASE_URL", says: /sets itself, got DATABASE_URL/ },
    { why: "PORT set by hand", config: { env: { PORT: "80" } }, key: "twelve-factor:env.PORT", says: /got PORT/ },
    // Secret keys cost the ledger entry their name twice (hash and secretKeys), so it fills before the task definitions do.
    { why: "more keys than one 8 KB ledger entry holds", config: { secretKeys: Array.from({ length: 250 }, (_, i) => `SECRET_${i}`) }, key: "twelve-factor:env", says: /fits SSM's 8192-byte advanced tier, got about \d+ bytes \(253 keys\)/ },
    { why: "a value over SSM's 4 KB", config: { env: { BIG: "x".repeat(4097) } }, key: "twelve-factor:env.BIG", says: /at most 4096 bytes/ },
    { why: "a missing required secret", secrets: {}, key: "twelve-factor:secrets.SESSION_SECRET", says: /pulumi config set --secret --path 'secrets.SESSION_SECRET'/ },
    { why: "an undeclared secret", secrets: { SESSION_SECRET: "s", STRAY: "t" }, key: "twelve-factor:secrets.STRAY", says: /listed in secretKeys/ },
    { why: "an app name too long for prod's ALB and target group names", stack: "prod", config: { app: "inventory-search" }, key: "twelve-factor:app", says: /at most 15 characters for stack "prod"/ },
    { why: "an app name with capitals", config: { app: "Shop" }, key: "twelve-factor:app", says: /lowercase/ },
    { why: "an app name SSM reserves", config: { app: "ssmshop" }, key: "twelve-factor:app", says: /not starting with "aws" or "ssm"/ },
    { why: "a pinned release id without v", config: { release: { pin: "42" } }, key: "twelve-factor:release.pin", says: /release id such as v42.*given "42"/ },
    { why: "a pinned release v0", config: { release: { pin: "v0" } }, key: "twelve-factor:release.pin", says: /given "v0"/ },
    { why: "two image sources", config: { build: { context: "app", promoteFrom: "prod" } }, key: "twelve-factor:build", says: /one image source.*got context\/dockerfile and promoteFrom/ },
    { why: "an image not pinned by digest", config: { build: { image: `${"1".repeat(12)}.dkr.ecr.eu-west-1.amazonaws.com/shop:latest` } }, key: "twelve-factor:build.image", says: /@sha256/ },
    { why: "an unknown platform", config: { build: { context: "app", platform: "linux/riscv64" } }, key: "twelve-factor:build.platform", says: /linux\/amd64/ },
    { why: "promoting from itself", config: { build: { promoteFrom: "dev" } }, key: "twelve-factor:build.promoteFrom", says: /another stack/ },
    { why: "a log retention CloudWatch rejects", config: { logRetentionDays: 10 }, key: "twelve-factor:logRetentionDays", says: /got 10/ },
    { why: "a public address block for the VPC", config: { network: { mode: "create", cidr: "192.168.0.0/16" } }, key: "twelve-factor:network.cidr", says: /10\.x\.0\.0\/16/ },
    { why: "an existing network with one private subnet", config: { network: { mode: "existing", vpcId: "vpc-0123456789abcdef0", publicSubnetIds: ["subnet-01234567", "subnet-12345678"], privateSubnetIds: ["subnet-23456789"] } }, key: "twelve-factor:network.privateSubnetIds", says: /2/ },
    { why: "a misspelt top-level key", config: { proceses: devProcesses }, key: "twelve-factor:proceses", says: /no such setting/ },
    { why: "no region", config: { "aws:region": undefined }, key: "aws:region", says: /given nothing/ },
    { why: "an app called null (text, not JSON)", config: { app: "null" }, key: "twelve-factor:app", says: /reserved word.*got "null"/ },
    { why: "an external database port beyond 65535", config: withDatabase({ kind: "external", external: { url: "postgresql://u:p@db.example.com:99999/shop" } }), key: "twelve-factor:database.external.url", says: /port from 1 to 65535/ },
    { why: "a misspelt namespace", config: { "twelvefactor:app": "shop" }, key: "twelvefactor:app", says: /namespace "twelvefactor"/ },
    { why: "more tags than AWS allows with the program's own", config: { tags: Object.fromEntries(Array.from({ length: 46 }, (_, i) => [`t${i}`, "x"])) }, key: "twelve-factor:tags", says: /at most 45 tags/ },
    { why: "a subnet in both tiers of an adopted network", config: { network: { mode: "existing", vpcId: "vpc-0123456789abcdef0", publicSubnetIds: ["subnet-01234567", "subnet-12345678"], privateSubnetIds: ["subnet-12345678", "subnet-23456789"] } }, key: "twelve-factor:network.privateSubnetIds[0]", says: /in both/ },
    { why: "a certificate of another region", config: { certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9" }, key: "twelve-factor:certificateArn", says: /got one in us-east-1/ },
    { why: "a master user PostgreSQL reserves", config: withOwned({ username: "user" }), key: "twelve-factor:database.owned.username", says: /reserved word/ },
    { why: "an env key Fargate sets", config: { env: { AWS_REGION: "us-east-1" } }, key: "twelve-factor:env.AWS_REGION", says: /ECS and Fargate/ },
];

describe("bad stack config is rejected before any resource is declared", () => {
    it.each(badConfigs)("$why → $key", async ({ stack, config, secrets, key, says }) => {
        const { error, resources } = await evaluateStackFailure({ stack: stack ?? "dev", config, secrets });
        expect(error.name).toBe("ConfigError");
        const line = error.message.split("\n").find((l) => l.includes(`- ${key}: `));
        expect(line, error.message).toBeDefined();
        expect(line).toMatch(says);
        expect(resources).toEqual([]);
    });
});

describe("secret values never appear in config errors", () => {
    it("hides an external database URL that fails validation", async () => {
        const url = "mysql://admin:hunter2-very-secret@db.example.com/shop";
        const { error } = await evaluateStackFailure({ stack: "dev", config: { database: { kind: "external", engine: "postgres", majorVersion: 15, external: { url } } } });
        expect(error.message).toContain("twelve-factor:database.external.url: expected a postgres:// or postgresql:// URL; given a secret value (hidden)");
        expect(error.message).not.toContain("hunter2");
    });

    it("hides secret values that break the 4 KB limit", async () => {
        const { error } = await evaluateStackFailure({ stack: "dev", secrets: { SESSION_SECRET: `s3cr3t${"x".repeat(5000)}` } });
        expect(error.message).toContain("twelve-factor:secrets.SESSION_SECRET");
        expect(error.message).not.toContain("s3cr3t");
    });
});

describe("values that must be secret", () => {
    it.each([
        ["a secret config value", {}, "twelve-factor:secrets.SESSION_SECRET"],
        ["an external database URL", { database: { kind: "external", engine: "postgres", majorVersion: 15, external: { url: "postgresql://u:p@db.example.com/shop" } } }, "twelve-factor:database.external.url"],
    ])("rejects %s stored in plain text", async (_, config, key) => {
        const { error, resources } = await evaluateStackFailure({ stack: "dev", config, plaintextConfig: true });
        expect(error.message).toContain(`- ${key}: expected a secret, got a value stored in plain text in the stack file: set it again with pulumi config set --secret --path '${key.split(":")[1]}' <value>`);
        expect(resources).toEqual([]);
    });
});

describe("parseConfig", () => {
    const valid = () => {
        const { config } = readStackConfig("dev");
        const raw: Record<string, unknown> = { region: config["aws:region"], secrets: { SESSION_SECRET: "s" } };
        for (const [k, v] of Object.entries(config)) if (k.startsWith("twelve-factor:")) raw[k.slice("twelve-factor:".length)] = v;
        return raw;
    };

    it("applies the documented defaults", () => {
        const raw = valid();
        delete raw.logRetentionDays;
        delete raw.network;
        const c = parseConfig({ ...raw, processes: { web: { command: ["node", "web.js"], cpu: 256, memory: 512, port: 8080 } } }, "dev");
        expect(c.logRetentionDays).toBe(30);
        expect(c.network).toEqual({ mode: "create", cidr: "10.0.0.0/16", natGateways: "single" });
        expect(c.processes.web).toMatchObject({ count: 1, healthCheckPath: "/healthz", phase: "run" });
        expect(c.release).toEqual({});
    });

    it.each([
        [{}, { kind: "source", context: "app", dockerfile: "Dockerfile", platform: "linux/amd64" }],
        [{ promoteFrom: "staging", platform: "linux/arm64" }, { kind: "promote", fromStack: "staging", platform: "linux/arm64" }],
        [{ image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop@sha256:${digest}` }, { kind: "image", image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop@sha256:${digest}`, platform: "linux/amd64" }],
    ])("normalises build %j", (build, expected) => {
        expect(parseConfig({ ...valid(), build }, "dev").build).toEqual(expected);
    });

    it("accepts the longest app name each stack allows", async () => {
        expect(() => parseConfig({ ...valid(), app: "a".repeat(16) }, "dev")).not.toThrow();
        expect(() => parseConfig({ ...valid(), app: "a".repeat(17) }, "dev")).toThrow(/at most 16 characters/);
        const run = await evaluateStack({ stack: "prod", config: { app: "a".repeat(15) }, stackOutputs: { dev: { image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/x@sha256:${digest}` } } });
        expect(run.resources.length).toBeGreaterThan(0);
    });
});
