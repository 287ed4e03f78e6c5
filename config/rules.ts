import { taskContainers } from "../components/container-definitions";
import { describeMemoryFor, fargateCpus, isFargateCpu, isValidFargateSize } from "../components/fargate";
import { stableStringify } from "../components/ledger";
import { maxPrefixLength, stackPrefix } from "../components/naming";
import { releaseDefinitions } from "../components/processes";
import {
    ecsReservedEnvNames, knownRegions, longestReleaseId, maxParameterNameWithArn, maxProgramTagsPerResource, maxTagsPerResource,
    maxTaskDefinitionBytes, parameterArnPrefixLength, partitionOf, programTagKeys,
} from "./aws";
import type { AwsSettings } from "./engine";
import { reservedDatabaseReason, reservedRoleReason } from "./postgres";
import { projectKey as P, type Path, type Reporter } from "./report";
import {
    acmCertificateArn, ecrImageRef, envVarName, logRetentionDays, lowerName, maxValueBytes, type ParsedConfig, postgresMajorVersions,
    type ProcessConfig, processNamePattern, processSchema, reservedKeys, type SchemaKey,
} from "./schema";

/**
 * Rules that span fields or judge values the program derives from config (resource names,
 * tags, SSM parameter names, DATABASE_URL, task definitions) against the limits AWS enforces.
 * Each rule runs when the keys it reads parsed, so one run reports every problem it can.
 * Values appear in messages only through r.show(), which hides secret ones.
 */

const region = "aws:region";

export interface RuleInput {
    /** The top-level keys that parsed. */
    c: Partial<ParsedConfig>;
    /** Every top-level key as decoded, parsed or not. */
    settings: Partial<Record<SchemaKey, unknown>>;
    stack: string;
    aws: AwsSettings;
}

export function crossFieldProblems(r: Reporter, input: RuleInput): void {
    textProblems(r, input.settings);
    stackAndRegion(r, input);
    appName(r, input);
    build(r, input);
    processes(r, input);
    releaseKeys(r, input);
    database(r, input);
    network(r, input);
    certificate(r, input);
    tags(r, input);
    if (input.c.logRetentionDays !== undefined && !(logRetentionDays as readonly number[]).includes(input.c.logRetentionDays)) {
        r.add(P("logRetentionDays"), [], `expected one of ${logRetentionDays.join(", ")}, got ${r.show(P("logRetentionDays"), [], input.c.logRetentionDays)}`);
    }
}

/** A lone surrogate cannot be encoded (UTF-8, URLs): SSM, ECS and encodeURIComponent refuse or mangle it. */
function textProblems(r: Reporter, settings: RuleInput["settings"]): void {
    const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
    const walk = (top: string, value: unknown, path: Path) => {
        if (typeof value === "string" && lone.test(value)) r.add(top, path, `expected valid Unicode text, got text with an unpaired surrogate: ${r.show(top, path, value)}`);
        else if (Array.isArray(value)) value.forEach((v, i) => walk(top, v, [...path, i]));
        else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(top, v, [...path, k]);
    };
    for (const [key, value] of Object.entries(settings)) walk(key === "region" ? region : P(key), value, []);
}

function stackAndRegion(r: Reporter, { c, stack, aws }: RuleInput): void {
    if (!lowerName.test(stack)) r.add("(stack name)", [], `expected a stack name of lowercase letters, digits and single hyphens, starting with a letter, got ${JSON.stringify(stack)}`);
    if (c.region !== undefined && aws.skipRegionValidation !== true && !knownRegions.includes(c.region)) {
        r.add(region, [], `expected a region the AWS provider knows (such as eu-west-1, us-east-1), got ${r.show(region, [], c.region)}`);
    }
}

function appName(r: Reporter, { c, stack }: RuleInput): void {
    if (c.app === undefined) return;
    const app = P("app");
    const shown = r.show(app, [], c.app);
    const prefix = stackPrefix(c.app, stack);
    if (prefix.length > maxPrefixLength) {
        const detail = r.hides(app, []) ? `"<app>-${stack}" is ${prefix.length}` : `"${prefix}" is ${prefix.length}`;
        r.add(app, [], `expected at most ${maxPrefixLength - stack.length - 1} characters for stack "${stack}" so that ALB, target group, IAM role and RDS names stay within AWS limits (${detail} of ${maxPrefixLength}), got ${shown}`);
    }
    if (/^(aws|ssm)/i.test(c.app)) r.add(app, [], `expected a name not starting with "aws" or "ssm" (SSM reserves them), got ${shown}`);
    // The owned database is named after the app (index.ts: app with - as _); kind can be
    // swapped to owned with one config set, so the name must always be one RDS can create.
    const reason = reservedDatabaseReason(c.app.replace(/-/g, "_"), { created: true });
    if (reason !== undefined) r.add(app, [], `expected a name the stack's PostgreSQL database can be named after (the owned database takes the app's name, and ${reason}), got ${shown}`);
}

function build(r: Reporter, { c, stack }: RuleInput): void {
    const b = c.build;
    if (b === undefined) return;
    const key = P("build");
    const sources = [b.context !== undefined || b.dockerfile !== undefined ? "context/dockerfile" : undefined, b.promoteFrom && "promoteFrom", b.image && "image"].filter(Boolean);
    if (sources.length > 1) r.add(key, [], `expected one image source (context/dockerfile, promoteFrom or image), got ${sources.join(" and ")}`);
    if (b.promoteFrom === stack) r.add(key, ["promoteFrom"], `expected another stack than this one, got "${stack}"`);
    if (b.image !== undefined && c.region !== undefined) {
        const m = ecrImageRef.exec(b.image)!;
        const imagePartition = m[3] ? "aws-cn" : partitionOf(m[2]);
        if ((partitionOf(m[2]) === "aws-cn") !== (m[3] !== undefined)) {
            r.add(key, ["image"], `expected an ECR host ending in amazonaws.com.cn exactly for China regions, got ${r.show(key, ["image"], b.image)}`);
        } else if (imagePartition !== partitionOf(c.region)) {
            r.add(key, ["image"], `expected an image in the ${partitionOf(c.region)} partition, where the tasks run (aws:region), got one in ${imagePartition}: images cannot be pulled across partitions`);
        }
    }
}

/** The process entries that parsed, even when another entry did not. */
function parsedProcesses({ c, settings }: RuleInput): [string, ProcessConfig][] {
    if (c.processes !== undefined) return Object.entries(c.processes);
    const raw = settings.processes;
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return [];
    return Object.entries(raw).flatMap(([name, value]) => {
        const parsed = processSchema.safeParse(value);
        return processNamePattern.test(name) && parsed.success ? [[name, parsed.data] as [string, ProcessConfig]] : [];
    });
}

function processes(r: Reporter, input: RuleInput): void {
    const key = P("processes");
    const show = (path: Path, v: unknown) => r.show(key, path, v);
    for (const [name, p] of parsedProcesses(input)) {
        if (!isFargateCpu(p.cpu)) {
            r.add(key, [name, "cpu"], `expected a Fargate CPU size (${fargateCpus.join(", ")}), got ${show([name, "cpu"], p.cpu)}`);
        } else if (!isValidFargateSize(p.cpu, p.memory)) {
            r.add(key, [name, "memory"], `expected a Fargate memory size for cpu ${show([name, "cpu"], p.cpu)} (${describeMemoryFor(p.cpu)} MiB), got ${show([name, "memory"], p.memory)}`);
        }
        if (name === "web" && p.port === undefined) r.add(key, ["web", "port"], "expected the port the web process listens on, got nothing");
        if (name !== "web" && p.port !== undefined) r.add(key, [name, "port"], `expected no port: only the web process is behind the load balancer, got ${show([name, "port"], p.port)}`);
        if (name === "web" && p.phase === "release") r.add(key, ["web", "phase"], `expected "run" for the web process, got "release"`);
    }
    const raw = input.settings.processes;
    if (raw !== null && typeof raw === "object" && !Array.isArray(raw)) {
        if (!("web" in raw)) r.add(key, [], `expected a "web" process, got ${JSON.stringify(Object.keys(raw))}`);
        const release = parsedProcesses(input).filter(([, p]) => p.phase === "release").map(([n]) => n);
        if (release.length > 1) r.add(key, [], `expected at most one process with phase "release", got ${release.join(" and ")}`);
    }
}

/** The config keys of a release: env, secrets and what the program adds, as SSM parameters and container references. */
function releaseKeys(r: Reporter, input: RuleInput): void {
    const { c } = input;
    const env = P("env");
    const secretKeysKey = P("secretKeys");
    const secrets = P("secrets");
    // Names are checked even when a value beside them is refused.
    const envKeys = c.env !== undefined ? Object.keys(c.env) : objectKeys(input.settings.env).filter((k) => envVarName.test(k));
    const secretKeys = c.secretKeys ?? (Array.isArray(input.settings.secretKeys) ? input.settings.secretKeys.filter((k): k is string => typeof k === "string" && envVarName.test(k)) : []);
    const secretValueKeys = c.secrets !== undefined ? Object.keys(c.secrets) : objectKeys(input.settings.secrets).filter((k) => envVarName.test(k));

    for (const key of envKeys) {
        if (secretValueKeys.includes(key) || secretKeys.includes(key)) r.add(env, [key], `expected ${key} in either env or secrets, got it in both`);
    }
    const named: { top: string; path: Path; key: string }[] = [
        ...envKeys.map((key) => ({ top: env, path: [key] as Path, key })),
        ...secretKeys.map((key, i) => ({ top: secretKeysKey, path: [i] as Path, key })),
    ];
    for (const { top, path, key } of named) {
        if ((reservedKeys as readonly string[]).includes(key)) r.add(top, path, `expected a key other than ${reservedKeys.join(" and ")}, which the stack sets itself, got ${key}`);
        else if (ecsReservedEnvNames.includes(key)) r.add(top, path, `expected a key ECS and Fargate do not set themselves (${key} holds the task's region, credentials or metadata endpoint; the task role gives the app its AWS access), got ${key}`);
    }
    secretKeys.forEach((key, i) => {
        const first = secretKeys.indexOf(key);
        if (first !== i) r.add(secretKeysKey, [i], `expected each name once, got ${key} again (also secretKeys[${first}])`);
    });
    if (c.secretKeys !== undefined) {
        for (const key of new Set(secretKeys)) {
            if (!secretValueKeys.includes(key)) r.add(secrets, [key], `expected a value for required secret ${key}: run pulumi config set --secret --path 'secrets.${key}' <value>, got nothing`);
        }
        for (const key of secretValueKeys) {
            if (!secretKeys.includes(key)) r.add(secrets, [key], `expected ${key} to be listed in secretKeys, got an undeclared secret`);
        }
    }

    // SSM: /<app>/<stack>/releases/<id>/<KEY>, with the ARN before it, within 1011 characters.
    if (c.app !== undefined && c.region !== undefined) {
        const base = `/${c.app}/${input.stack}/releases/${longestReleaseId}/`;
        const room = maxParameterNameWithArn - parameterArnPrefixLength(c.region) - base.length;
        for (const { top, path, key } of named) {
            if (key.length > room) {
                r.add(top, path, `expected a name of at most ${room} characters: each key becomes the SSM parameter ${base}<KEY>, and SSM allows ${maxParameterNameWithArn} characters with the parameter's ARN, got ${key.length}`);
            }
        }
    }

    if (c.env === undefined || c.secretKeys === undefined) return;
    const processList = parsedProcesses(input);
    if (c.processes === undefined) return;
    const ledgerBytes = estimatedLedgerEntryBytes(envKeys, secretKeys, c.processes);
    if (ledgerBytes > maxLedgerEntryBytes) {
        r.add(env, [], `expected a release whose ledger entry fits SSM's ${maxLedgerEntryBytes}-byte advanced tier, got about ${ledgerBytes} bytes (${envKeys.length + secretKeys.length} keys): use fewer, or build settings that rarely change into the image`);
        return;
    }
    if (c.app === undefined) return;
    const regionName = c.region ?? "us-gov-west-1";
    const keys = [...new Set([...envKeys, ...secretKeys, "DATABASE_URL"])].sort();
    const arnPrefix = `arn:${partitionOf(regionName)}:ssm:${regionName}:123456789012:parameter/${c.app}/${input.stack}/releases/${longestReleaseId}/`;
    const references = keys.map((key) => ({ name: key, valueFrom: `${arnPrefix}${key}` }));
    const releasePhase = processList.find(([, p]) => p.phase === "release");
    for (const [name, spec] of processList) {
        const containers = taskContainers(name, spec, { image: c.build?.image ?? "0".repeat(300), secrets: references, logGroupName: `/ecs/${stackPrefix(c.app, input.stack)}`, region: regionName },
            releasePhase && { name: releasePhase[0], spec: releasePhase[1] });
        const bytes = Buffer.byteLength(stableStringify(containers)) + taskDefinitionOverheadBytes;
        if (bytes > maxTaskDefinitionBytes) {
            const referenceBytes = containers.length * Buffer.byteLength(JSON.stringify(references));
            const blame = referenceBytes * 2 > bytes ? { top: env, path: [] as Path } : { top: P("processes"), path: [name, "command"] as Path };
            r.add(blame.top, blame.path, `expected process ${name}'s task definition within ECS's ${maxTaskDefinitionBytes}-byte limit, got about ${bytes} bytes (${keys.length} config keys referenced by each of its ${containers.length} container${containers.length > 1 ? "s" : ""}, and its commands): use fewer config keys or shorter commands`);
        }
    }
}

/** Task definition fields besides the containers (family, roles, sizes, volumes, runtime platform). */
const taskDefinitionOverheadBytes = 1024;

/** SSM's advanced tier: the largest parameter value, and so the largest ledger entry. */
const maxLedgerEntryBytes = 8192;

/** The size of this config's ledger entry, with room for the longest digest, id, build and image. */
function estimatedLedgerEntryBytes(envKeys: string[], secretKeys: string[], processes: Record<string, ProcessConfig>): number {
    const keys = [...envKeys, ...secretKeys, ...reservedKeys];
    return Buffer.byteLength(stableStringify({
        build: `image:${"0".repeat(300)}`,
        built: true,
        digest: "0".repeat(64),
        id: longestReleaseId,
        image: "0".repeat(300),
        keys: Object.fromEntries(keys.map((k) => [k, "0".repeat(16)])),
        processes: releaseDefinitions(processes),
        secretKeys: [...secretKeys, ...reservedKeys],
    }));
}

function database(r: Reporter, { c }: RuleInput): void {
    const db = c.database;
    if (db === undefined) return;
    const key = P("database");
    const show = (path: Path, v: unknown) => r.show(key, path, v);
    if (db.engine !== "postgres") {
        r.add(key, ["engine"], `expected "postgres" (a PostgreSQL server; SQLite and other engines are not supported), got ${show(["engine"], db.engine)}`);
    }
    if (!(postgresMajorVersions as readonly number[]).includes(db.majorVersion)) {
        r.add(key, ["majorVersion"], `expected a PostgreSQL major version RDS offers (${postgresMajorVersions.join(", ")}), got ${show(["majorVersion"], db.majorVersion)}`);
    }
    if (db.kind === "existing" && db.existing === undefined) {
        r.add(key, ["existing"], "expected {identifier, username, dbName, password} for kind existing (password: pulumi config set --secret --path database.existing.password <value>), got nothing");
    }
    if (db.kind === "external" && db.external === undefined) {
        r.add(key, ["external", "url"], "expected the server's URL for kind external: run pulumi config set --secret --path database.external.url <postgresql://…>, got nothing");
    }

    // AWS refuses to delete an instance with deletion protection, so a destroy (or a swap) that
    // allowDelete lets Pulumi start would fail half-way, after the services are gone.
    if (db.owned.allowDelete && db.owned.deletionProtection) {
        r.add(key, ["owned", "allowDelete"], "expected deletionProtection: false beside allowDelete: true (AWS refuses to delete a protected instance, so a destroy would stop half-way), got deletionProtection: true");
    }

    const masterReason = reservedRoleReason(db.owned.username, { master: true });
    if (masterReason !== undefined) r.add(key, ["owned", "username"], `expected a master user name RDS can create (${masterReason}), got ${show(["owned", "username"], db.owned.username)}`);

    if (db.existing !== undefined) {
        const e = db.existing;
        const userReason = reservedRoleReason(e.username, { master: false });
        if (userReason !== undefined) r.add(key, ["existing", "username"], `expected a role the app can log in as (${userReason}), got ${show(["existing", "username"], e.username)}`);
        const dbReason = reservedDatabaseReason(e.dbName, { created: false });
        if (dbReason !== undefined) r.add(key, ["existing", "dbName"], `expected the app's database (${dbReason}), got ${show(["existing", "dbName"], e.dbName)}`);
        if (c.region !== undefined) {
            // DATABASE_URL is one SSM parameter: user and password percent-encoded, the instance's endpoint.
            const host = `${e.identifier}.${"0".repeat(12)}.${c.region}.rds.amazonaws.com${partitionOf(c.region) === "aws-cn" ? ".cn" : ""}`;
            const url = `postgresql://${encodeURIComponent(e.username)}:${encodeURIComponent(e.password)}@${host}:65535/${e.dbName}?sslmode=no-verify`;
            if (Buffer.byteLength(url) > maxValueBytes) {
                r.add(key, ["existing", "password"], `expected a password short enough for DATABASE_URL (user and password percent-encoded, the instance's endpoint) to fit one SSM parameter of ${maxValueBytes} bytes, got ${show(["existing", "password"], e.password)} that makes it about ${Buffer.byteLength(url)} bytes`);
            }
        }
    }
    if (db.external !== undefined) {
        const problem = externalUrlProblem(db.external.url);
        if (problem !== undefined) r.add(key, ["external", "url"], `${problem} (the URL is secret and not shown)`);
    }
}

/** What is wrong with an external database URL, without quoting any of it. */
export function externalUrlProblem(url: string): string | undefined {
    const m = /^postgres(?:ql)?:\/\/([^/?#]*)(\/[^?#]*)?(\?[^#]*)?(#.*)?$/.exec(url);
    if (!m) return "expected postgresql://[user[:password]@]host[:port]/database";
    const authority = m[1];
    const at = authority.lastIndexOf("@");
    const userinfo = at >= 0 ? authority.slice(0, at) : "";
    const hostPort = authority.slice(at + 1);
    if (hostPort.includes(",")) return "expected one host: the stack opens the database port to one server, got a list of hosts";
    let host: string;
    let port: string | undefined;
    if (hostPort.startsWith("[")) {
        const end = hostPort.indexOf("]");
        if (end < 0) return "expected a closing ] after the IPv6 address";
        host = hostPort.slice(0, end + 1);
        const rest = hostPort.slice(end + 1);
        if (rest !== "" && !rest.startsWith(":")) return "expected :<port> or nothing after the IPv6 address";
        port = rest === "" ? undefined : rest.slice(1);
    } else {
        const colon = hostPort.lastIndexOf(":");
        host = colon >= 0 ? hostPort.slice(0, colon) : hostPort;
        port = colon >= 0 ? hostPort.slice(colon + 1) : undefined;
    }
    if (host === "" || host === "[]") return "expected a host in the URL, got none";
    const label = "[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?";
    if (!new RegExp(`^(\\[[0-9A-Fa-f:.]+\\]|${label}(?:\\.${label})*\\.?)$`).test(host) || host.length > 255) return "expected a host name or IP address in the URL";
    if (port !== undefined) {
        if (port === "") return "expected a port from 1 to 65535 after the colon in the URL, got an empty port";
        if (!/^[0-9]+$/.test(port)) return "expected a port from 1 to 65535 in the URL, got a port that is not a number";
        if (Number(port) < 1 || Number(port) > 65535) return "expected a port from 1 to 65535 in the URL, got a port outside that range";
    }
    if (/^(localhost|127(\.[0-9]+){3}|\[::1\]|0\.0\.0\.0)\.?$/i.test(host)) return "expected a host the tasks can reach, got a loopback address (the database does not run inside the task)";
    if (m[4] !== undefined) return "expected no #fragment in the URL";
    const dbName = (m[2] ?? "").slice(1);
    if (dbName === "") return "expected a database name in the URL (postgresql://host/<database>), got none";
    if (dbName.includes("/")) return "expected one path segment in the URL, the database name";
    try {
        for (const part of [userinfo, dbName, m[3] ?? ""]) decodeURIComponent(part);
    } catch {
        return "expected valid percent-encoding (%XX) in the URL";
    }
    try {
        // The same parse the database component uses for the port.
        new URL(url.replace(/^postgres(ql)?:/, "http:"));
    } catch {
        return "expected a URL that parses (host, port and percent-encoding)";
    }
    return undefined;
}

function network(r: Reporter, { c }: RuleInput): void {
    if (c.network?.mode !== "existing") return;
    const key = P("network");
    const n = c.network;
    for (const tier of ["publicSubnetIds", "privateSubnetIds"] as const) {
        n[tier].forEach((id, i) => {
            const first = n[tier].indexOf(id);
            if (first !== i) r.add(key, [tier, i], `expected each subnet once, got ${r.show(key, [tier, i], id)} again (also ${tier}[${first}])`);
        });
    }
    // ECS: a service's awsvpc configuration takes at most 16 subnets.
    if (n.privateSubnetIds.length > maxServiceSubnets) {
        r.add(key, ["privateSubnetIds"], `expected at most ${maxServiceSubnets} subnets (ECS's limit for a service's network configuration), got ${n.privateSubnetIds.length}`);
    }
    n.privateSubnetIds.forEach((id, i) => {
        if (n.publicSubnetIds.includes(id)) {
            r.add(key, ["privateSubnetIds", i], `expected private subnets apart from the public ones (tasks and the database must not sit where the load balancer faces the internet), got ${r.show(key, ["privateSubnetIds", i], id)} in both`);
        }
    });
}

const maxServiceSubnets = 16;

function certificate(r: Reporter, { c, aws }: RuleInput): void {
    if (c.certificateArn === undefined) return;
    const key = P("certificateArn");
    const m = acmCertificateArn.exec(c.certificateArn)!;
    const [, partition, certRegion, account] = m;
    const hidden = r.hides(key, []);
    if (c.region !== undefined) {
        const lbRegion = r.hides(region, []) ? "aws:region" : c.region;
        if (certRegion !== c.region) {
            r.add(key, [], `expected a certificate in ${lbRegion}, the load balancer's region (aws:region), got one in ${hidden ? "another region (hidden)" : certRegion}: ACM certificates are regional`);
        } else if (partition !== partitionOf(c.region)) {
            r.add(key, [], `expected an ARN of the ${partitionOf(c.region)} partition (aws:region), got ${hidden ? "another (hidden)" : partition}`);
        }
    }
    if (aws.allowedAccountIds !== undefined && !aws.allowedAccountIds.includes(account)) {
        r.add(key, [], `expected a certificate of an account in aws:allowedAccountIds (a load balancer uses certificates of its own account), got ${hidden ? "another account (hidden)" : `account ${account}`}`);
    }
    if (aws.forbiddenAccountIds?.includes(account)) {
        r.add(key, [], `expected a certificate of an account not in aws:forbiddenAccountIds, got ${hidden ? "a forbidden account (hidden)" : `account ${account}`}`);
    }
}

/** The keys of a value that is a plain object (none otherwise). */
function objectKeys(value: unknown): string[] {
    return value !== null && typeof value === "object" && !Array.isArray(value) ? Object.keys(value) : [];
}

function tags(r: Reporter, { c, settings, aws }: RuleInput): void {
    const key = P("tags");
    // Keys are checked even when a value beside them is refused.
    const user = c.tags !== undefined ? Object.keys(c.tags) : objectKeys(settings.tags).filter((k) => k !== "" && !/^aws:/i.test(k));
    const defaults = Object.keys(aws.defaultTags ?? {});
    const program = new Map(programTagKeys.map((k) => [k.toLowerCase(), k]));
    const sources: { top: string; path: (k: string) => Path; keys: string[] }[] = [
        { top: key, path: (k) => [k], keys: user },
        { top: "aws:defaultTags", path: (k) => ["tags", k], keys: defaults },
    ];
    for (const { top, path, keys } of sources) {
        for (const k of keys) {
            const own = program.get(k.toLowerCase());
            if (own !== undefined) {
                r.add(top, path(k), `expected a key other than ${programTagKeys.join(", ")}, which the program sets itself, got ${JSON.stringify(k)}${own !== k ? ` (it differs from ${own} only in letter case, and IAM treats tag keys case-insensitively)` : ""}`);
            }
        }
    }
    // IAM (and so the roles this stack tags) treats tag keys case-insensitively.
    const seen = new Map<string, string>();
    for (const { top, path, keys } of sources) {
        for (const k of keys) {
            const other = seen.get(k.toLowerCase());
            if (other !== undefined && other !== k) r.add(top, path(k), `expected tag keys that differ in more than letter case (IAM treats ${JSON.stringify(other)} and ${JSON.stringify(k)} as one key), got both`);
            if (other === undefined) seen.set(k.toLowerCase(), k);
        }
    }
    const count = seen.size;
    const room = maxTagsPerResource - maxProgramTagsPerResource;
    if (count > room) {
        const fromDefaults = defaults.filter((k) => !user.some((u) => u.toLowerCase() === k.toLowerCase())).length;
        r.add(key, [], `expected at most ${room} tags: AWS allows ${maxTagsPerResource} per resource and the program adds up to ${maxProgramTagsPerResource} (app, stack, managed-by everywhere; release and process on task definitions; Name and tier on subnets), got ${count}${fromDefaults > 0 ? ` (${fromDefaults} of them from aws:defaultTags)` : ""}`);
    }
}
