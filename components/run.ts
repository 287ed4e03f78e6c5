import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { scratchVolume, taskContainers } from "../lib/container-definitions";
import { stableStringify } from "../lib/hashing";
import { ecsTasksTrustPolicy, executionRolePolicy } from "../lib/iam-policies";
import { cpuArchitecture, repositoryArnOf, type Platform } from "../lib/image";
import { childSuffixes } from "../lib/naming";
import { opsRecordName, type OpsRecord, type TaskNetwork } from "../lib/ops-record";
import type { ProcessSpec } from "../lib/process";
import { pointerName, type RunningPointer } from "../release/ledger";
import type { Release } from "../release/release";
import type { Build } from "./build";
import type { Database } from "./database";
import type { Network } from "./network";

/** How the run stage runs, beyond what the release decides. */
export interface RunSettings {
    /** The image's platform: the tasks' CPU architecture, recorded for stacks that promote this image. */
    platform: Platform;
    /** CloudWatch Logs retention. */
    logRetentionDays: number;
    /** With a certificate the load balancer serves HTTPS and redirects HTTP to it. */
    certificateArn?: string;
}

export interface RunArgs {
    /** The stack's region, for the containers' log configuration. */
    region: string;
    /** SSM path of this stack, `/<app>/<stack>`: the running pointer is written below it. */
    parameterPath: string;
    network: Network;
    /** Its security-group rules: the services wait for them. */
    database: Database;
    /** The release the services run: its id, image and parameters. */
    release: Release;
    /** This stack's build, when it builds: the tasks may pull from its repository too. */
    build?: Build;
    /** The running release's processes, sized by today's formation. */
    processes: Record<string, ProcessSpec>;
    settings: RunSettings;
    tags: Record<string, string>;
}

/**
 * The run stage: one Fargate task definition per process type for the running release, one
 * service per long-running process, the web process behind an Application Load Balancer.
 * `name` is `<app>-<stack>`: task definition families and the log group derive from it.
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
    /** Subnets, security groups and public IP of every task (services and one-off tasks). */
    public readonly taskNetwork: pulumi.Output<TaskNetwork>;

    constructor(name: string, args: RunArgs, opts?: pulumi.ComponentResourceOptions) {
        super("twelve-factor:run:Run", name, {}, opts);
        const parent = this;
        const { network, release, settings } = args;
        const tags = { ...args.tags, release: release.runningId };
        // One network configuration for every task of the stack: services, and one-off tasks (ops run).
        const taskNetwork: pulumi.Output<TaskNetwork> = pulumi.output({ subnets: network.privateSubnetIds, securityGroups: [network.tasksSecurityGroupId], assignPublicIp: false });

        const cluster = new aws.ecs.Cluster(`${name}${childSuffixes.cluster}`, { tags: args.tags }, { parent });
        const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, {
            name: `/ecs/${name}`,
            retentionInDays: settings.logRetentionDays,
            tags: args.tags,
        }, { parent });
        const roles = createRoles();
        const taskDefinitions = createTaskDefinitions();
        const web = createLoadBalancer();
        const services = createServices();
        const pointer = recordRunningRelease();
        recordOperations();

        this.url = web.url;
        this.clusterName = cluster.name;
        this.logGroupName = logGroup.name;
        this.taskNetwork = taskNetwork;
        this.running = pointer.insecureValue.apply((value) => JSON.parse(value ?? "{}") as RunningPointer);
        this.taskDefinitionArns = Object.fromEntries(Object.entries(taskDefinitions).map(([p, td]) => [p, td.arn]));
        this.registerOutputs({ url: this.url, clusterName: this.clusterName, logGroupName: this.logGroupName });

        function createRoles() {
            const accountId = aws.getCallerIdentityOutput({}, { parent }).accountId;
            const assumeRolePolicy = accountId.apply((id) => JSON.stringify(ecsTasksTrustPolicy(id)));
            // This stack's repository and the running image's (a promoted or earlier image lives elsewhere).
            const repositoryArns = [...(args.build?.repositoryArn ? [args.build.repositoryArn] : []), release.image.apply(repositoryArnOf)];
            const execution = new aws.iam.Role(`${name}${childSuffixes.executionRole}`, {
                assumeRolePolicy,
                description: `ECS starts ${name} tasks with this role`,
                tags: args.tags,
            }, { parent });
            const executionPolicy = new aws.iam.RolePolicy(`${name}${childSuffixes.executionRole}-policy`, {
                role: execution.id,
                policy: pulumi.all([pulumi.all(repositoryArns), logGroup.arn, release.parametersArn]).apply(([repositories, logGroupArn, releaseParametersArn]) =>
                    JSON.stringify(executionRolePolicy({ repositoryArns: repositories, logGroupArn, releaseParametersArn }))),
            }, { parent });
            // The app's own AWS permissions: none until the app needs some.
            const task = new aws.iam.Role(`${name}${childSuffixes.taskRole}`, {
                assumeRolePolicy,
                description: `${name} app code runs with this role`,
                tags: args.tags,
            }, { parent });
            return { execution, task, executionPolicy };
        }

        function createTaskDefinitions(): Record<string, aws.ecs.TaskDefinition> {
            const releasePhase = Object.entries(args.processes).find(([, p]) => p.phase === "release");
            const entries = Object.entries(args.processes).sort(([a], [b]) => (a < b ? -1 : 1)).map(([processName, spec]) => {
                const containerDefinitions = pulumi.all([release.image, release.secrets, logGroup.name]).apply(([image, secrets, logGroupName]) =>
                    stableStringify(taskContainers(processName, spec, { image, secrets, logGroupName, region: args.region, releaseId: release.runningId },
                        releasePhase && { name: releasePhase[0], spec: releasePhase[1] })));
                const td = new aws.ecs.TaskDefinition(`${name}-${processName}-${release.runningId}`, {
                    family: `${name}-${processName}`,
                    cpu: String(spec.cpu),
                    memory: String(spec.memory),
                    networkMode: "awsvpc",
                    requiresCompatibilities: ["FARGATE"],
                    runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: cpuArchitecture(settings.platform) },
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
            const https = settings.certificateArn !== undefined;
            const listenerPorts = https ? [80, 443] : [80];
            const rules: pulumi.Resource[] = [];
            for (const port of listenerPorts) {
                rules.push(new aws.vpc.SecurityGroupIngressRule(`${name}-alb-in-${port}`, {
                    securityGroupId: network.albSecurityGroupId,
                    ipProtocol: "tcp",
                    fromPort: port,
                    toPort: port,
                    cidrIpv4: "0.0.0.0/0",
                    description: `HTTP${port === 443 ? "S" : ""} from the internet`,
                }, { parent }));
            }
            rules.push(new aws.vpc.SecurityGroupEgressRule(`${name}-alb-to-web`, {
                securityGroupId: network.albSecurityGroupId,
                referencedSecurityGroupId: network.tasksSecurityGroupId,
                ipProtocol: "tcp",
                fromPort: webPort,
                toPort: webPort,
                description: "Web tasks only",
            }, { parent }));
            rules.push(new aws.vpc.SecurityGroupIngressRule(`${name}-web-from-alb`, {
                securityGroupId: network.tasksSecurityGroupId,
                referencedSecurityGroupId: network.albSecurityGroupId,
                ipProtocol: "tcp",
                fromPort: webPort,
                toPort: webPort,
                description: "From the load balancer only",
            }, { parent }));

            const alb = new aws.lb.LoadBalancer(`${name}${childSuffixes.loadBalancer}`, {
                loadBalancerType: "application",
                internal: false,
                securityGroups: [network.albSecurityGroupId],
                subnets: network.publicSubnetIds,
                dropInvalidHeaderFields: true,
                tags: args.tags,
            }, { parent });
            const targetGroup = new aws.lb.TargetGroup(`${name}${childSuffixes.targetGroup}`, {
                vpcId: network.vpcId,
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
                    certificateArn: settings.certificateArn,
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
                    networkConfiguration: taskNetwork,
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
                    dependsOn: [roles.executionPolicy, ...web.rules, ...network.rules, ...args.database.rules, ...(spec.port === undefined ? [] : web.listeners)],
                }));
        }

        function recordRunningRelease(): aws.ssm.Parameter {
            return new aws.ssm.Parameter(`${name}-running`, {
                name: pointerName(args.parameterPath),
                type: "String",
                insecureValue: release.image.apply((image) => stableStringify({ running: release.runningId, previous: release.previousId, image, platform: settings.platform })),
                description: "What runs: release, image and the release before (written once every service is steady)",
                // After lost state the pointer still exists in AWS: take it back instead of failing.
                overwrite: true,
                tags: args.tags,
            }, { parent, dependsOn: services });
        }

        /** What the operator commands need (`/<app>/<stack>/ops`), written like the pointer: once every service is steady. */
        function recordOperations(): aws.ssm.Parameter {
            // createServices makes one service per run-phase process, in name order.
            const serviceOf = (p: string) => services[Object.keys(args.processes).filter((q) => args.processes[q].phase === "run").sort().indexOf(p)]?.name;
            const processes = pulumi.all(Object.entries(taskDefinitions).map(([p, td]) => pulumi.all([td.arn, serviceOf(p)]).apply(([arn, service]) =>
                [p, { family: `${name}-${p}`, ...(service === undefined ? {} : { service }), taskDefinitionArn: arn, container: p }] as const)));
            const execEnabled = pulumi.all(services.map((s) => s.enableExecuteCommand)).apply((all) => all.every((on) => on === true));
            const record = pulumi.all([cluster.name, logGroup.name, processes, taskNetwork, execEnabled]).apply(([clusterName, logGroupName, entries, net, exec]): OpsRecord =>
                ({ region: args.region, cluster: clusterName, logGroup: logGroupName, release: release.runningId, processes: Object.fromEntries(entries), network: net, execEnabled: exec }));
            return new aws.ssm.Parameter(`${name}-ops`, {
                name: opsRecordName(args.parameterPath),
                type: "String",
                insecureValue: record.apply(stableStringify),
                description: "What the operator commands need: cluster, services, task definitions, task network, log group (npm run ops)",
                overwrite: true,
                tags: args.tags,
            }, { parent, dependsOn: services });
        }
    }
}
