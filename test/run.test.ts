import { beforeAll, describe, expect, it } from "vitest";
import { tlsPolicy } from "../lib/load-balancer";
import { fakeSecret, Evaluation, evaluateStack, ssmAfter } from "./harness";

const arnPrefix = "arn:aws:ssm:eu-west-1:123456789012:parameter";
type Container = {
    name: string; image: string; command: string[]; essential: boolean; readonlyRootFilesystem: boolean;
    secrets: { name: string; valueFrom: string }[]; environment: { name: string; value: string }[];
    mountPoints: { sourceVolume: string; containerPath: string }[]; dependsOn?: { containerName: string; condition: string }[];
    portMappings: { containerPort: number }[]; logConfiguration: { logDriver: string; options: Record<string, string> };
    healthCheck?: { command: string[] }; stopTimeout: number;
};
const containersOf = (run: Evaluation, name: string) => JSON.parse(run.named(name).inputs.containerDefinitions) as Container[];
const policyOf = (run: Evaluation, name: string) => JSON.parse(run.named(name).inputs.policy) as { Statement: { Sid: string; Action: string[]; Resource: string | string[] }[] };

describe("the dev stack's run stage", () => {
    let dev: Evaluation;
    beforeAll(async () => {
        dev = await evaluateStack({ stack: "dev" });
    });

    it("registers one Fargate task definition per process type for the running release", () => {
        const tds = dev.ofType("aws:ecs/taskDefinition:TaskDefinition");
        expect(tds.map((t) => [t.name, t.inputs.family, t.inputs.cpu, t.inputs.memory])).toEqual([
            ["shop-dev-migrate-v1", "shop-dev-migrate", "256", "512"],
            ["shop-dev-web-v1", "shop-dev-web", "256", "512"],
            ["shop-dev-worker-v1", "shop-dev-worker", "256", "512"],
        ]);
        for (const td of tds) {
            expect(td.inputs).toMatchObject({
                networkMode: "awsvpc",
                requiresCompatibilities: ["FARGATE"],
                runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
                // Dev has ECS Exec on: the exec agent's writable paths are volumes too.
                volumes: [{ name: "tmp" }, { name: "ssm-agent-state" }, { name: "ssm-agent-logs" }, { name: "ecs-managed-agents" }],
                skipDestroy: true,
                executionRoleArn: "arn:aws:iam::123456789012:role/shop-dev-exec",
                taskRoleArn: "arn:aws:iam::123456789012:role/shop-dev-task",
            });
            expect(td.inputs.tags).toMatchObject({ release: "v1", app: "shop", stack: "dev" });
        }
    });

    it("runs the image by digest and delivers every config key from the release's parameters", () => {
        const [migrate, web] = containersOf(dev, "shop-dev-web-v1");
        const image = dev.named("shop-dev-build-image").inputs.imageName.replace(/:src-[0-9a-f]+$/, "");
        expect(web.image).toMatch(new RegExp(`^${image}@sha256:[0-9a-f]{64}$`));
        expect(web.image).toBe(dev.outputs.image);
        expect(web.secrets).toEqual(["DATABASE_URL", "LOG_LEVEL", "SESSION_SECRET", "WORKER_POLL_MS"].map((k) => ({ name: k, valueFrom: `${arnPrefix}/shop/dev/releases/v1/${k}` })));
        // ECS takes the full ARN with exactly one slash after "parameter".
        for (const s of web.secrets) expect(s.valueFrom).toMatch(/^arn:aws:ssm:eu-west-1:\d{12}:parameter\/shop\/dev\/releases\/v1\/[A-Z_]+$/);
        expect(web.environment).toEqual([{ name: "PORT", value: "8080" }]);
        expect(migrate.secrets).toEqual(web.secrets);
        const text = dev.named("shop-dev-web-v1").inputs.containerDefinitions as string;
        expect(text).not.toContain(fakeSecret("SESSION_SECRET"));
        expect(text).not.toContain("postgresql://");
    });

    it("runs migrations to completion before the web container starts", () => {
        const [migrate, web] = containersOf(dev, "shop-dev-web-v1");
        expect(migrate).toMatchObject({ name: "migrate", essential: false, command: ["node", "src/migrate.js"] });
        expect(web).toMatchObject({ name: "web", essential: true, command: ["node", "src/web.js"], dependsOn: [{ containerName: "migrate", condition: "SUCCESS" }] });
        expect(containersOf(dev, "shop-dev-migrate-v1").map((c) => c.name)).toEqual(["migrate"]);
    });

    it("runs containers read-only with a scratch /tmp, a stop timeout, logs as event streams and a web health check", () => {
        const [, web] = containersOf(dev, "shop-dev-web-v1");
        expect(web.readonlyRootFilesystem).toBe(true);
        expect(web.mountPoints).toEqual([
            { sourceVolume: "tmp", containerPath: "/tmp", readOnly: false },
            { sourceVolume: "ssm-agent-state", containerPath: "/var/lib/amazon/ssm", readOnly: false },
            { sourceVolume: "ssm-agent-logs", containerPath: "/var/log/amazon/ssm", readOnly: false },
            { sourceVolume: "ecs-managed-agents", containerPath: "/managed-agents", readOnly: false },
        ]);
        expect(web.stopTimeout).toBe(30);
        expect(web.portMappings).toEqual([{ containerPort: 8080, protocol: "tcp" }]);
        expect(web.healthCheck?.command).toEqual(["CMD", "node", "src/healthcheck.js"]);
        expect(web.logConfiguration).toEqual({ logDriver: "awslogs", options: { "awslogs-group": "/ecs/shop-dev", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "web/v1", "mode": "non-blocking", "max-buffer-size": "4m" } });
        expect(containersOf(dev, "shop-dev-worker-v1")[1].healthCheck).toBeUndefined();
        expect(dev.named("shop-dev-logs").inputs).toMatchObject({ name: "/ecs/shop-dev", retentionInDays: 14 });
    });

    it("runs one service per long-running process, with the circuit breaker, on Fargate Spot in the public subnets (dev has no NAT)", () => {
        const services = dev.ofType("aws:ecs/service:Service");
        expect(services.map((s) => [s.name, s.inputs.desiredCount])).toEqual([["shop-dev-web", 1], ["shop-dev-worker", 1]]);
        for (const s of services) {
            expect(s.inputs).toMatchObject({
                capacityProviderStrategies: [{ capacityProvider: "FARGATE_SPOT", weight: 1 }],
                // The provider changes a capacity provider strategy only with a forced new deployment.
                forceNewDeployment: true,
                enableExecuteCommand: true,
                deploymentCircuitBreaker: { enable: true, rollback: true },
                waitForSteadyState: true,
                networkConfiguration: { assignPublicIp: true, subnets: ["shop-dev-net-public-1-id", "shop-dev-net-public-2-id"], securityGroups: ["shop-dev-net-tasks-sg-id"] },
            });
            // A strategy and a launch type exclude each other.
            expect(s.inputs.launchType).toBeUndefined();
            expect(s.inputs.tags.release).toBe("v1");
        }
        const web = dev.named("shop-dev-web");
        expect(web.inputs.loadBalancers).toEqual([{ targetGroupArn: expect.stringContaining(":targetgroup/shop-dev-tg/"), containerName: "web", containerPort: 8080 }]);
        // Every service waits for the execution policy and for every security-group rule (each a
        // resource of its own) that the tasks rely on; web also for its listener.
        const rules = [...dev.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"), ...dev.ofType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")].map((r) => r.name).sort();
        expect(rules).toHaveLength(6);
        // ...and for the task role's exec policy and the cluster's capacity providers.
        const always = ["shop-dev-exec-policy", "shop-dev-task-exec", "shop-dev-cluster-capacity"];
        expect([...web.dependsOn].sort()).toEqual([...always, "shop-dev-http", ...rules].sort());
        expect([...dev.named("shop-dev-worker").dependsOn].sort()).toEqual([...always, ...rules].sort());
        expect(web.inputs.taskDefinition).toMatch(/task-definition\/shop-dev-web:\d+$/);
        expect(dev.named("shop-dev-worker").inputs.loadBalancers).toBeUndefined();
    });

    it("puts web behind an internet-facing ALB with a short deregistration delay and the app's health path", () => {
        expect(dev.named("shop-dev-alb").inputs).toMatchObject({ loadBalancerType: "application", internal: false, subnets: ["shop-dev-net-public-1-id", "shop-dev-net-public-2-id"], securityGroups: ["shop-dev-net-alb-sg-id"], dropInvalidHeaderFields: true });
        const tg = dev.named("shop-dev-tg").inputs;
        expect(tg).toMatchObject({ targetType: "ip", protocol: "HTTP", port: 8080, healthCheck: { path: "/healthz", matcher: "200" } });
        expect(tg.deregistrationDelay).toBeLessThanOrEqual(30);
        const listeners = dev.ofType("aws:lb/listener:Listener");
        expect(listeners.map((l) => [l.name, l.inputs.port, l.inputs.protocol, l.inputs.defaultActions[0].type])).toEqual([["shop-dev-http", 80, "HTTP", "forward"]]);
    });

    it("lets the internet reach only the ALB, the ALB only web's port, and tasks only the database port", () => {
        const rules = [...dev.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"), ...dev.ofType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")]
            .map((r) => [r.type.includes("Ingress") ? "in" : "out", r.inputs.securityGroupId, r.inputs.fromPort, r.inputs.toPort, r.inputs.cidrIpv4 ?? r.inputs.referencedSecurityGroupId])
            .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
        expect(rules).toEqual([
            ["in", "shop-dev-db-sg-id", 5432, 5432, "shop-dev-net-tasks-sg-id"],
            ["in", "shop-dev-net-alb-sg-id", 80, 80, "0.0.0.0/0"],
            ["in", "shop-dev-net-tasks-sg-id", 8080, 8080, "shop-dev-net-alb-sg-id"],
            ["out", "shop-dev-net-alb-sg-id", 8080, 8080, "shop-dev-net-tasks-sg-id"],
            ["out", "shop-dev-net-tasks-sg-id", 443, 443, "0.0.0.0/0"],
            ["out", "shop-dev-net-tasks-sg-id", 5432, 5432, "shop-dev-db-sg-id"],
        ]);
        // Inline rules would fight the rule resources: the groups themselves carry none.
        for (const sg of dev.ofType("aws:ec2/securityGroup:SecurityGroup")) {
            expect(sg.inputs.ingress).toBeUndefined();
            expect(sg.inputs.egress).toBeUndefined();
        }
    });

    it("gives the execution role only this stack's image, logs and release parameters", () => {
        const policy = policyOf(dev, "shop-dev-exec-policy");
        const repo = dev.named("shop-dev-build-repo");
        expect(policy.Statement).toEqual([
            { Sid: "EcrLogin", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" },
                { Sid: "PullImage", Effect: "Allow", Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], Resource: [`arn:aws:ecr:eu-west-1:123456789012:repository/${repo.name}`] },
            { Sid: "WriteLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: ["arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/shop-dev:log-stream:*"] },
            { Sid: "ReadReleaseConfig", Effect: "Allow", Action: ["ssm:GetParameters"], Resource: [`${arnPrefix}/shop/dev/releases/*`] },
        ]);
        // "*" only where AWS allows nothing else.
        for (const s of policy.Statement) if (s.Resource === "*") expect(s.Action).toEqual(["ecr:GetAuthorizationToken"]);
        for (const name of ["shop-dev-exec", "shop-dev-task"]) {
            const trust = JSON.parse(dev.named(name).inputs.assumeRolePolicy);
            expect(trust.Statement).toEqual([{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } } }]);
        }
        const attached = [...dev.ofType("aws:iam/rolePolicy:RolePolicy"), ...dev.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")];
        // The task role has ECS Exec's permissions only (dev has exec on).
        expect(attached.map((p) => p.inputs.role)).toEqual(["shop-dev-exec-id", "shop-dev-task-id"]);
    });

    it("scopes prod's role to prod's parameters and dev's repository (promotion)", async () => {
        const devImage = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-dev-build-repo-1a2b3c4@sha256:${"c".repeat(64)}`;
        const prod = await evaluateStack({ stack: "prod", stackOutputs: { dev: { image: devImage } } });
        const policy = policyOf(prod, "shop-prod-exec-policy");
        expect(policy.Statement.map((s) => s.Resource)).toEqual([
            "*",
            ["arn:aws:ecr:eu-west-1:123456789012:repository/shop-dev-build-repo-1a2b3c4"],
            ["arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/shop-prod:log-stream:*"],
            [`${arnPrefix}/shop/prod/releases/*`],
        ]);
    });
});

describe("what must exist before tasks start", () => {
    it("builds the newest release's task definitions from its parameter resources, so they wait for every parameter", async () => {
        // In a preview a parameter's ARN is unknown until it exists: the containers that name
        // it are unknown too, which shows they depend on the parameters, not just their names.
        const preview = await evaluateStack({ stack: "dev", preview: true });
        const tds = preview.ofType("aws:ecs/taskDefinition:TaskDefinition");
        expect(tds.map((t) => t.inputs.family)).toEqual(["shop-dev-migrate", "shop-dev-web", "shop-dev-worker"]);
        for (const td of tds) expect(td.inputs.containerDefinitions, td.name).toEqual({ __pulumiUnknown: true });

        // A pinned release's parameters already exist: its containers are known in a preview.
        const first = await evaluateStack({ stack: "dev", config: { build: { image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop@sha256:${"1".repeat(64)}` } } });
        const rollback = await evaluateStack({ stack: "dev", preview: true, ssm: ssmAfter(first), config: { release: { pin: "v1" } } });
        const pinned = rollback.named("shop-dev-web-v1").inputs.containerDefinitions;
        expect(typeof pinned).toBe("string");
        expect(pinned).toContain("/shop/dev/releases/v1/DATABASE_URL");
    });
});

describe("pull rights on rollback", () => {
    it("lets the tasks pull a pinned release's image from its own repository as well as this stack's", async () => {
        const elsewhere = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/team-images/shop@sha256:${"2".repeat(64)}`;
        const first = await evaluateStack({ stack: "dev", config: { build: { image: elsewhere } } });
        const rollback = await evaluateStack({ stack: "dev", ssm: ssmAfter(first), config: { release: { pin: "v1" } } });
        expect(rollback.outputs.image).toBe(elsewhere);
        const pull = policyOf(rollback, "shop-dev-exec-policy").Statement.find((s) => s.Sid === "PullImage")!;
        expect(pull.Resource).toEqual(["arn:aws:ecr:eu-west-1:123456789012:repository/shop-dev-build-repo", "arn:aws:ecr:eu-west-1:123456789012:repository/team-images/shop"]);
    });
});

describe("EC2 descriptions", () => {
    it("use only the characters EC2 accepts in security group and rule descriptions", async () => {
        const run = await evaluateStack({ stack: "dev", config: { certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" } });
        const described = run.resources.filter((r) => /^aws:(ec2\/securityGroup|vpc\/securityGroup(Ingress|Egress)Rule)/.test(r.type));
        expect(described.length).toBeGreaterThan(8);
        for (const r of described) expect(r.inputs.description, r.name).toMatch(/^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]{1,255}$/);
    });
});

describe("HTTPS", () => {
    it("serves HTTPS with the configured certificate and redirects HTTP", async () => {
        const certificateArn = "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
        const run = await evaluateStack({ stack: "dev", config: { certificateArn } });
        expect(run.named("shop-dev-http").inputs.defaultActions).toEqual([{ type: "redirect", redirect: { port: "443", protocol: "HTTPS", statusCode: "HTTP_301" } }]);
        expect(run.named("shop-dev-https").inputs).toMatchObject({ port: 443, protocol: "HTTPS", certificateArn, sslPolicy: tlsPolicy });
        expect(tlsPolicy).toMatch(/^ELBSecurityPolicy-TLS13-1-2-/);
        expect(run.named("shop-dev-web").dependsOn).toEqual(expect.arrayContaining(["shop-dev-exec-policy", "shop-dev-http", "shop-dev-https", "shop-dev-alb-in-443"]));
        const open = run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.inputs.cidrIpv4 === "0.0.0.0/0").map((r) => r.inputs.fromPort);
        expect(open).toEqual([80, 443]);
        expect(run.outputs.url).toMatch(/^https:\/\//);
    });
});

describe("a config change", () => {
    it("registers a new task definition for the new release and keeps the old revision", async () => {
        const first = await evaluateStack({ stack: "dev" });
        const second = await evaluateStack({ stack: "dev", ssm: ssmAfter(first), config: { env: { LOG_LEVEL: "warn", WORKER_POLL_MS: "2000" } } });
        expect(second.ofType("aws:ecs/taskDefinition:TaskDefinition").map((t) => t.name)).toEqual(["shop-dev-migrate-v2", "shop-dev-web-v2", "shop-dev-worker-v2"]);
        // v1's revisions leave the stack; skipDestroy keeps them registered in ECS.
        expect(first.ofType("aws:ecs/taskDefinition:TaskDefinition").every((t) => t.inputs.skipDestroy === true)).toBe(true);
        const [, web] = containersOf(second, "shop-dev-web-v2");
        expect(web.secrets.every((s) => s.valueFrom.includes("/releases/v2/"))).toBe(true);
        expect(second.named("shop-dev-web").inputs.taskDefinition).not.toBe(first.named("shop-dev-web").inputs.taskDefinition);
    });
});
