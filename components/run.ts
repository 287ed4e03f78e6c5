import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsAccount } from "../lib/account";
import { taskContainers, taskVolumes } from "../lib/container-definitions";
import { stableStringify, entriesByKey } from "../lib/hashing";
import { ecsTasksTrustPolicy, execTaskRolePolicy, executionRolePolicy } from "../lib/iam-policies";
import { cpuArchitecture, repositoryArnOf, type Platform } from "../lib/image";
import { childSuffixes } from "../lib/naming";
import { opsRecordName, type OpsRecord, type TaskNetwork } from "../lib/ops-record";
import { hasService, type ProcessSpec } from "../lib/process";
import { pointerName, type RunningPointer } from "../release/ledger";
import type { Release } from "../release/release";
import type { Build } from "./build";
import type { Database } from "./database";
import type { Network } from "./network";
import { createWebEntry, type LoadBalancerSettings } from "./run-web";

/** How the run stage runs, beyond what the release decides. */
export interface RunSettings {
    /** The image's platform: the tasks' CPU architecture, recorded for stacks that promote this image. */
    platform: Platform;
    /** CloudWatch Logs retention. */
    logRetentionDays: number;
    /** With a certificate the load balancer serves HTTPS and redirects HTTP to it. */
    certificateArn?: pulumi.Input<string>;
    /** The app's own name (its certificate is certificateArn): an alias record, and the URL. */
    domain?: { name: string; hostedZoneId: string };
    loadBalancer: LoadBalancerSettings;
    /** ECS Exec into the services' tasks, with session logs in the stack's log group. */
    exec: boolean;
    /** Container Insights on the cluster (the running-below-desired alarms read its metrics). */
    containerInsights: boolean;
    /** The permissions boundary of the stack's roles (twelve-factor:permissionsBoundary); none when unset. */
    permissionsBoundary?: string;
}

/** A role's `permissionsBoundary` input, absent when there is none (a role declared without one stays as it was). */
export function boundaryOf(permissionsBoundary: string | undefined): { permissionsBoundary?: string } {
    return permissionsBoundary === undefined ? {} : { permissionsBoundary };
}

export interface RunArgs {
    /** The stack's region, for the containers' log configuration. */
    region: string;
    /** The account (its roles trust ECS for it) and partition, shared with what builds on Run. */
    account: AwsAccount;
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
    public readonly cluster: aws.ecs.Cluster;
    /** The account and partition the stack deploys into (schedules and alarms write ARNs with them). */
    public readonly account: AwsAccount;
    /** The cluster's Fargate and Fargate Spot capacity providers: whatever runs tasks waits for them. */
    public readonly capacityProviders: aws.ecs.ClusterCapacityProviders;
    /** The running release's task definition of each process. */
    public readonly taskDefinitions: Record<string, aws.ecs.TaskDefinition>;
    /** The service of each process that has one (run phase, not scheduled). */
    public readonly services: Record<string, aws.ecs.Service>;
    public readonly loadBalancer: aws.lb.LoadBalancer;
    public readonly targetGroup: aws.lb.TargetGroup;
    /** The roles every task runs with: ECS starts it with the first, the app runs with the second. */
    public readonly executionRoleArn: pulumi.Output<string>;
    public readonly taskRoleArn: pulumi.Output<string>;

    constructor(name: string, args: RunArgs, opts?: pulumi.ComponentResourceOptions) {
        super("twelve-factor:run:Run", name, {}, opts);
        const parent = this;
        const { network, release, settings } = args;
        const tags = { ...args.tags, release: release.runningId };
        // One network configuration for every task of the stack: services, and one-off tasks (ops run).
        // Private subnets behind NAT, or (natGateways none) public subnets with a public IP.
        const taskNetwork: pulumi.Output<TaskNetwork> = pulumi.output({ subnets: network.taskSubnetIds, securityGroups: [network.tasksSecurityGroupId], assignPublicIp: network.taskPublicIp });

        const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, {
            name: `/ecs/${name}`,
            retentionInDays: settings.logRetentionDays,
            tags: args.tags,
        }, { parent });
        const { cluster, capacityProviders } = createCluster();
        const roles = createRoles();
        const taskDefinitions = createTaskDefinitions();
        const web = createWebEntry({ name, parent, network, web: args.processes.web, certificateArn: settings.certificateArn, domain: settings.domain, loadBalancer: settings.loadBalancer, tags: args.tags });
        const services = createServices();
        const pointer = recordRunningRelease();
        recordOperations();

        this.url = web.url;
        this.clusterName = cluster.name;
        this.logGroupName = logGroup.name;
        this.taskNetwork = taskNetwork;
        this.cluster = cluster;
        this.account = args.account;
        this.taskDefinitions = taskDefinitions;
        this.capacityProviders = capacityProviders;
        this.services = services;
        this.loadBalancer = web.loadBalancer;
        this.targetGroup = web.targetGroup;
        this.executionRoleArn = roles.execution.arn;
        this.taskRoleArn = roles.task.arn;
        this.running = pointer.insecureValue.apply((value) => JSON.parse(value ?? "{}") as RunningPointer);
        this.taskDefinitionArns = Object.fromEntries(Object.entries(taskDefinitions).map(([p, td]) => [p, td.arn]));
        this.registerOutputs({ url: this.url, clusterName: this.clusterName, logGroupName: this.logGroupName });

        function createCluster() {
            const created = new aws.ecs.Cluster(`${name}${childSuffixes.cluster}`, {
                settings: [{ name: "containerInsights", value: settings.containerInsights ? "enabled" : "disabled" }],
                // Exec sessions are logged to the stack's log group.
                configuration: settings.exec ? { executeCommandConfiguration: { logging: "OVERRIDE", logConfiguration: { cloudWatchLogGroupName: logGroup.name } } } : undefined,
                tags: args.tags,
            }, { parent });
            const providers = new aws.ecs.ClusterCapacityProviders(`${name}${childSuffixes.cluster}-capacity`, {
                clusterName: created.name,
                capacityProviders: ["FARGATE", "FARGATE_SPOT"],
            }, { parent });
            return { cluster: created, capacityProviders: providers };
        }

        function createRoles() {
            const assumeRolePolicy = args.account.id.apply((id) => JSON.stringify(ecsTasksTrustPolicy(id)));
            // This stack's repository and the running image's (a promoted or earlier image lives elsewhere).
            const repositoryArns = [...(args.build?.repositoryArn ? [args.build.repositoryArn] : []), release.image.apply(repositoryArnOf)];
            const execution = new aws.iam.Role(`${name}${childSuffixes.executionRole}`, {
                assumeRolePolicy,
                description: `ECS starts ${name} tasks with this role`,
                ...boundaryOf(settings.permissionsBoundary),
                tags: args.tags,
            }, { parent });
            const executionPolicy = new aws.iam.RolePolicy(`${name}${childSuffixes.executionRole}-policy`, {
                role: execution.id,
                policy: pulumi.all([pulumi.all(repositoryArns), logGroup.arn, release.parametersArn]).apply(([repositories, logGroupArn, releaseParametersArn]) =>
                    JSON.stringify(executionRolePolicy({ repositoryArns: repositories, logGroupArn, releaseParametersArn }))),
            }, { parent });
            // The app's own AWS permissions: none until the app needs some (ECS Exec's, when on).
            const task = new aws.iam.Role(`${name}${childSuffixes.taskRole}`, {
                assumeRolePolicy,
                description: `${name} app code runs with this role`,
                ...boundaryOf(settings.permissionsBoundary),
                tags: args.tags,
            }, { parent });
            const taskPolicies = settings.exec ? [new aws.iam.RolePolicy(`${name}${childSuffixes.taskRole}-exec`, {
                role: task.id,
                policy: logGroup.arn.apply((arn) => JSON.stringify(execTaskRolePolicy(arn))),
            }, { parent })] : [];
            return { execution, task, executionPolicy, taskPolicies };
        }

        function createTaskDefinitions(): Record<string, aws.ecs.TaskDefinition> {
            const releasePhase = Object.entries(args.processes).find(([, p]) => p.phase === "release");
            const entries = entriesByKey(args.processes).map(([processName, spec]) => {
                const containerDefinitions = pulumi.all([release.image, release.secrets, logGroup.name]).apply(([image, secrets, logGroupName]) =>
                    stableStringify(taskContainers(processName, spec, { image, secrets, logGroupName, region: args.region, releaseId: release.runningId, exec: settings.exec },
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
                    volumes: taskVolumes(settings.exec),
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

        function createServices(): Record<string, aws.ecs.Service> {
            return Object.fromEntries(entriesByKey(args.processes)
                .filter(([, spec]) => hasService(spec))
                .map(([processName, spec]) => [processName, new aws.ecs.Service(`${name}-${processName}`, {
                    cluster: cluster.arn,
                    taskDefinition: taskDefinitions[processName].arn,
                    // With scaling, the starting size: Application Auto Scaling owns it afterwards.
                    desiredCount: spec.count,
                    // A strategy, not a launch type, so a process moves between Fargate and Fargate Spot
                    // in place; the provider applies a strategy change only with a forced new deployment.
                    capacityProviderStrategies: [{ capacityProvider: spec.capacity === "spot" ? "FARGATE_SPOT" : "FARGATE", weight: 1 }],
                    forceNewDeployment: true,
                    platformVersion: "LATEST",
                    enableExecuteCommand: settings.exec,
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
                    dependsOn: [roles.executionPolicy, ...roles.taskPolicies, capacityProviders, ...web.rules, ...network.rules, ...args.database.rules, ...(spec.port === undefined ? [] : web.listeners)],
                    // The next `pulumi up` must not reset what Application Auto Scaling decided.
                    ignoreChanges: spec.scaling === undefined ? undefined : ["desiredCount"],
                })]));
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
            }, { parent, dependsOn: Object.values(services) });
        }

        /** What the operator commands need (`/<app>/<stack>/ops`), written like the pointer: once every service is steady. */
        function recordOperations(): aws.ssm.Parameter {
            const serviceOf = (p: string) => services[p]?.name;
            const processes = pulumi.all(Object.entries(taskDefinitions).map(([p, td]) => pulumi.all([td.arn, serviceOf(p)]).apply(([arn, service]) =>
                [p, { family: `${name}-${p}`, ...(service === undefined ? {} : { service }), taskDefinitionArn: arn, container: p }] as const)));
            const execEnabled = pulumi.all(Object.values(services).map((s) => s.enableExecuteCommand)).apply((all) => all.every((on) => on === true));
            const record = pulumi.all([cluster.name, logGroup.name, processes, taskNetwork, execEnabled]).apply(([clusterName, logGroupName, entries, net, exec]): OpsRecord =>
                ({ region: args.region, cluster: clusterName, logGroup: logGroupName, release: release.runningId, processes: Object.fromEntries(entries), network: net, execEnabled: exec }));
            return new aws.ssm.Parameter(`${name}-ops`, {
                name: opsRecordName(args.parameterPath),
                type: "String",
                insecureValue: record.apply(stableStringify),
                description: "What the operator commands need: cluster, services, task definitions, task network, log group (npm run ops)",
                overwrite: true,
                tags: args.tags,
            }, { parent, dependsOn: Object.values(services) });
        }
    }
}
