import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig, type Problem } from ".";
import { engineConfig, readStackConfig, type ConfigOverrides } from "../test/support/stack-config";

/**
 * Bad config, refused by the pure parse before anything is declared: each case is the config
 * the engine would hand the program (strings, secrecy per top-level key, built by the same
 * helper the harness uses), the key the error must name, and what it must say.
 */

const dev = readStackConfig("dev").config;
const devProcesses = dev["twelve-factor:processes"] as Record<string, Record<string, unknown>>;
const devDatabase = dev["twelve-factor:database"] as Record<string, unknown>;
const withProcess = (name: string, patch: Record<string, unknown>) => ({ processes: { ...devProcesses, [name]: { ...devProcesses[name], ...patch } } });
const withDatabase = (patch: Record<string, unknown>) => ({ database: { ...devDatabase, ...patch } });
const withOwned = (patch: Record<string, unknown>) => withDatabase({ owned: { ...(devDatabase.owned as object), ...patch } });
const existing = { identifier: "shop-legacy", username: "shop", dbName: "shop", password: "pw-0123456789" };
const withExisting = (patch: Record<string, unknown>) => withDatabase({ kind: "existing", existing: { ...existing, ...patch } });
const withUrl = (url: string) => withDatabase({ kind: "external", external: { url } });
const withTags = (tags: Record<string, unknown>) => ({ tags });
const existingNetwork = (publicSubnetIds: string[], privateSubnetIds: string[]) => ({ network: { mode: "existing", vpcId: "vpc-0123456789abcdef0", publicSubnetIds, privateSubnetIds } });
const digest = "a".repeat(64);
const ecr = (host: string, repo = "shop") => `${host}/${repo}@sha256:${digest}`;
const manyTags = (n: number, prefix = "t") => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, "x"]));
const uuid = "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9";

export interface BadConfig extends Partial<ConfigOverrides> {
    why: string;
    key: string;
    says: RegExp;
}

/** Every problem the parse reports for the overrides, with the message. */
export function problemsOf(o: Partial<ConfigOverrides> & { stackFile?: unknown; stackName?: string }): { problems: Problem[]; message: string; stack: string } {
    const stack = o.stack ?? "dev";
    const { config, secretKeys } = engineConfig({ ...o, stack });
    try {
        parseConfig(config, o.stackName ?? stack, { secretTopLevelKeys: secretKeys, stackFile: o.stackFile });
    } catch (e) {
        if (e instanceof ConfigError) return { problems: e.problems, message: e.message, stack: e.stack ?? "" };
        throw e;
    }
    throw new Error(`expected ${JSON.stringify(o.config ?? o.secretConfig)} to be refused`);
}

const badConfigs: BadConfig[] = [
    // The app name: text, never JSON; it names resources, the SSM path and the owned database.
    { why: "app null (text, not JSON null)", config: { app: "null" }, key: "twelve-factor:app", says: /PostgreSQL database.*reserved word.*got "null"/ },
    { why: "app true", config: { app: "true" }, key: "twelve-factor:app", says: /reserved word.*got "true"/ },
    { why: "app 123", config: { app: "123" }, key: "twelve-factor:app", says: /lowercase letters.*given "123"/ },
    { why: "app user (the database would be named user)", config: { app: "user" }, key: "twelve-factor:app", says: /reserved word.*got "user"/ },
    { why: "app select", config: { app: "select" }, key: "twelve-factor:app", says: /reserved word/ },
    { why: "app left (reserved as a database name)", config: { app: "left" }, key: "twelve-factor:app", says: /reserved word/ },
    { why: "app template1", config: { app: "template1" }, key: "twelve-factor:app", says: /template database/ },
    { why: "app rdsadmin", config: { app: "rdsadmin" }, key: "twelve-factor:app", says: /RDS reserves/ },
    { why: "app empty", config: { app: "" }, key: "twelve-factor:app", says: /given ""/ },
    { why: "app with a double hyphen", config: { app: "my--shop" }, key: "twelve-factor:app", says: /single hyphens/ },
    { why: "app starting with a hyphen", config: { app: "-shop" }, key: "twelve-factor:app", says: /given "-shop"/ },
    { why: "app ending with a hyphen", config: { app: "shop-" }, key: "twelve-factor:app", says: /given "shop-"/ },
    { why: "app with an underscore", config: { app: "my_shop" }, key: "twelve-factor:app", says: /given "my_shop"/ },
    { why: "app with a space", config: { app: "my shop" }, key: "twelve-factor:app", says: /given "my shop"/ },
    { why: "app starting with aws", config: { app: "awsome" }, key: "twelve-factor:app", says: /"aws" or "ssm"/ },
    { why: "app starting with ssm", config: { app: "ssm-tools" }, key: "twelve-factor:app", says: /"aws" or "ssm"/ },
    { why: "app 17 characters on dev", config: { app: "a".repeat(17) }, key: "twelve-factor:app", says: /at most 16 characters/ },
    { why: "app as JSON (text, as Pulumi stores it)", config: { app: { name: "shop" } }, key: "twelve-factor:app", says: /lowercase letters.*given "\{/ },

    // Region.
    { why: "a region that does not exist", config: { "aws:region": "eu-west-9" }, key: "aws:region", says: /region the AWS provider knows.*got "eu-west-9"/ },
    { why: "a misspelt region", config: { "aws:region": "eu-wset-1" }, key: "aws:region", says: /got "eu-wset-1"/ },
    { why: "a region in capitals", config: { "aws:region": "EU-WEST-1" }, key: "aws:region", says: /AWS region such as eu-west-1/ },
    { why: "an empty region", config: { "aws:region": "" }, key: "aws:region", says: /given ""/ },
    { why: "an availability zone as the region", config: { "aws:region": "eu-west-1a" }, key: "aws:region", says: /AWS region/ },

    // Keys and namespaces.
    { why: "a namespace without the hyphen", config: { "twelvefactor:app": "shop" }, key: "twelvefactor:app", says: /namespace "twelvefactor".*misspelt\? this project's keys are twelve-factor:/ },
    { why: "a namespace with an underscore", config: { "twelve_factor:app": "shop" }, key: "twelve_factor:app", says: /namespace "twelve_factor"/ },
    { why: "a namespace no provider has", config: { "random:seed": "1" }, key: "random:seed", says: /namespace "random"/ },
    { why: "a misspelt aws key", config: { "aws:regoin": "eu-west-1" }, key: "aws:regoin", says: /setting of the AWS provider/ },
    { why: "a misspelt docker key", config: { "docker:hots": "unix:///var/run/docker.sock" }, key: "docker:hots", says: /setting of the Docker provider/ },
    { why: "the region in the project namespace", config: { region: undefined, "twelve-factor:region": "eu-west-1" }, key: "twelve-factor:region", says: /the region is aws:region/ },
    { why: "a nested key set without --path", config: { "twelve-factor:processes.web.cpu": 512 }, key: "twelve-factor:processes.web.cpu", says: /pulumi config set --path 'processes.web.cpu'/ },
    { why: "a misspelt top-level key", config: { secretz: "x" }, key: "twelve-factor:secretz", says: /no such setting/ },

    // Build.
    { why: "an image from Docker Hub", config: { build: { image: `docker.io/library/nginx@sha256:${digest}` } }, key: "twelve-factor:build.image", says: /ECR image pinned by digest/ },
    { why: "an image with a tag, not a digest", config: { build: { image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:v1` } }, key: "twelve-factor:build.image", says: /@sha256/ },
    { why: "an image in another partition", config: { build: { image: ecr("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn") } }, key: "twelve-factor:build.image", says: /aws partition.*got one in aws-cn/ },
    { why: "a China ECR host without .cn", config: { build: { image: ecr("123456789012.dkr.ecr.cn-north-1.amazonaws.com") } }, key: "twelve-factor:build.image", says: /amazonaws\.com\.cn/ },
    { why: "an ECR repository name ECR refuses", config: { build: { image: ecr("123456789012.dkr.ecr.eu-west-1.amazonaws.com", "shop--/x") } }, key: "twelve-factor:build.image", says: /ECR image/ },
    { why: "an empty build context", config: { build: { context: "" } }, key: "twelve-factor:build.context", says: /non-empty/ },
    { why: "an empty Dockerfile", config: { build: { dockerfile: "" } }, key: "twelve-factor:build.dockerfile", says: /non-empty/ },
    { why: "promoting from a stack name in capitals", config: { build: { promoteFrom: "Prod" } }, key: "twelve-factor:build.promoteFrom", says: /stack name/ },
    { why: "build as text", config: { build: "app" }, key: "twelve-factor:build", says: /expected object/ },
    { why: "a misspelt build setting", config: { build: { contex: "app" } }, key: "twelve-factor:build.contex", says: /no such setting/ },

    // Release.
    { why: "a pin beyond the release ids SSM names have room for", config: { release: { pin: "v1234567890" } }, key: "twelve-factor:release.pin", says: /release id/ },
    { why: "a pin in capitals", config: { release: { pin: "V3" } }, key: "twelve-factor:release.pin", says: /given "V3"/ },
    { why: "a misspelt release setting", config: { release: { pinn: "v3" } }, key: "twelve-factor:release.pinn", says: /no such setting/ },

    // env: SSM parameters and environment variables.
    { why: "an empty env value", config: { env: { LOG_LEVEL: "" } }, key: "twelve-factor:env.LOG_LEVEL", says: /non-empty.*SSM/ },
    { why: "an env value stored as a number", config: { env: { WORKER_POLL_MS: 2000 } }, key: "twelve-factor:env.WORKER_POLL_MS", says: /expected string.*--type string.*given 2000/ },
    { why: "an env value stored as a boolean", config: { env: { FEATURE: true } }, key: "twelve-factor:env.FEATURE", says: /expected string.*given true/ },
    { why: "an env value null", config: { env: { FEATURE: null } }, key: "twelve-factor:env.FEATURE", says: /given null/ },
    { why: "an env value SSM takes for a reference", config: { env: { GREETING: "hello {{ssm:/x}}" } }, key: "twelve-factor:env.GREETING", says: /\{\{…\}\}/ },
    { why: "an env value with a NUL character", config: { env: { NAME: "a\u0000b" } }, key: "twelve-factor:env.NAME", says: /NUL/ },
    { why: "an env value with an unpaired surrogate", config: { env: { NAME: "a\uD800b" } }, key: "twelve-factor:env.NAME", says: /unpaired surrogate/ },
    { why: "AWS_REGION, which Fargate sets", config: { env: { AWS_REGION: "us-east-1" } }, key: "twelve-factor:env.AWS_REGION", says: /ECS and Fargate do not set themselves/ },
    { why: "the metadata endpoint variable", config: { env: { ECS_CONTAINER_METADATA_URI_V4: "http://x" } }, key: "twelve-factor:env.ECS_CONTAINER_METADATA_URI_V4", says: /ECS and Fargate/ },
    { why: "static AWS credentials", config: { env: { AWS_ACCESS_KEY_ID: "AKIAEXAMPLE" } }, key: "twelve-factor:env.AWS_ACCESS_KEY_ID", says: /task role/ },
    { why: "an env name in lowercase", config: { env: { log_level: "info" } }, key: "twelve-factor:env.log_level", says: /environment variable name/ },
    { why: "an env name SSM's parameter name cannot hold", config: { env: { [`K${"A".repeat(999)}`]: "x" } }, key: `twelve-factor:env.K${"A".repeat(999)}`, says: /SSM parameter \/shop\/dev\/releases\/v999999999\/<KEY>.*1011/ },
    { why: "env as a list", config: { env: ["LOG_LEVEL=info"] }, key: "twelve-factor:env", says: /expected record/ },
    { why: "env as text", config: { env: "LOG_LEVEL=info" }, key: "twelve-factor:env", says: /expected record/ },

    // secretKeys and secrets.
    { why: "a secret key listed twice", config: { secretKeys: ["SESSION_SECRET", "SESSION_SECRET"] }, key: "twelve-factor:secretKeys[1]", says: /each name once.*secretKeys\[0\]/ },
    { why: "PORT as a secret key", config: { secretKeys: ["SESSION_SECRET", "PORT"] }, secrets: { SESSION_SECRET: "s-0123456789", PORT: "80" }, key: "twelve-factor:secretKeys[1]", says: /sets itself, got PORT/ },
    { why: "a secret key in lowercase", config: { secretKeys: ["session-secret"] }, key: "twelve-factor:secretKeys[0]", says: /environment variable name/ },
    { why: "secretKeys as text", config: { secretKeys: "SESSION_SECRET" }, key: "twelve-factor:secretKeys", says: /expected array/ },
    { why: "an empty secret", secrets: { SESSION_SECRET: "" }, key: "twelve-factor:secrets.SESSION_SECRET", says: /non-empty.*a secret value \(hidden\)/ },
    { why: "a secret stored as a number", secrets: { SESSION_SECRET: 123456 as unknown as string }, key: "twelve-factor:secrets.SESSION_SECRET", says: /expected string, received number; given a secret value \(hidden\)/ },
    { why: "a secret with a parameter reference", secrets: { SESSION_SECRET: "{{resolve:x}}" }, key: "twelve-factor:secrets.SESSION_SECRET", says: /\{\{…\}\}/ },

    // Processes: Fargate sizes, ports, commands, health checks.
    { why: "cpu as text", config: withProcess("web", { cpu: "256" }), key: "twelve-factor:processes.web.cpu", says: /expected number.*in quotes.*given "256"/ },
    { why: "memory not an integer", config: withProcess("web", { memory: 512.5 }), key: "twelve-factor:processes.web.memory", says: /expected int/ },
    { why: "more tasks than the stack allows", config: withProcess("worker", { count: 101 }), key: "twelve-factor:processes.worker.count", says: /<=100/ },
    { why: "a fractional task count", config: withProcess("worker", { count: 1.5 }), key: "twelve-factor:processes.worker.count", says: /expected int/ },
    { why: "a privileged port", config: withProcess("web", { port: 80 }), key: "twelve-factor:processes.web.port", says: />=1024.*given 80/ },
    { why: "a port beyond 65535", config: withProcess("web", { port: 70000 }), key: "twelve-factor:processes.web.port", says: /<=65535/ },
    { why: "port 0", config: withProcess("web", { port: 0 }), key: "twelve-factor:processes.web.port", says: /given 0/ },
    { why: "a port as text", config: withProcess("web", { port: "8080" }), key: "twelve-factor:processes.web.port", says: /expected number/ },
    { why: "a health check path without the slash", config: withProcess("web", { healthCheckPath: "healthz" }), key: "twelve-factor:processes.web.healthCheckPath", says: /absolute URL path/ },
    { why: "a health check path over ELB's 1024 characters", config: withProcess("web", { healthCheckPath: `/${"a".repeat(1024)}` }), key: "twelve-factor:processes.web.healthCheckPath", says: /at most 1024/ },
    { why: "a health check path with a space", config: withProcess("web", { healthCheckPath: "/health check" }), key: "twelve-factor:processes.web.healthCheckPath", says: /absolute URL path/ },
    { why: "an empty command", config: withProcess("web", { command: [] }), key: "twelve-factor:processes.web.command", says: /at least one element/ },
    { why: "a command as one string", config: withProcess("web", { command: "node src/web.js" }), key: "twelve-factor:processes.web.command", says: /expected array/ },
    { why: "an empty command element", config: withProcess("worker", { command: ["node", ""] }), key: "twelve-factor:processes.worker.command[1]", says: /non-empty/ },
    { why: "a command element as a number", config: withProcess("worker", { command: ["sleep", 5] }), key: "twelve-factor:processes.worker.command[1]", says: /expected string/ },
    { why: "an empty health check command", config: withProcess("web", { healthCheckCommand: [] }), key: "twelve-factor:processes.web.healthCheckCommand", says: /at least one element/ },
    { why: "an unknown phase", config: withProcess("migrate", { phase: "deploy" }), key: "twelve-factor:processes.migrate.phase", says: /"run"\|"release"/ },
    { why: "the web process as the release phase", config: withProcess("web", { phase: "release" }), key: "twelve-factor:processes.web.phase", says: /expected "run"/ },
    { why: "two release-phase processes", config: withProcess("worker", { phase: "release" }), key: "twelve-factor:processes", says: /at most one process with phase "release"/ },
    { why: "a process name with a hyphen", config: { processes: { ...devProcesses, "web-api": devProcesses.worker } }, key: "twelve-factor:processes.web-api", says: /got the name "web-api"/ },
    { why: "no processes at all", config: { processes: {} }, key: "twelve-factor:processes", says: /"web" process/ },
    { why: "processes as a list", config: { processes: [devProcesses.web] }, key: "twelve-factor:processes", says: /expected record/ },
    { why: "a misspelt process setting", config: withProcess("web", { memroy: 512 }), key: "twelve-factor:processes.web.memroy", says: /no such setting/ },
    { why: "memory too small for 8 vCPU", config: withProcess("worker", { cpu: 8192, memory: 512 }), key: "twelve-factor:processes.worker.memory", says: /cpu 8192/ },
    { why: "cpu missing", config: { processes: { ...devProcesses, worker: { command: ["node"], memory: 512 } } }, key: "twelve-factor:processes.worker.cpu", says: /given nothing/ },

    // Database.
    { why: "a kind in capitals", config: withDatabase({ kind: "Owned" }), key: "twelve-factor:database.kind", says: /given "Owned"/ },
    { why: "the major version as text", config: withDatabase({ majorVersion: "15" }), key: "twelve-factor:database.majorVersion", says: /expected number/ },
    { why: "a minor version", config: withDatabase({ majorVersion: 15.4 }), key: "twelve-factor:database.majorVersion", says: /expected int/ },
    { why: "allowDelete with deletion protection (a destroy would stop half-way)", config: withOwned({ allowDelete: true, deletionProtection: true }), key: "twelve-factor:database.owned.allowDelete", says: /deletionProtection: false beside allowDelete: true/ },
    { why: "master user named user", config: withOwned({ username: "user" }), key: "twelve-factor:database.owned.username", says: /reserved word/ },
    { why: "master user rdsadmin", config: withOwned({ username: "rdsadmin" }), key: "twelve-factor:database.owned.username", says: /RDS reserves/ },
    { why: "master user with pg_", config: withOwned({ username: "pg_admin" }), key: "twelve-factor:database.owned.username", says: /pg_/ },
    { why: "master user rds_superuser", config: withOwned({ username: "rds_superuser" }), key: "twelve-factor:database.owned.username", says: /rds_/ },
    { why: "master user public", config: withOwned({ username: "public" }), key: "twelve-factor:database.owned.username", says: /public/ },
    { why: "master user of 64 characters", config: withOwned({ username: "a".repeat(64) }), key: "twelve-factor:database.owned.username", says: /1–63/ },
    { why: "master user in capitals", config: withOwned({ username: "Admin" }), key: "twelve-factor:database.owned.username", says: /lowercase/ },
    { why: "master user starting with a digit", config: withOwned({ username: "1app" }), key: "twelve-factor:database.owned.username", says: /starting with a letter/ },
    { why: "storage below RDS's minimum", config: withOwned({ allocatedStorage: 10 }), key: "twelve-factor:database.owned.allocatedStorage", says: />=20/ },
    { why: "storage beyond RDS's maximum", config: withOwned({ allocatedStorage: 70000 }), key: "twelve-factor:database.owned.allocatedStorage", says: /<=65536/ },
    { why: "backups kept longer than RDS allows", config: withOwned({ backupRetentionDays: 36 }), key: "twelve-factor:database.owned.backupRetentionDays", says: /<=35/ },
    { why: "an instance class without db.", config: withOwned({ instanceClass: "t4g.micro" }), key: "twelve-factor:database.owned.instanceClass", says: /instance class/ },
    { why: "multiAz as text", config: withOwned({ multiAz: "true" }), key: "twelve-factor:database.owned.multiAz", says: /expected boolean.*in quotes/ },
    { why: "password version 0", config: withOwned({ passwordVersion: 0 }), key: "twelve-factor:database.owned.passwordVersion", says: />=1/ },
    { why: "a fractional password version", config: withOwned({ passwordVersion: 1.5 }), key: "twelve-factor:database.owned.passwordVersion", says: /expected int/ },
    { why: "a password version as text", config: withOwned({ passwordVersion: "2" }), key: "twelve-factor:database.owned.passwordVersion", says: /expected number/ },
    { why: "an identifier in capitals", config: withExisting({ identifier: "Shop-DB" }), key: "twelve-factor:database.existing.identifier", says: /RDS instance identifier/ },
    { why: "an identifier with a double hyphen", config: withExisting({ identifier: "shop--db" }), key: "twelve-factor:database.existing.identifier", says: /single hyphens/ },
    { why: "an identifier ending in a hyphen", config: withExisting({ identifier: "shop-" }), key: "twelve-factor:database.existing.identifier", says: /not ending with a hyphen/ },
    { why: "an existing user rdsadmin", config: withExisting({ username: "rdsadmin" }), key: "twelve-factor:database.existing.username", says: /RDS reserves/ },
    { why: "an existing user pg_monitor", config: withExisting({ username: "pg_monitor" }), key: "twelve-factor:database.existing.username", says: /pg_/ },
    { why: "an existing user with a space", config: withExisting({ username: "shop app" }), key: "twelve-factor:database.existing.username", says: /spaces/ },
    { why: "an existing user over 63 bytes", config: withExisting({ username: "u".repeat(64) }), key: "twelve-factor:database.existing.username", says: /63 bytes/ },
    { why: "an existing database template0", config: withExisting({ dbName: "template0" }), key: "twelve-factor:database.existing.dbName", says: /template database/ },
    { why: "an existing database name starting with a digit", config: withExisting({ dbName: "1shop" }), key: "twelve-factor:database.existing.dbName", says: /database name/ },
    { why: "a security group id too short", config: withExisting({ securityGroupId: "sg-123" }), key: "twelve-factor:database.existing.securityGroupId", says: /security group id/ },
    { why: "an empty existing password", config: withExisting({ password: "" }), key: "twelve-factor:database.existing.password", says: /non-empty.*a secret value \(hidden\)/ },
    { why: "a password that makes DATABASE_URL exceed 4 KB", config: withExisting({ password: "%".repeat(1400) }), key: "twelve-factor:database.existing.password", says: /fit one SSM parameter of 4096 bytes.*a secret value \(hidden\)/ },
    { why: "an existing block without an identifier", config: withDatabase({ kind: "existing", existing: { username: "u", dbName: "d", password: "p" } }), key: "twelve-factor:database.existing.identifier", says: /given a secret value \(hidden\)|given nothing/ },
    { why: "an external port beyond 65535", config: withUrl("postgresql://u:p@db.example.com:99999/shop"), key: "twelve-factor:database.external.url", says: /port from 1 to 65535.*outside that range.*not shown/ },
    { why: "external port 0", config: withUrl("postgresql://u:p@db.example.com:0/shop"), key: "twelve-factor:database.external.url", says: /port from 1 to 65535/ },
    { why: "an external port that is not a number", config: withUrl("postgresql://u:p@db.example.com:pg/shop"), key: "twelve-factor:database.external.url", says: /not a number/ },
    { why: "an external URL with an empty port", config: withUrl("postgresql://u:p@db.example.com:/shop"), key: "twelve-factor:database.external.url", says: /empty port/ },
    { why: "an external URL without a host", config: withUrl("postgresql:///shop"), key: "twelve-factor:database.external.url", says: /host/ },
    { why: "an external URL without a database", config: withUrl("postgresql://u:p@db.example.com:5432"), key: "twelve-factor:database.external.url", says: /database name/ },
    { why: "an external URL with an empty database", config: withUrl("postgresql://db.example.com/"), key: "twelve-factor:database.external.url", says: /database name/ },
    { why: "an external URL with two hosts", config: withUrl("postgresql://a.example.com,b.example.com/shop"), key: "twelve-factor:database.external.url", says: /one host/ },
    { why: "an external URL with a bad IPv4 address", config: withUrl("postgresql://999.1.1.1/shop"), key: "twelve-factor:database.external.url", says: /parses/ },
    { why: "an external URL with bad percent-encoding", config: withUrl("postgresql://u:%zz@db.example.com/shop"), key: "twelve-factor:database.external.url", says: /percent-encoding/ },
    { why: "an external MySQL URL", config: withUrl("mysql://u:p@db.example.com/shop"), key: "twelve-factor:database.external.url", says: /postgres:\/\/ or postgresql:\/\/ URL; given a secret value \(hidden\)/ },
    { why: "an empty external URL", config: withUrl(""), key: "twelve-factor:database.external.url", says: /non-empty/ },
    { why: "an external database on localhost", config: withUrl("postgresql://u:p@localhost:5432/shop"), key: "twelve-factor:database.external.url", says: /loopback/ },
    { why: "an external URL with a fragment", config: withUrl("postgresql://db.example.com/shop#x"), key: "twelve-factor:database.external.url", says: /fragment/ },
    { why: "a misspelt owned setting", config: withOwned({ passwrd: "x" }), key: "twelve-factor:database.owned.passwrd", says: /no such setting.*hidden/ },

    // Network.
    { why: "an octet beyond 255", config: { network: { mode: "create", cidr: "10.300.0.0/16" } }, key: "twelve-factor:network.cidr", says: /x from 0 to 255.*given "10.300.0.0\/16"/ },
    { why: "an octet with a leading zero", config: { network: { mode: "create", cidr: "10.010.0.0/16" } }, key: "twelve-factor:network.cidr", says: /10\.x\.0\.0\/16/ },
    { why: "a /24 VPC", config: { network: { mode: "create", cidr: "10.1.0.0/24" } }, key: "twelve-factor:network.cidr", says: /10\.x\.0\.0\/16/ },
    { why: "a VPC block off the /16 boundary", config: { network: { mode: "create", cidr: "10.1.2.0/16" } }, key: "twelve-factor:network.cidr", says: /10\.x\.0\.0\/16/ },
    { why: "an unknown network mode", config: { network: { mode: "exists" } }, key: "twelve-factor:network.mode", says: /"create" or "existing"/ },
    { why: "an unknown NAT setting", config: { network: { mode: "create", natGateways: "double" } }, key: "twelve-factor:network.natGateways", says: /"single"\|"perAz"/ },
    { why: "a cidr for an adopted network", config: { network: { ...existingNetwork(["subnet-01234567", "subnet-12345678"], ["subnet-23456789", "subnet-34567890"]).network, cidr: "10.0.0.0/16" } }, key: "twelve-factor:network.cidr", says: /no such setting/ },
    { why: "a subnet in both tiers", config: existingNetwork(["subnet-01234567", "subnet-12345678"], ["subnet-12345678", "subnet-23456789"]), key: "twelve-factor:network.privateSubnetIds[0]", says: /apart from the public ones.*"subnet-12345678" in both/ },
    { why: "a public subnet listed twice", config: existingNetwork(["subnet-01234567", "subnet-01234567"], ["subnet-12345678", "subnet-23456789"]), key: "twelve-factor:network.publicSubnetIds[1]", says: /each subnet once/ },
    { why: "a private subnet listed twice", config: existingNetwork(["subnet-01234567", "subnet-12345678"], ["subnet-23456789", "subnet-23456789"]), key: "twelve-factor:network.privateSubnetIds[1]", says: /each subnet once/ },
    { why: "more private subnets than an ECS service takes", config: existingNetwork(["subnet-01234567", "subnet-12345678"], Array.from({ length: 17 }, (_, i) => `subnet-${String(i).padStart(8, "a")}`)), key: "twelve-factor:network.privateSubnetIds", says: /at most 16 subnets/ },
    { why: "a VPC id too short", config: { network: { mode: "existing", vpcId: "vpc-123", publicSubnetIds: ["subnet-01234567", "subnet-12345678"], privateSubnetIds: ["subnet-23456789", "subnet-34567890"] } }, key: "twelve-factor:network.vpcId", says: /VPC id/ },
    { why: "a subnet id of 9 hex digits", config: existingNetwork(["subnet-012345678", "subnet-12345678"], ["subnet-23456789", "subnet-34567890"]), key: "twelve-factor:network.publicSubnetIds[0]", says: /subnet id/ },

    // Log retention: a top-level number arrives as text.
    { why: "a log retention that is not a number", config: { logRetentionDays: "two weeks" }, key: "twelve-factor:logRetentionDays", says: /expected number/ },
    { why: "log retention 0", config: { logRetentionDays: 0 }, key: "twelve-factor:logRetentionDays", says: /got 0/ },
    { why: "a fractional log retention", config: { logRetentionDays: 14.5 }, key: "twelve-factor:logRetentionDays", says: /expected int/ },
    { why: "an infinite log retention", config: { logRetentionDays: "1e400" }, key: "twelve-factor:logRetentionDays", says: /expected number/ },
    { why: "log retention NaN", config: { logRetentionDays: "NaN" }, key: "twelve-factor:logRetentionDays", says: /expected number/ },

    // The certificate.
    { why: "a certificate in us-east-1 for a load balancer in eu-west-1", config: { certificateArn: `arn:aws:acm:us-east-1:123456789012:certificate/${uuid}` }, key: "twelve-factor:certificateArn", says: /certificate in eu-west-1.*got one in us-east-1/ },
    { why: "a certificate ARN of another partition", config: { certificateArn: `arn:aws-cn:acm:eu-west-1:123456789012:certificate/${uuid}` }, key: "twelve-factor:certificateArn", says: /aws partition/ },
    { why: "a certificate id that is no UUID", config: { certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/abc" }, key: "twelve-factor:certificateArn", says: /ACM certificate ARN/ },
    { why: "an IAM server certificate", config: { certificateArn: "arn:aws:iam::123456789012:server-certificate/shop" }, key: "twelve-factor:certificateArn", says: /ACM certificate ARN/ },
    { why: "a certificate of an account the provider may not use", config: { certificateArn: `arn:aws:acm:eu-west-1:123456789012:certificate/${uuid}`, "aws:allowedAccountIds": ["210987654321"] }, key: "twelve-factor:certificateArn", says: /aws:allowedAccountIds/ },
    { why: "a certificate of a forbidden account", config: { certificateArn: `arn:aws:acm:eu-west-1:123456789012:certificate/${uuid}`, "aws:forbiddenAccountIds": ["123456789012"] }, key: "twelve-factor:certificateArn", says: /aws:forbiddenAccountIds/ },
    { why: "account ids that are not account ids", config: { "aws:allowedAccountIds": ["123"] }, key: "aws:allowedAccountIds", says: /12-digit/ },

    // Tags: AWS's limits, with the tags the program adds.
    { why: "a tag key with aws:", config: withTags({ "aws:team": "x" }), key: "twelve-factor:tags.aws:team", says: /not starting with aws:/ },
    { why: "a tag key with AWS: in capitals", config: withTags({ "AWS:team": "x" }), key: "twelve-factor:tags.AWS:team", says: /not starting with aws:/ },
    { why: "a tag value with aws:", config: withTags({ team: "aws:platform" }), key: "twelve-factor:tags.team", says: /value not starting with aws:/ },
    { why: "a tag key of 129 characters", config: withTags({ ["k".repeat(129)]: "x" }), key: `twelve-factor:tags.${"k".repeat(129)}`, says: /at most 128/ },
    { why: "a tag value of 257 characters", config: withTags({ team: "v".repeat(257) }), key: "twelve-factor:tags.team", says: /at most 256/ },
    { why: "a tag key with #", config: withTags({ "cost#center": "x" }), key: "twelve-factor:tags.cost#center", says: /letters, digits, spaces/ },
    { why: "a tag value with !", config: withTags({ team: "platform!" }), key: "twelve-factor:tags.team", says: /letters, digits, spaces/ },
    { why: "a tag value with a newline", config: withTags({ team: "a\nb" }), key: "twelve-factor:tags.team", says: /letters, digits, spaces/ },
    { why: "an empty tag key", config: withTags({ "": "x" }), key: "twelve-factor:tags.", says: /empty/ },
    { why: "a tag value stored as a number", config: withTags({ costCenter: 42 }), key: "twelve-factor:tags.costCenter", says: /expected string/ },
    { why: "a tag the program sets: app", config: withTags({ app: "other" }), key: "twelve-factor:tags.app", says: /which the program sets itself/ },
    { why: "a tag the program sets: Name", config: withTags({ Name: "mine" }), key: "twelve-factor:tags.Name", says: /which the program sets itself/ },
    { why: "a tag the program sets: managed-by", config: withTags({ "managed-by": "terraform" }), key: "twelve-factor:tags.managed-by", says: /which the program sets itself/ },
    { why: "a tag the program sets, in other case", config: withTags({ Release: "x" }), key: "twelve-factor:tags.Release", says: /differs from release only in letter case/ },
    { why: "two tags that differ only in case", config: withTags({ Team: "a", team: "b" }), key: "twelve-factor:tags.team", says: /IAM treats "Team" and "team" as one key/ },
    { why: "46 tags (the program adds up to 5)", config: withTags(manyTags(46)), key: "twelve-factor:tags", says: /at most 45 tags.*got 46/ },
    { why: "tags and provider default tags over 45", config: { ...withTags(manyTags(40)), "aws:defaultTags": { tags: manyTags(6, "d") } }, key: "twelve-factor:tags", says: /got 46 \(6 of them from aws:defaultTags\)/ },
    { why: "tags as a list", config: withTags(["team=platform"] as unknown as Record<string, unknown>), key: "twelve-factor:tags", says: /expected record/ },
    { why: "a default tag with aws:", config: { "aws:defaultTags": { tags: { "aws:x": "y" } } }, key: "aws:defaultTags.tags.aws:x", says: /not starting with aws:/ },
    { why: "a default tag the program sets", config: { "aws:defaultTags": { tags: { stack: "x" } } }, key: "aws:defaultTags.tags.stack", says: /which the program sets itself/ },
    { why: "a misspelt default tags setting", config: { "aws:defaultTags": { tag: { team: "x" } } }, key: "aws:defaultTags.tag", says: /only tags/ },
    { why: "a top-level number with a leading zero", config: { logRetentionDays: "014" }, key: "twelve-factor:logRetentionDays", says: /plain decimal number/ },
    { why: "default tags not an object", config: { "aws:defaultTags": "team=platform" }, key: "aws:defaultTags", says: /\{tags: \{KEY: value\}\}/ },
];

describe("bad stack config, refused by parseConfig with the key the user typed", () => {
    it("covers well over a hundred distinct cases", () => {
        expect(new Set(badConfigs.map((c) => c.why)).size).toBe(badConfigs.length);
        expect(badConfigs.length).toBeGreaterThan(150);
    });

    it.each(badConfigs)("$why → $key", (bad) => {
        const { problems, message } = problemsOf(bad);
        const found = problems.filter((p) => p.key === bad.key);
        expect(found.length, message).toBeGreaterThan(0);
        expect(found.map((p) => p.message).join("\n"), message).toMatch(bad.says);
        // Named as the user types it: this project's namespace, aws:, or another namespace typed by the user.
        for (const p of problems) expect(p.key).toMatch(/^(\(stack name\)|[a-z_-]+:)/);
    });
});

describe("every problem is reported at once", () => {
    it("names each bad key in one error", () => {
        const { problems } = problemsOf({
            config: {
                app: "Shop",
                "aws:region": "eu-west-9",
                network: { mode: "create", cidr: "10.300.0.0/16" },
                tags: { "aws:x": "y", app: "z" },
                logRetentionDays: 10,
                "twelvefactor:env": "{}",
                ...withProcess("web", { cpu: 300, port: 80 }),
            },
        });
        expect(problems.map((p) => p.key), JSON.stringify(problems, null, 1)).toEqual(expect.arrayContaining([
            "twelve-factor:app", "aws:region", "twelve-factor:network.cidr", "twelve-factor:tags.aws:x", "twelve-factor:tags.app",
            "twelve-factor:logRetentionDays", "twelvefactor:env", "twelve-factor:processes.web.port",
        ]));
    });

    it("checks the processes that parse even when another does not", () => {
        const { problems } = problemsOf({ config: { processes: { ...devProcesses, web: { ...devProcesses.web, cpu: 300 }, worker: { ...devProcesses.worker, count: "2" } } } });
        expect(problems.map((p) => p.key)).toEqual(expect.arrayContaining(["twelve-factor:processes.web.cpu", "twelve-factor:processes.worker.count"]));
    });
});

describe("limits of what the program derives", () => {
    it("refuses a task definition ECS would refuse: every key referenced by both containers of the web task", () => {
        const env = Object.fromEntries(Array.from({ length: 265 }, (_, i) => [`K${String(i).padStart(3, "0")}`, "x"]));
        const { problems } = problemsOf({ config: { app: "a".repeat(16), env } });
        const problem = problems.find((p) => p.key === "twelve-factor:env");
        expect(problem?.message).toMatch(/task definition within ECS's 65536-byte limit/);
    });

    it("shows non-secret values even when a secret key holds the same word", () => {
        const { problems } = problemsOf({ config: { app: "shop-inventory-xy", ...withExisting({ username: "shop-inventory-xy", dbName: "shop" }) } });
        expect(problems.find((p) => p.key === "twelve-factor:app")?.message).toContain('("shop-inventory-xy-dev" is 21 of 20), got "shop-inventory-xy"');
    });

    it("refuses a stack name that breaks resource names", () => {
        const { problems } = problemsOf({ stackName: "Dev_1" });
        expect(problems.find((p) => p.key === "(stack name)")?.message).toMatch(/lowercase.*got "Dev_1"/);
    });
});

describe("config values are the strings Pulumi stores", () => {
    const parse = (o: Partial<ConfigOverrides>) => {
        const { config, secretKeys } = engineConfig({ stack: "dev", ...o });
        return parseConfig(config, "dev", { secretTopLevelKeys: secretKeys });
    };

    it("keeps a text key's value as text even when it reads as JSON", () => {
        expect(parse({ config: { certificateArn: undefined } }).app).toBe("shop");
        for (const app of ["null", "true", "123"]) {
            const { problems } = problemsOf({ config: { app } });
            expect(problems.filter((p) => p.key === "twelve-factor:app").map((p) => p.message).join(), app).toContain(`"${app}"`);
        }
    });

    it("reads a top-level number from its text", () => {
        expect(parse({ config: { logRetentionDays: "90" } }).logRetentionDays).toBe(90);
    });

    it("accepts what AWS accepts: empty tag values, keys of 128 and values of 256 characters, 45 tags", () => {
        expect(parse({ config: { tags: { empty: "", ["k".repeat(128)]: "v".repeat(256), "a.b/c=d+e-f@g:h i": "Zürich" } } }).tags.empty).toBe("");
        expect(Object.keys(parse({ config: { tags: manyTags(45) } }).tags)).toHaveLength(45);
    });

    it("accepts a master user named postgres and 63 characters long, and passwordVersion defaults to 1", () => {
        const db = parse({ config: withOwned({ username: "postgres" }) }).database;
        expect(db).toMatchObject({ kind: "owned", username: "postgres", passwordVersion: 1 });
        expect(parse({ config: withOwned({ username: `a${"b".repeat(62)}`, passwordVersion: 3 }) }).database).toMatchObject({ passwordVersion: 3 });
    });

    it("accepts provider and engine keys: aws:profile, aws:defaultTags, aws:assumeRole, pulumi:tags, docker:host", () => {
        expect(() => parse({
            config: {
                "aws:profile": "deploy", "aws:defaultTags": { tags: { owner: "platform" } }, "aws:assumeRole": { roleArn: "arn:aws:iam::123456789012:role/x" },
                "aws:skipCredentialsValidation": "true", "aws:allowedAccountIds": ["123456789012"], "pulumi:tags": { team: "x" },
                "pulumi:disable-default-providers": ["kubernetes"], "docker:host": "unix:///var/run/docker.sock",
            },
        })).not.toThrow();
    });

    it("accepts an external URL with a port, IPv6 host and query", () => {
        for (const url of ["postgresql://u:p%40ss@db.example.com:6543/shop?sslmode=require", "postgres://[2001:db8::1]:5432/shop", "postgresql://db.example.com/shop"]) {
            expect(() => parse({ config: withUrl(url) }), url).not.toThrow();
        }
    });

    it("accepts a region the provider does not know when aws:skipRegionValidation is true", () => {
        expect(parse({ config: { "aws:region": "eu-west-9", "aws:skipRegionValidation": "true" } }).region).toBe("eu-west-9");
    });
});
