import { taskContainers } from "../lib/container-definitions";
import { describeMemoryFor, fargateCpus, isFargateCpu, isValidFargateSize } from "../lib/fargate";
import { stableStringify } from "../lib/hashing";
import { maxPrefixLength, stackPrefix } from "../lib/naming";
import type { RuleInput } from "./rule-input";
import { database } from "./rules-database";
import { permissionsBoundary } from "./rules-iam";
import { certificate, network, tags } from "./rules-network";
import { production } from "./rules-production";
import { ecsReservedEnvNames, knownRegions, longestReleaseId, maxParameterNameWithArn, maxTaskDefinitionBytes, parameterArnPrefixLength, partitionOf } from "./aws";
import { reservedDatabaseReason } from "./postgres";
import { objectKeys, projectKey as P, type Path, type Reporter } from "./report";
import {
    ecrImageRef, envVarName, logRetentionDays, lowerName, type ProcessConfig, processNamePattern, processSchema, reservedKeys,
} from "./schema";

/**
 * Rules that span fields or judge values the program derives from config (resource names,
 * tags, SSM parameter names, DATABASE_URL, task definitions) against the limits AWS enforces.
 * Each rule runs when the keys it reads parsed, so one run reports every problem it can.
 * Values appear in messages only through r.show(), which hides secret ones.
 */

const region = "aws:region";


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
    permissionsBoundary(r, input);
    production(r, input);
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
    if (c.app === undefined) return;
    const regionName = c.region ?? "us-gov-west-1";
    const keys = [...new Set([...envKeys, ...secretKeys, "DATABASE_URL"])].sort();
    const arnPrefix = `arn:${partitionOf(regionName)}:ssm:${regionName}:123456789012:parameter/${c.app}/${input.stack}/releases/${longestReleaseId}/`;
    const references = keys.map((key) => ({ name: key, valueFrom: `${arnPrefix}${key}` }));
    const releasePhase = processList.find(([, p]) => p.phase === "release");
    for (const [name, spec] of processList) {
        const containers = taskContainers(name, spec, { image: c.build?.image ?? "0".repeat(300), secrets: references, logGroupName: `/ecs/${stackPrefix(c.app, input.stack)}`, region: regionName, releaseId: longestReleaseId },
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

