#!/usr/bin/env node
// @ts-check
// Fills the policy templates in iam/ for one AWS account and GitHub repository, and splits each
// role's permission policy into managed policies that fit IAM's size limit.
//
//   node iam/render.mjs --account 123456789012 --region eu-west-1 --app shop --repo owner/name \
//        --key-admin-arn arn:aws:iam::123456789012:role/platform-admin \
//        --break-glass-admin-arn arn:aws:iam::123456789012:role/break-glass \
//        [--state-bucket my-pulumi-state] [--hosted-zone-id Z0123…] [--out iam/out]
//
// Writes, per role of iam/roles.json: <role>.trust.json and <role>.policy-<n>.json; per stack:
// role-boundary-<stack>.json (the permissions boundary of the roles the stack creates) and, with
// the key administrators, key-policy-<stack>.json; and state-bucket-policy.json (with
// --state-bucket). Without --out it prints a summary only. Statements that name an optional
// placeholder left unset are dropped: <source-stack> (a role without a source stack),
// <state-bucket> (Pulumi Cloud backend) and <hosted-zone-id> (no custom domain). Any other
// placeholder left unset is an error. A template's "$comment" fields are for its readers: IAM
// accepts no such element, so they are dropped.
//
// Plain Node (no dependencies) so it runs right after a checkout; the tests import it.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const read = (/** @type {string} */ file) => JSON.parse(readFileSync(path.join(here, file), "utf8"));

/** IAM's limit for one customer-managed policy, in characters without white space. */
export const managedPolicyLimit = 6144;
/** Placeholders whose statements are dropped when they are not given. */
export const optionalPlaceholders = ["source-stack", "state-bucket", "hosted-zone-id"];

/** The role model (iam/roles.json) and the templates it names. */
export function model() {
    return read("roles.json");
}

/** @param {string} file */
export function template(file) {
    return read(file);
}

/** The Pulumi project name, from Pulumi.yaml next to iam/. */
export function projectName() {
    const text = readFileSync(path.join(here, "..", "Pulumi.yaml"), "utf8");
    const match = /^name:\s*(\S+)\s*$/m.exec(text);
    if (!match) throw new Error("Pulumi.yaml has no name");
    return match[1];
}

/** @param {unknown} value @returns {string[]} */
export function placeholdersIn(value) {
    return [...JSON.stringify(value, (k, v) => (k === "$comment" ? undefined : v)).matchAll(/<([a-z][a-z-]*)>/g)].map((m) => m[1]);
}

/**
 * @param {unknown} value
 * @param {Record<string, string | undefined>} values
 * @returns {unknown}
 */
function substitute(value, values) {
    if (typeof value === "string") {
        return value.replace(/<([a-z][a-z-]*)>/g, (whole, name) => values[name] ?? whole);
    }
    if (Array.isArray(value)) return value.map((v) => substitute(v, values));
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).filter(([k]) => k !== "$comment").map(([k, v]) => [k, substitute(v, values)]));
    }
    return value;
}

/**
 * Fills a policy document: placeholders replaced; statements naming an unset optional
 * placeholder dropped; an unset required placeholder is an error.
 * @param {{ Version: string, Statement: Record<string, unknown>[] }} policy
 * @param {Record<string, string | undefined>} values
 */
export function fill(policy, values) {
    const statements = policy.Statement.filter((s) => placeholdersIn(s).every((p) => !optionalPlaceholders.includes(p) || values[p] !== undefined));
    const filled = /** @type {{ Version: string, Statement: Record<string, unknown>[] }} */ (substitute({ ...policy, Statement: statements }, values));
    const left = placeholdersIn(filled);
    if (left.length > 0) throw new Error(`unset placeholders: ${[...new Set(left)].map((p) => `<${p}>`).join(", ")}`);
    return filled;
}

/** IAM counts a policy's characters without white space. @param {unknown} policy */
export function size(policy) {
    return JSON.stringify(policy).replace(/\s+/g, "").length;
}

/**
 * Splits a policy into documents of at most `limit` characters each, statements kept whole and in order.
 * @param {{ Version: string, Statement: Record<string, unknown>[] }} policy
 */
export function split(policy, limit = managedPolicyLimit) {
    /** @type {{ Version: string, Statement: Record<string, unknown>[] }[]} */
    const parts = [];
    for (const statement of policy.Statement) {
        const last = parts[parts.length - 1];
        if (last && size({ ...last, Statement: [...last.Statement, statement] }) <= limit) {
            last.Statement.push(statement);
        } else {
            const part = { Version: policy.Version, Statement: [statement] };
            if (size(part) > limit) throw new Error(`statement ${String(statement.Sid)} alone exceeds ${limit} characters`);
            parts.push(part);
        }
    }
    return parts;
}

/**
 * Every document for one account and repository.
 * @param {{ account: string, region: string, app: string, owner: string, repo: string, keyAdminArn?: string, breakGlassAdminArn?: string, stateBucket?: string, hostedZoneId?: string, project?: string }} options
 * @returns {Record<string, unknown>}
 */
export function renderAll(options) {
    const m = model();
    const common = {
        account: options.account,
        region: options.region,
        app: options.app,
        owner: options.owner,
        repo: options.repo,
        project: options.project ?? projectName(),
        "key-admin-arn": options.keyAdminArn,
        "break-glass-admin-arn": options.breakGlassAdminArn,
        "state-bucket": options.stateBucket,
        "hosted-zone-id": options.hostedZoneId,
    };
    /** @type {Record<string, unknown>} */
    const out = {};
    for (const [id, role] of Object.entries(m.roles)) {
        const values = { ...common, stack: role.stack, "source-stack": role.sourceStack };
        out[`${id}.trust.json`] = fill(template(role.trust), values);
        split(fill(template(role.policy), values)).forEach((part, i) => {
            out[`${id}.policy-${i + 1}.json`] = part;
        });
    }
    for (const [stack, boundary] of Object.entries(m.boundaries)) {
        out[`role-boundary-${stack}.json`] = fill(template(boundary.policy), { ...common, stack, "source-stack": boundary.sourceStack });
    }
    if (options.keyAdminArn !== undefined) {
        // Two administrators of each key (the second one for break-glass): a key policy without an
        // account-root statement cannot be recovered through IAM once its only administrator is gone.
        for (const [stack, key] of Object.entries(m.keys)) out[`key-policy-${stack}.json`] = fill(template(key.policy), { ...common, stack });
        if (options.stateBucket !== undefined) out["state-bucket-policy.json"] = fill(template(m.stateBucketPolicy), common);
    }
    return out;
}

function main() {
    const args = process.argv.slice(2);
    /** @type {Record<string, string>} */
    const opts = {};
    for (let i = 0; i < args.length; i += 2) {
        const key = args[i]?.replace(/^--/, "");
        const value = args[i + 1];
        if (!key || value === undefined) throw new Error(`expected --name value pairs, got ${args.join(" ")}`);
        opts[key] = value;
    }
    for (const required of ["account", "region", "app", "repo"]) {
        if (!opts[required]) throw new Error(`--${required} is required`);
    }
    const [owner, repo] = opts.repo.split("/");
    if (!owner || !repo) throw new Error("--repo must be owner/name");
    const files = renderAll({
        account: opts.account, region: opts.region, app: opts.app, owner, repo,
        keyAdminArn: opts["key-admin-arn"], breakGlassAdminArn: opts["break-glass-admin-arn"], stateBucket: opts["state-bucket"], hostedZoneId: opts["hosted-zone-id"],
    });
    for (const [name, doc] of Object.entries(files)) {
        console.log(`${name.padEnd(32)} ${String(size(doc)).padStart(5)} characters`);
        if (opts.out) {
            mkdirSync(opts.out, { recursive: true });
            writeFileSync(path.join(opts.out, name), JSON.stringify(doc, null, 2) + "\n");
        }
    }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
    try {
        main();
    } catch (error) {
        console.error(`render.mjs: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
    }
}
