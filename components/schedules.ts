import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { schedulerPolicy, schedulerTrustPolicy } from "../lib/iam-policies";
import type { ProcessSpec } from "../lib/process";
import { boundaryOf, type Run } from "./run";
import { entriesByKey } from "../lib/hashing";

export interface SchedulesArgs {
    /** The cluster, roles, task network and the running release's task definitions. */
    run: Run;
    /** Today's processes: those with `schedule` run as scheduled tasks (they have no service). */
    processes: Record<string, ProcessSpec>;
    region: string;
    /** ECS Exec into the scheduled tasks too. */
    exec: boolean;
    /** The permissions boundary of the stack's roles (twelve-factor:permissionsBoundary); none when unset. */
    permissionsBoundary?: string;
    tags: Record<string, string>;
}

/**
 * EventBridge Scheduler schedules, one per scheduled process, each starting one Fargate task of
 * that process's task definition **of the running release** (a rollback moves it too) with the
 * stack's task network and security group. The schedules move only once every service is
 * steady: a failed deploy leaves them on the release that still runs. Their role may run only
 * those task definition families, in this cluster, and pass only this stack's two roles.
 */
export class Schedules extends pulumi.ComponentResource {
    constructor(name: string, args: SchedulesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("twelve-factor:schedules:Schedules", name, {}, opts);
        const parent = this;
        const { run } = args;
        const scheduled = entriesByKey(args.processes).filter(([, p]) => p.schedule !== undefined);
        const { id: accountId, partition } = run.account;

        const role = new aws.iam.Role(`${name}-role`, {
            assumeRolePolicy: accountId.apply((id) => JSON.stringify(schedulerTrustPolicy(id))),
            description: `EventBridge Scheduler starts ${name} tasks with this role`,
            ...boundaryOf(args.permissionsBoundary),
            tags: args.tags,
        }, { parent });
        const families = pulumi.all(scheduled.map(([p]) => run.taskDefinitions[p].family));
        const policy = new aws.iam.RolePolicy(`${name}-role-policy`, {
            role: role.id,
            policy: pulumi.all([accountId, partition, run.cluster.arn, run.cluster.name, families, run.executionRoleArn, run.taskRoleArn]).apply(([account, part, clusterArn, clusterName, familyNames, executionRoleArn, taskRoleArn]) =>
                JSON.stringify(schedulerPolicy({
                    // Every revision of the family (`:*`): the schedule follows the running release's revision.
                    taskDefinitionFamilyArns: familyNames.map((family) => `arn:${part}:ecs:${args.region}:${account}:task-definition/${family}:*`),
                    clusterArn,
                    clusterTasksArn: `arn:${part}:ecs:${args.region}:${account}:task/${clusterName}/*`,
                    passRoleArns: [executionRoleArn, taskRoleArn],
                }))),
        }, { parent });

        for (const [processName, spec] of scheduled) {
            new aws.scheduler.Schedule(`${name}-${processName}`, {
                description: `Runs ${processName} of the running release: ${spec.schedule} (UTC)`,
                scheduleExpression: spec.schedule!,
                scheduleExpressionTimezone: "UTC",
                flexibleTimeWindow: { mode: "OFF" },
                target: {
                    arn: run.cluster.arn,
                    roleArn: role.arn,
                    ecsParameters: {
                        taskDefinitionArn: run.taskDefinitions[processName].arn,
                        capacityProviderStrategies: [{ capacityProvider: spec.capacity === "spot" ? "FARGATE_SPOT" : "FARGATE", weight: 1 }],
                        platformVersion: "LATEST",
                        networkConfiguration: run.taskNetwork,
                        taskCount: 1,
                        propagateTags: "TASK_DEFINITION",
                        enableEcsManagedTags: true,
                        enableExecuteCommand: args.exec,
                    },
                    // A job that failed to start is not started twice: the next firing runs it again.
                    retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 3600 },
                },
            }, { parent, dependsOn: [policy, run.capacityProviders, ...Object.values(run.services)] });
        }
        this.registerOutputs({});
    }
}
