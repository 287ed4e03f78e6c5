import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ProcessConfig } from "../config";
import { scratchVolume, taskContainers } from "./container-definitions";
import { ecsTasksTrustPolicy, executionRolePolicy } from "./iam-policies";
import { stableStringify, type RunningPointer } from "./ledger";
import { childSuffixes } from "./naming";
import type { ContainerSecret } from "./release";

export interface RunArgs {
    /** `<app>-<stack>`: task definition families and the log group derive from it. */
    prefix: string;
    region: string;
    accountId: pulumi.Input<string>;
    /** SSM path of this stack, `/<app>/<stack>`. */
    parameterPath: string;
    /** `arn:<partition>:ssm:<region>:<account>:parameter`. */
    parameterArnPrefix: pulumi.Input<string>;
    /** The release the services run. */
    releaseId: string;
    image: pulumi.Input<string>;
    secrets: pulumi.Input<ContainerSecret[]>;
    /** Written to `/<app>/<stack>/running` once every service is steady (with the image and platform). */
    pointer: { running: string; previous?: string };
    /** The image's platform, recorded in the pointer for stacks that promote this one's image. */
    platform: string;
    /** Security-group rules the tasks rely on that other components own (network, database). */
    securityGroupRules: pulumi.Resource[];
    processes: Record<string, ProcessConfig>;
    cpuArchitecture: "X86_64" | "ARM64";
    /** Repositories the tasks pull from: this stack's build and the running image's. */
    repositoryArns: pulumi.Input<string>[];
    vpcId: pulumi.Input<string>;
    publicSubnetIds: pulumi.Input<string[]>;
    privateSubnetIds: pulumi.Input<string[]>;
    albSecurityGroupId: pulumi.Input<string>;
    tasksSecurityGroupId: pulumi.Input<string>;
    logRetentionDays: number;
    /** With a certificate the load balancer serves HTTPS and redirects HTTP to it. */
    certificateArn?: string;
    tags: Record<string, string>;
}

/**
 * The run stage: one Fargate task definition per process type for the running release, one
 * service per long-running process, the web process behind an Application Load Balancer.
 */
export class Run extends pulumi.ComponentResource {
    /** Public URL of the web process. */
    public readonly url: pulumi.Output<string>;
    /** ECS cluster name. */
    public readonly clusterName: pulumi.Output<string>;
    /** Task definition ARN per process type, for the running release. */
    public readonly taskDefinitionArns: Record<string, pulumi.Output<string>>;
    /** Name of the CloudWatch log group. */
    public readonly logGroupName: pulumi.Output<string>;
    /** What runs, as written once every service is steady: a failed deploy never resolves it. */
    public readonly running: pulumi.Output<RunningPointer>;

    constructor(name: string, args: RunArgs, opts?: pulumi.ComponentResourceOptions) {
        super("twelve-factor:run:Run", name, {}, opts);
        const parent = this;
        const tags = { ...args.tags, release: args.releaseId };

        const cluster = new aws.ecs.Cluster(`${name}${childSuffixes.cluster}`, { tags: args.tags }, { parent });
        const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, {
            name: `/ecs/${args.prefix}`,
            retentionInDays: args.logRetentionDays,
            tags: args.tags,
        }, { parent });
        const roles = createRoles();
        const taskDefinitions = createTaskDefinitions();
        const web = createLoadBalancer();
        const services = createServices();
        const pointer = recordRunningRelease();

        this.url = web.url;
        this.clusterName = cluster.name;
        this.logGroupName = logGroup.name;
        this.running = pointer.insecureValue.apply((value) => JSON.parse(value ?? "{}") as RunningPointer);
        this.taskDefinitionArns = Object.fromEntries(Object.entries(taskDefinitions).map(([p, td]) => [p, td.arn]));
        this.registerOutputs({ url: this.url, clusterName: this.clusterName, logGroupName: this.logGroupName });

        function createRoles() {
            const assumeRolePolicy = pulumi.output(args.accountId).apply((id) => JSON.stringify(ecsTasksTrustPolicy(id)));
            const execution = new aws.iam.Role(`${name}${childSuffixes.executionRole}`, {
                assumeRolePolicy,
                description: `ECS starts ${args.prefix} tasks with this role`,
                tags: args.tags,
            }, { parent });
            const executionPolicy = new aws.iam.RolePolicy(`${name}${childSuffixes.executionRole}-policy`, {
                role: execution.id,
                policy: pulumi.all([pulumi.all(args.repositoryArns), logGroup.arn, args.parameterArnPrefix]).apply(([repositoryArns, logGroupArn, parameterArnPrefix]) =>
                    JSON.stringify(executionRolePolicy({ repositoryArns, logGroupArn, releaseParametersArn: `${parameterArnPrefix}${args.parameterPath}/releases/*` }))),
            }, { parent });
            // The app's own AWS permissions: none until the app needs some.
            const task = new aws.iam.Role(`${name}${childSuffixes.taskRole}`, {
                assumeRolePolicy,
                description: `${args.prefix} app code runs with this role`,
                tags: args.tags,
            }, { parent });
            return { execution, task, executionPolicy };
        }

        function createTaskDefinitions(): Record<string, aws.ecs.TaskDefinition> {
            const releasePhase = Object.entries(args.processes).find(([, p]) => p.phase === "release");
            const entries = Object.entries(args.processes).sort(([a], [b]) => (a < b ? -1 : 1)).map(([processName, spec]) => {
                const containerDefinitions = pulumi.all([args.image, args.secrets, logGroup.name]).apply(([image, secrets, logGroupName]) =>
                    stableStringify(taskContainers(processName, spec, { image, secrets, logGroupName, region: args.region },
                        releasePhase && { name: releasePhase[0], spec: releasePhase[1] })));
                const td = new aws.ecs.TaskDefinition(`${name}-${processName}-${args.releaseId}`, {
                    family: `${args.prefix}-${processName}`,
                    cpu: String(spec.cpu),
                    memory: String(spec.memory),
                    networkMode: "awsvpc",
                    requiresCompatibilities: ["FARGATE"],
                    runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: args.cpuArchitecture },
                    executionRoleArn: roles.execution.arn,
                    taskRoleArn: roles.task.arn,
                    volumes: [{ name: scratchVolume.name }],
                    containerDefinitions,
                    // Earlier revisions stay registered: a rollback target (and ECS's own
                    // circuit-breaker rollback) always has a task definition to return to.
                    skipDestroy: true,
                    tags: { ...tags, process: processName },
                }, { parent });
                return [processName, td] as const;
            });
            return Object.fromEntries(entries);
        }

        function createLoadBalancer() {
            const webSpec = args.processes.web;
            const webPort = webSpec.port as number;
            const https = args.certificateArn !== undefined;
            const listenerPorts = https ? [80, 443] : [80];
            const rules: pulumi.Resource[] = [];
            for (const port of listenerPorts) {
                rules.push(new aws.vpc.SecurityGroupIngressRule(`${name}-alb-in-${port}`, {
                    securityGroupId: args.albSecurityGroupId,
                    ipProtocol: "tcp",
                    fromPort: port,
                    toPort: port,
                    cidrIpv4: "0.0.0.0/0",
                    description: `HTTP${port === 443 ? "S" : ""} from the internet`,
                }, { parent }));
            }
            rules.push(new aws.vpc.SecurityGroupEgressRule(`${name}-alb-to-web`, {
                securityGroupId: args.albSecurityGroupId,
                referencedSecurityGroupId: args.tasksSecurityGroupId,
                ipProtocol: "tcp",
                fromPort: webPort,
                toPort: webPort,
                description: "Web tasks only",
            }, { parent }));
            rules.push(new aws.vpc.SecurityGroupIngressRule(`${name}-web-from-alb`, {
                securityGroupId: args.tasksSecurityGroupId,
                referencedSecurityGroupId: args.albSecurityGroupId,
                ipProtocol: "tcp",
                fromPort: webPort,
                toPort: webPort,
                description: "From the load balancer only",
            }, { parent }));

            const alb = new aws.lb.LoadBalancer(`${name}${childSuffixes.loadBalancer}`, {
                loadBalancerType: "application",
                internal: false,
                securityGroups: [args.albSecurityGroupId],
                subnets: args.publicSubnetIds,
                dropInvalidHeaderFields: true,
                tags: args.tags,
            }, { parent });
            const targetGroup = new aws.lb.TargetGroup(`${name}${childSuffixes.targetGroup}`, {
                vpcId: args.vpcId,
                targetType: "ip",
                protocol: "HTTP",
                port: webPort,
                // Tasks drain quickly (the app finishes in-flight requests on SIGTERM).
                deregistrationDelay: 30,
                healthCheck: {
                    path: webSpec.healthCheckPath,
                    matcher: "200",
                    interval: 15,
                    timeout: 5,
                    healthyThreshold: 2,
                    unhealthyThreshold: 3,
                },
                tags: args.tags,
            }, { parent });
            const forward = [{ type: "forward", targetGroupArn: targetGroup.arn }];
            const listeners = [new aws.lb.Listener(`${name}-http`, {
                loadBalancerArn: alb.arn,
                port: 80,
                protocol: "HTTP",
                defaultActions: https
                    ? [{ type: "redirect", redirect: { port: "443", protocol: "HTTPS", statusCode: "HTTP_301" } }]
                    : forward,
                tags: args.tags,
            }, { parent })];
            if (https) {
                listeners.push(new aws.lb.Listener(`${name}-https`, {
                    loadBalancerArn: alb.arn,
                    port: 443,
                    protocol: "HTTPS",
                    certificateArn: args.certificateArn,
                    sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
                    defaultActions: forward,
                    tags: args.tags,
                }, { parent }));
            }
            return {
                targetGroup,
                listeners,
                rules,
                url: pulumi.interpolate`${https ? "https" : "http"}://${alb.dnsName}`,
            };
        }

        function createServices(): aws.ecs.Service[] {
            return Object.entries(args.processes)
                .filter(([, spec]) => spec.phase === "run")
                .sort(([a], [b]) => (a < b ? -1 : 1))
                .map(([processName, spec]) => new aws.ecs.Service(`${name}-${processName}`, {
                    cluster: cluster.arn,
                    taskDefinition: taskDefinitions[processName].arn,
                    desiredCount: spec.count,
                    launchType: "FARGATE",
                    platformVersion: "LATEST",
                    networkConfiguration: {
                        subnets: args.privateSubnetIds,
                        securityGroups: [args.tasksSecurityGroupId],
                        assignPublicIp: false,
                    },
                    deploymentCircuitBreaker: { enable: true, rollback: true },
                    deploymentMinimumHealthyPercent: 100,
                    deploymentMaximumPercent: 200,
                    waitForSteadyState: true,
                    propagateTags: "TASK_DEFINITION",
                    ...(spec.port === undefined ? {} : {
                        loadBalancers: [{ targetGroupArn: web.targetGroup.arn, containerName: processName, containerPort: spec.port }],
                        healthCheckGracePeriodSeconds: 60,
                    }),
                    tags,
                }, {
                    parent,
                    // Tasks start only once the execution role may pull and read parameters and every
                    // security-group rule they rely on exists (rules are resources of their own); without
                    // the listener ECS rejects the service ("target group does not have an associated load balancer").
                    dependsOn: [roles.executionPolicy, ...web.rules, ...args.securityGroupRules, ...(spec.port === undefined ? [] : web.listeners)],
                }));
        }

        function recordRunningRelease(): aws.ssm.Parameter {
            return new aws.ssm.Parameter(`${name}-running`, {
                name: `${args.parameterPath}/running`,
                type: "String",
                insecureValue: pulumi.output(args.image).apply((image) => stableStringify({ ...args.pointer, image, platform: args.platform })),
                description: "What runs: release, image and the release before (written once every service is steady)",
                // After lost state the pointer still exists in AWS: take it back instead of failing.
                overwrite: true,
                tags: args.tags,
            }, { parent, dependsOn: services });
        }
    }
}
