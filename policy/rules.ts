import * as aws from "@pulumi/aws";
import { type Policies, type ResourceValidationPolicy, type StackValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { iamWildcardResources } from "./rules-iam";

/**
 * This project's policies, written with @pulumi/policy only (no enforcement level here: that is
 * configured per stack in ./enforcement.yaml). The same objects run in `pulumi preview
 * --policy-pack policy/` (./index.ts) and offline in `npm run check` (./offline.ts), which
 * calls each validateResource / validateStack with the recorded resources.
 */

/** `/<app>/<stack>/releases/vN/<KEY>` and `/<app>/<stack>/ledger/vN`: the release history. */
const releaseParameter = /^\/[^/]+\/[^/]+\/releases\/v[1-9][0-9]*\/([^/]+)$/;
const ledgerEntry = /^\/[^/]+\/[^/]+\/ledger\/v[1-9][0-9]*$/;

interface Container {
    name?: string;
    image?: string;
    environment?: { name?: string }[];
    environmentFiles?: unknown[];
    secrets?: { name?: string; valueFrom?: string }[];
}

/** containerDefinitions as the provider takes them: a JSON string (or, from other programs, a list). */
function containersOf(definitions: unknown): Container[] {
    const parsed = typeof definitions === "string" ? JSON.parse(definitions) : definitions;
    return Array.isArray(parsed) ? (parsed as Container[]) : [];
}

export const secretsViaValueFrom: ResourceValidationPolicy = {
    name: "secrets-via-valuefrom",
    description: "Config reaches containers only as secrets[].valueFrom (an SSM parameter or Secrets Manager ARN); plain environment holds only the names allowed (PORT).",
    configSchema: { properties: { plainEnvironment: { type: "array", items: { type: "string" }, default: ["PORT"] } } },
    validateResource: validateResourceOfType(aws.ecs.TaskDefinition, (td, args, report) => {
        const { plainEnvironment = ["PORT"] } = args.getConfig<{ plainEnvironment?: string[] }>();
        for (const c of containersOf(td.containerDefinitions)) {
            for (const e of c.environment ?? []) {
                if (!plainEnvironment.includes(String(e.name))) report(`container ${c.name} sets ${e.name} in plain environment (stored in the task definition): pass it as secrets[].valueFrom from a release parameter`);
            }
            if ((c.environmentFiles ?? []).length > 0) report(`container ${c.name} reads environmentFiles: config comes from release parameters only`);
            for (const s of c.secrets ?? []) {
                if (!/^arn:aws[a-z-]*:(ssm|secretsmanager):/.test(String(s.valueFrom))) report(`container ${c.name} takes ${s.name} from ${JSON.stringify(s.valueFrom)}: expected an SSM parameter or Secrets Manager ARN`);
            }
        }
    }),
};

export const secretParametersSecure: StackValidationPolicy = {
    name: "secret-parameters-secure",
    description: "Release parameters of secret keys (DATABASE_URL, and every key its ledger entry lists as secret) are SecureString.",
    configSchema: { properties: { secretKeys: { type: "array", items: { type: "string" }, default: [] } } },
    validateStack: (args, report) => {
        const { secretKeys = [] } = args.getConfig<{ secretKeys?: string[] }>();
        const parameters = args.resources.filter((r) => r.type === "aws:ssm/parameter:Parameter");
        const secret = new Set(["DATABASE_URL", ...secretKeys]);
        for (const p of parameters.filter((r) => ledgerEntry.test(String(r.props.name)))) {
            try {
                for (const key of (JSON.parse(String(p.props.insecureValue)) as { secretKeys?: string[] }).secretKeys ?? []) secret.add(key);
            } catch {
                // Unknown in a preview (the image is known after the push) or not JSON: the keys above still apply.
            }
        }
        for (const p of parameters) {
            const key = releaseParameter.exec(String(p.props.name))?.[1];
            if (key === undefined || !secret.has(key)) continue;
            if (p.props.type !== "SecureString") report(`${p.props.name} holds secret ${key} as ${p.props.type}: expected SecureString`, p.urn);
        }
    },
};

export const releaseHistoryRetained: ResourceValidationPolicy = {
    name: "release-history-retained",
    description: "Release parameters and ledger entries are retained (retainOnDelete): no deploy, rollback or destroy removes a release.",
    validateResource: validateResourceOfType(aws.ssm.Parameter, (p, args, report) => {
        const name = String(p.name);
        if (!releaseParameter.test(name) && !ledgerEntry.test(name)) return;
        const retain = (args.opts as { retainOnDelete?: boolean }).retainOnDelete;
        // The engine does not pass retainOnDelete to policy packs (AnalyzerResourceOptions has
        // protect, ignoreChanges, aliases, … but not it); `npm run check` passes it.
        if (retain === undefined) args.notApplicable("the engine does not tell policy packs about retainOnDelete; npm run check enforces this rule");
        if (retain !== true) report(`${name} is not retained: a destroy or a later deploy would delete release history (set retainOnDelete)`);
    }),
};

export const imagesPinnedByDigest: ResourceValidationPolicy = {
    name: "images-pinned-by-digest",
    description: "Every container image is pinned by digest (<repository>@sha256:<64 hex>), never by a tag.",
    validateResource: validateResourceOfType(aws.ecs.TaskDefinition, (td, _args, report) => {
        for (const c of containersOf(td.containerDefinitions)) {
            if (!/@sha256:[0-9a-f]{64}$/.test(String(c.image))) report(`container ${c.name} runs ${JSON.stringify(c.image)}: expected an image pinned by digest`);
        }
    }),
};

export const taskDefinitionsKept: ResourceValidationPolicy = {
    name: "task-definitions-kept",
    description: "Task definitions are kept registered when replaced (skipDestroy), so a rollback and ECS's own circuit-breaker rollback always find theirs.",
    validateResource: validateResourceOfType(aws.ecs.TaskDefinition, (td, _args, report) => {
        if (td.skipDestroy !== true) report(`task definition ${td.family} would be deregistered on replacement: set skipDestroy`);
    }),
};

export const databaseHardening: ResourceValidationPolicy = {
    name: "database-hardening",
    description: "A database for production: Multi-AZ, deletion protection and Pulumi protect, encrypted storage, not public, a final snapshot, enough days of backups.",
    configSchema: { properties: { minBackupRetentionDays: { type: "integer", default: 7 } } },
    validateResource: validateResourceOfType(aws.rds.Instance, (db, args, report) => {
        const { minBackupRetentionDays = 7 } = args.getConfig<{ minBackupRetentionDays?: number }>();
        const id = db.identifier ?? args.name;
        if (db.multiAz !== true) report(`${id} runs in one availability zone: set multiAz`);
        if (db.deletionProtection !== true) report(`${id} has no deletion protection`);
        if (args.opts.protect !== true) report(`${id} is not protected in Pulumi (a destroy would delete it)`);
        if (db.storageEncrypted !== true) report(`${id} storage is not encrypted`);
        if (db.publiclyAccessible === true) report(`${id} is publicly accessible`);
        if (db.skipFinalSnapshot === true) report(`${id} skips its final snapshot`);
        const days = db.backupRetentionPeriod ?? 0;
        if (days < minBackupRetentionDays) report(`${id} keeps backups ${days} day${days === 1 ? "" : "s"}: expected at least ${minBackupRetentionDays}`);
    }),
};

/** Every policy of the pack, in the order reports list them. */
export const policies: Policies = [
    secretsViaValueFrom,
    secretParametersSecure,
    releaseHistoryRetained,
    imagesPinnedByDigest,
    taskDefinitionsKept,
    iamWildcardResources,
    databaseHardening,
];
