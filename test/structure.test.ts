import { existsSync, readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { Evaluation, evaluateStack } from "./harness";
import { SimulatedAccount } from "./support/simulated-account";

/**
 * Moving code must not replace what existing stacks run: every resource keeps its URN (or
 * carries an alias from it) and receives the same inputs. The baselines in test/baseline/ were
 * recorded from the commit before the move (RECORD_BASELINE=1 writes them) and are compared
 * on every run since.
 */

const baselineDir = path.join(__dirname, "baseline");
// A build context of fixed content, so the baseline does not follow the sample app's source.
const build = { context: "test/fixtures/build-context", dockerfile: "Dockerfile", platform: "linux/amd64" };
const devImage = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-dev-build-repo@sha256:${"d".repeat(64)}`;

/**
 * Changed on purpose after the baseline was recorded — fixes from the independent review of the
 * lifecycle work, not the move — each with its reason. Everything else must match exactly.
 */
const changedOnPurpose: { urn: RegExp; field: string; why: string; undo?: (value: unknown) => unknown }[] = [
    { urn: /randomPassword:RandomPassword::/, field: "keepers", why: "no keeper at passwordVersion 1, so stacks deployed before it existed keep their password" },
    // The random provider keeps a password whose keepers are removed; the mock derives it from them.
    { urn: /rds\/instance:Instance::/, field: "password", why: "the mock's password follows the keepers above" },
    { urn: /-release-v\d+-DATABASE_URL$/, field: "value", why: "it carries that password" },
    { urn: /randomId:RandomId::/, field: "keepers", why: "the snapshot suffix follows what replaces the instance" },
    { urn: /rds\/instance:Instance::/, field: "finalSnapshotIdentifier", why: "it carries that suffix" },
    // Compared with the release taken back out of the prefix, so the rest of the definitions still must match.
    {
        urn: /ecs\/taskDefinition:TaskDefinition::/, field: "containerDefinitions",
        why: "issue 14: the awslogs stream prefix carries the release (<process>/<release>), so `ops logs` filters by process and release",
        undo: (value) => String(value).replace(/("awslogs-stream-prefix\\?":\\?")([a-z][a-z0-9]*)\/v[1-9][0-9]*/g, "$1$2"),
    },
    { urn: /ecs\/service:Service::/, field: "taskDefinition", why: "the task definition revision that carries that prefix (same family)", undo: (value) => String(value).replace(/:\d+$/, "") },
    // Issue 13, production defaults. The baseline scenarios evaluate today's stack files: dev's
    // now has no NAT, Fargate Spot and exec; prod's a domain, a protected and logged load
    // balancer, autoscaling and alarms.
    { urn: /^urn:pulumi:dev::.*routeTable:RouteTable::shop-dev-net-private-\d-rt$/, field: "routes", why: "dev has no NAT gateway (natGateways none): its private subnets hold only the database, which needs no route out" },
    { urn: /ecs\/cluster:Cluster::/, field: "settings", why: "Container Insights set explicitly: enabled with alarms (the running-below-desired alarms read its metrics), disabled without" },
    { urn: /^urn:pulumi:dev::.*ecs\/cluster:Cluster::/, field: "configuration", why: "dev has ECS Exec on: sessions are logged to the stack's log group" },
    { urn: /^urn:pulumi:dev::.*ecs\/taskDefinition:TaskDefinition::/, field: "volumes", why: "dev has ECS Exec on: the exec agent's writable paths are task volumes (the root filesystem stays read-only)" },
    {
        urn: /^urn:pulumi:dev::.*ecs\/taskDefinition:TaskDefinition::/, field: "containerDefinitions", why: "dev has ECS Exec on: every container mounts those volumes (compared without them, so the rest must still match)",
        undo: (value) => String(value).replace(/,\{\\?"containerPath\\?":\\?"(\/var\/(lib|log)\/amazon\/ssm|\/managed-agents)\\?",\\?"readOnly\\?":false,\\?"sourceVolume\\?":\\?"(ssm-agent-(state|logs)|ecs-managed-agents)\\?"\}/g, ""),
    },
    { urn: /lb\/loadBalancer:LoadBalancer::/, field: "enableDeletionProtection", why: "loadBalancer.deletionProtection set explicitly: on in prod (with Pulumi protect), off in dev" },
    { urn: /^urn:pulumi:prod::.*lb\/loadBalancer:LoadBalancer::/, field: "accessLogs", why: "prod's load balancer logs to the stack's access-log bucket" },
    { urn: /^urn:pulumi:prod::.*lb\/listener:Listener::shop-prod-http$/, field: "defaultActions", why: "prod serves HTTPS at its domain: HTTP redirects to it" },
    { urn: /ecs\/service:Service::/, field: "launchType", why: "services run through a capacity provider strategy (FARGATE or FARGATE_SPOT), which excludes a launch type" },
    { urn: /ecs\/service:Service::/, field: "capacityProviderStrategies", why: "the strategy: processes.<p>.capacity (dev's web and worker run on Fargate Spot)" },
    { urn: /ecs\/service:Service::/, field: "forceNewDeployment", why: "the provider changes a capacity provider strategy only with a forced new deployment (once, when a stack moves from the launch type)" },
    { urn: /ecs\/service:Service::/, field: "enableExecuteCommand", why: "exec set explicitly: on in dev, off in prod" },
    { urn: /^urn:pulumi:dev::.*ecs\/service:Service::/, field: "networkConfiguration", why: "dev has no NAT: tasks run in the public subnets with public IPs (the security group still admits only the load balancer)" },
    { urn: /^urn:pulumi:prod::.*ecs\/service:Service::shop-prod-worker$/, field: "desiredCount", why: "prod's worker scales from 1 to 4 tasks (a restarted worker only delays jobs); web stays at 2 and more" },
];
const goneOnPurpose: { scenario: string; type: string; why: string }[] = [
    { scenario: "dev-pinned", type: "docker:index/image:Image", why: "a pinned stack is frozen: it builds nothing" },
    ...["dev", "dev-pinned"].flatMap((scenario) => [
        { scenario, type: "aws:ec2/natGateway:NatGateway", why: "issue 13: dev has no NAT gateway (natGateways none, about $37 a month less); its tasks run in the public subnets" },
        { scenario, type: "aws:ec2/eip:Eip", why: "the NAT gateway's Elastic IP goes with it" },
    ]),
];
const typeOf = (urn: string) => urn.split("::")[2].split("$").pop()!;
const comparable = (urn: string, inputs: unknown) => {
    const changed = changedOnPurpose.filter((c) => c.urn.test(urn));
    return Object.fromEntries(Object.entries(inputs as Record<string, unknown>).flatMap(([k, v]) => {
        // Several changes may touch one field: each takes its own change back, in turn.
        const entries = changed.filter((c) => c.field === k);
        if (entries.length === 0) return [[k, v]];
        return entries.some((e) => e.undo === undefined) ? [] : [[k, entries.reduce((value, e) => e.undo!(value), v)]];
    }));
};

interface Baseline {
    urn: string;
    inputs: unknown;
}

const scenarios: Record<string, () => Promise<Evaluation>> = {
    dev: () => evaluateStack({ stack: "dev", config: { build } }),
    prod: () => evaluateStack({ stack: "prod", stackOutputs: { dev: { image: devImage, platform: "linux/amd64" } } }),
    "dev-pinned": async () => {
        const account = new SimulatedAccount();
        account.deploy(await evaluateStack({ stack: "dev", account, config: { build } }));
        account.deploy(await evaluateStack({ stack: "dev", account, config: { build, env: { LOG_LEVEL: "info", WORKER_POLL_MS: "2000" } } }));
        return evaluateStack({ stack: "dev", account, config: { build, env: { LOG_LEVEL: "info", WORKER_POLL_MS: "2000" }, release: { pin: "v1" } } });
    },
};

describe("the move keeps every resource of existing stacks", () => {
    it.each(Object.keys(scenarios))("%s: same URN (or an alias from it) and same inputs as before the move", async (scenario) => {
        const run = await scenarios[scenario]();
        const now: Baseline[] = run.resources.map((r) => ({ urn: r.urn, inputs: r.inputs }));
        const file = path.join(baselineDir, `${scenario}.json`);
        if (process.env.RECORD_BASELINE === "1") writeFileSync(file, `${JSON.stringify(now, null, 1)}\n`);
        expect(existsSync(file), `${file} (record it from the commit before the move)`).toBe(true);
        const before = JSON.parse(readFileSync(file, "utf8")) as Baseline[];
        const byUrn = new Map(run.resources.flatMap((r) => [r.urn, ...r.aliases].map((u) => [u, r] as const)));
        const expected = before.filter((old) => !goneOnPurpose.some((g) => g.scenario === scenario && g.type === typeOf(old.urn)));
        for (const old of expected) {
            const found = byUrn.get(old.urn);
            expect(found, `${old.urn} is gone: Pulumi would delete it and create another`).toBeDefined();
            expect(comparable(old.urn, found!.inputs), old.urn).toEqual(comparable(old.urn, old.inputs));
        }
        // Later features may add resources; none of the baseline's may go or change.
        expect(new Set(expected.map((old) => byUrn.get(old.urn))).size).toBe(expected.length);
    });
});
