import { beforeAll, describe, expect, it } from "vitest";
import { execAgentVolumes } from "../lib/container-definitions";
import { Evaluation, evaluateStack, readStackConfig, ssmAfter } from "./harness";
import { SimulatedAccount } from "./support/simulated-account";

/** ECS Exec, scheduled jobs on the running release, and the cheap dev (no NAT, Fargate Spot). */

const devImage = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-dev-build-repo-1a2b3c4@sha256:${"a".repeat(64)}`;
const prodOptions = { stack: "prod", stackOutputs: { dev: { image: devImage, platform: "linux/amd64" } } };
const devConfig = readStackConfig("dev").config;
const devProcesses = devConfig["twelve-factor:processes"] as Record<string, Record<string, unknown>>;
/** Dev with a nightly report: the worker's image and command, on a schedule. */
const withReport = { processes: { ...devProcesses, report: { command: ["node", "src/worker.js"], cpu: 256, memory: 512, schedule: "cron(0 3 * * ? *)", capacity: "spot" } } };
type Container = { name: string; readonlyRootFilesystem: boolean; mountPoints: { sourceVolume: string; containerPath: string; readOnly: boolean }[] };
type Statement = { Sid: string; Action: string[]; Resource: string | string[]; Condition?: unknown };
const statements = (run: Evaluation, name: string) => (JSON.parse(run.named(name).inputs.policy) as { Statement: Statement[] }).Statement;

describe("ECS Exec (on in dev)", () => {
    let dev: Evaluation;
    beforeAll(async () => {
        dev = await evaluateStack({ stack: "dev" });
    });

    it("is enabled on every service, and the cluster logs sessions to the stack's log group", () => {
        for (const s of dev.ofType("aws:ecs/service:Service")) expect(s.inputs.enableExecuteCommand, s.name).toBe(true);
        expect(dev.named("shop-dev-cluster").inputs.configuration).toEqual({
            executeCommandConfiguration: { logging: "OVERRIDE", logConfiguration: { cloudWatchLogGroupName: dev.named("shop-dev-logs").outputs.name } },
        });
    });

    it("gives the task role exactly the session channels and the session log", () => {
        expect(dev.named("shop-dev-task-exec").inputs.role).toBe("shop-dev-task-id");
        const logGroupArn = dev.named("shop-dev-logs").outputs.arn;
        expect(statements(dev, "shop-dev-task-exec")).toEqual([
            // The ssmmessages actions and DescribeLogGroups take no resource but "*" (as AWS documents).
            { Sid: "ExecChannels", Effect: "Allow", Action: ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"], Resource: "*" },
            { Sid: "ExecFindLogGroup", Effect: "Allow", Action: ["logs:DescribeLogGroups"], Resource: "*" },
            { Sid: "ExecSessionLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"], Resource: [`${logGroupArn}:*`] },
        ]);
    });

    it("gives every container of an exec-enabled task definition the agent's writable paths, on a read-only root filesystem", () => {
        for (const td of dev.ofType("aws:ecs/taskDefinition:TaskDefinition")) {
            const volumes = (td.inputs.volumes as { name: string }[]).map((v) => v.name);
            for (const container of JSON.parse(td.inputs.containerDefinitions) as Container[]) {
                expect(container.readonlyRootFilesystem, `${td.name} ${container.name}`).toBe(true);
                for (const path of ["/var/lib/amazon/ssm", "/var/log/amazon/ssm", "/managed-agents"]) {
                    const mount = container.mountPoints.find((m) => m.containerPath === path);
                    expect(mount, `${td.name} ${container.name} ${path}`).toMatchObject({ readOnly: false });
                    expect(volumes, `${td.name}: the volume ${path} mounts`).toContain(mount!.sourceVolume);
                }
            }
        }
        expect(execAgentVolumes.map((v) => v.containerPath)).toEqual(["/var/lib/amazon/ssm", "/var/log/amazon/ssm", "/managed-agents"]);
    });

    it("is off in prod: no exec permissions, no agent volumes, no session logging", async () => {
        const prod = await evaluateStack(prodOptions);
        for (const s of prod.ofType("aws:ecs/service:Service")) expect(s.inputs.enableExecuteCommand, s.name).toBe(false);
        expect(prod.resources.some((r) => r.name === "shop-prod-task-exec")).toBe(false);
        expect(prod.named("shop-prod-cluster").inputs.configuration).toBeUndefined();
        for (const td of prod.ofType("aws:ecs/taskDefinition:TaskDefinition")) expect(td.inputs.volumes, td.name).toEqual([{ name: "tmp" }]);
    });
});

describe("a scheduled process", () => {
    let dev: Evaluation;
    beforeAll(async () => {
        dev = await evaluateStack({ stack: "dev", config: withReport });
    });

    it("has a task definition of the release but no service", () => {
        expect(dev.named("shop-dev-report-v1").inputs.family).toBe("shop-dev-report");
        expect(dev.ofType("aws:ecs/service:Service").map((s) => s.name)).toEqual(["shop-dev-web", "shop-dev-worker"]);
    });

    it("runs the running release's task definition in the cluster, with the services' task network", () => {
        const schedule = dev.named("shop-dev-jobs-report");
        expect(schedule.inputs).toMatchObject({ scheduleExpression: "cron(0 3 * * ? *)", scheduleExpressionTimezone: "UTC", flexibleTimeWindow: { mode: "OFF" } });
        const target = schedule.inputs.target;
        expect(target.arn).toBe(dev.named("shop-dev-cluster").outputs.arn);
        expect(target.roleArn).toBe(dev.named("shop-dev-jobs-role").outputs.arn);
        expect(target.ecsParameters).toMatchObject({
            taskDefinitionArn: dev.named("shop-dev-report-v1").outputs.arn,
            capacityProviderStrategies: [{ capacityProvider: "FARGATE_SPOT", weight: 1 }],
            taskCount: 1,
        });
        // One task network for every task: the same as the services' (dev: public subnets, public IP).
        expect(target.ecsParameters.networkConfiguration).toEqual(dev.named("shop-dev-web").inputs.networkConfiguration);
        // It moves only once the services are steady: a failed deploy leaves it where the services stay.
        expect(schedule.dependsOn).toEqual(expect.arrayContaining(["shop-dev-web", "shop-dev-worker", "shop-dev-cluster-capacity", "shop-dev-jobs-role-policy"]));
    });

    it("has a role only EventBridge Scheduler of this account assumes, running only that family and passing only this stack's roles", () => {
        const trust = JSON.parse(dev.named("shop-dev-jobs-role").inputs.assumeRolePolicy);
        expect(trust.Statement).toEqual([{ Effect: "Allow", Principal: { Service: "scheduler.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } } }]);
        const family = dev.named("shop-dev-report-v1").inputs.family;
        const cluster = dev.named("shop-dev-cluster").outputs;
        const [run, tag, pass] = statements(dev, "shop-dev-jobs-role-policy");
        expect(run).toEqual({ Sid: "RunScheduledTasks", Effect: "Allow", Action: ["ecs:RunTask"], Resource: [`arn:aws:ecs:eu-west-1:123456789012:task-definition/${family}:*`], Condition: { ArnEquals: { "ecs:cluster": cluster.arn } } });
        expect(tag).toMatchObject({ Action: ["ecs:TagResource"], Resource: [`arn:aws:ecs:eu-west-1:123456789012:task/${cluster.name}/*`], Condition: { StringEquals: { "ecs:CreateAction": "RunTask" } } });
        expect(pass).toMatchObject({ Action: ["iam:PassRole"], Resource: [dev.named("shop-dev-exec").outputs.arn, dev.named("shop-dev-task").outputs.arn].sort(), Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } } });
        expect(dev.named("shop-dev-jobs-role-policy").inputs.role).toBe("shop-dev-jobs-role-id");
    });

    it("moves with the services on a rollback: both to the pinned release's task definitions", async () => {
        const account = new SimulatedAccount();
        const v1 = await evaluateStack({ stack: "dev", account, config: withReport });
        account.deploy(v1);
        const v2 = await evaluateStack({ stack: "dev", account, config: { ...withReport, env: { LOG_LEVEL: "warn", WORKER_POLL_MS: "2000" } } });
        account.deploy(v2);
        const rollback = await evaluateStack({ stack: "dev", account, config: { ...withReport, env: { LOG_LEVEL: "warn", WORKER_POLL_MS: "2000" }, release: { pin: "v1" } } });
        account.deploy(rollback);

        const scheduled = (run: Evaluation) => run.named("shop-dev-jobs-report").inputs.target.ecsParameters.taskDefinitionArn;
        const webRuns = (run: Evaluation) => run.named("shop-dev-web").inputs.taskDefinition;
        expect(scheduled(v2)).toBe(v2.named("shop-dev-report-v2").outputs.arn);
        expect(webRuns(v2)).toBe(v2.named("shop-dev-web-v2").outputs.arn);
        // Pinned to v1: the schedule and the services run v1's task definitions, as they did at first.
        expect(rollback.outputs.runningRelease).toBe("v1");
        expect(scheduled(rollback)).toBe(rollback.named("shop-dev-report-v1").outputs.arn);
        expect(webRuns(rollback)).toBe(rollback.named("shop-dev-web-v1").outputs.arn);
        expect(scheduled(rollback)).toBe(scheduled(v1));
        expect(webRuns(rollback)).toBe(webRuns(v1));
        expect(scheduled(rollback)).not.toBe(scheduled(v2));
    });

    it("does not make a new release: schedules, scaling and capacity are the formation", async () => {
        const first = await evaluateStack({ stack: "dev" });
        const scheduledWorker = await evaluateStack({ stack: "dev", ssm: ssmAfter(first), config: { processes: { ...devProcesses, worker: { ...devProcesses.worker, count: undefined, capacity: "fargate", schedule: "rate(1 hour)" } } } });
        expect(scheduledWorker.outputs.runningRelease).toBe("v1");
        expect(scheduledWorker.ofType("aws:ecs/service:Service").map((s) => s.name)).toEqual(["shop-dev-web"]);
        expect(scheduledWorker.named("shop-dev-jobs-worker").inputs.target.ecsParameters.capacityProviderStrategies).toEqual([{ capacityProvider: "FARGATE", weight: 1 }]);
    });
});

describe("the cheap dev: no NAT gateway, Fargate Spot", () => {
    let dev: Evaluation;
    beforeAll(async () => {
        dev = await evaluateStack({ stack: "dev", config: withReport });
    });

    it("declares no NAT gateway or Elastic IP; the private subnets (the database's) have no route out", () => {
        expect(dev.ofType("aws:ec2/natGateway:NatGateway")).toEqual([]);
        expect(dev.ofType("aws:ec2/eip:Eip")).toEqual([]);
        for (const rt of ["shop-dev-net-private-1-rt", "shop-dev-net-private-2-rt"]) expect(dev.named(rt).inputs.routes, rt).toEqual([]);
    });

    it("puts every task — services, schedules, one-off runs — in the public subnets with a public IP", () => {
        const publicSubnets = dev.ofType("aws:ec2/subnet:Subnet").filter((s) => s.inputs.tags.tier === "public").map((s) => `${s.name}-id`);
        const taskNetwork = { subnets: publicSubnets, securityGroups: ["shop-dev-net-tasks-sg-id"], assignPublicIp: true };
        for (const s of dev.ofType("aws:ecs/service:Service")) expect(s.inputs.networkConfiguration, s.name).toEqual(taskNetwork);
        expect(dev.named("shop-dev-jobs-report").inputs.target.ecsParameters.networkConfiguration).toEqual(taskNetwork);
        // One-off runs (npm run ops -- run) read the task network from the stack's output.
        expect(dev.outputs.taskNetwork).toEqual(taskNetwork);
    });

    it("lets nothing but the load balancer in to the tasks, and keeps the database private", () => {
        const into = dev.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.inputs.securityGroupId === "shop-dev-net-tasks-sg-id");
        expect(into.map((r) => [r.inputs.referencedSecurityGroupId, r.inputs.cidrIpv4])).toEqual([["shop-dev-net-alb-sg-id", undefined]]);
        const privateSubnets = dev.ofType("aws:ec2/subnet:Subnet").filter((s) => s.inputs.tags.tier === "private").map((s) => `${s.name}-id`);
        expect(dev.named("shop-dev-db-subnets").inputs.subnetIds).toEqual(privateSubnets);
        expect(dev.named("shop-dev-db-instance").inputs.publiclyAccessible).toBe(false);
    });

    it("runs web and worker on Fargate Spot, in a cluster that offers it", () => {
        for (const s of dev.ofType("aws:ecs/service:Service")) {
            expect(s.inputs.capacityProviderStrategies, s.name).toEqual([{ capacityProvider: "FARGATE_SPOT", weight: 1 }]);
            expect(s.inputs.launchType, s.name).toBeUndefined();
            expect(s.dependsOn, s.name).toContain("shop-dev-cluster-capacity");
        }
        expect(dev.named("shop-dev-cluster-capacity").inputs).toEqual({ clusterName: dev.named("shop-dev-cluster").outputs.name, capacityProviders: ["FARGATE", "FARGATE_SPOT"] });
    });

    it("keeps prod behind NAT in private subnets, on regular Fargate", async () => {
        const prod = await evaluateStack(prodOptions);
        const privateSubnets = prod.ofType("aws:ec2/subnet:Subnet").filter((s) => s.inputs.tags.tier === "private").map((s) => `${s.name}-id`);
        for (const s of prod.ofType("aws:ecs/service:Service")) {
            expect(s.inputs.networkConfiguration, s.name).toEqual({ subnets: privateSubnets, securityGroups: ["shop-prod-net-tasks-sg-id"], assignPublicIp: false });
            expect(s.inputs.capacityProviderStrategies, s.name).toEqual([{ capacityProvider: "FARGATE", weight: 1 }]);
        }
        expect(prod.ofType("aws:ec2/natGateway:NatGateway")).toHaveLength(2);
    });
});
