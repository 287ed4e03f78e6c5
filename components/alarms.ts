import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { alarmsKeyPolicy, alarmsTopicPolicy, connectionsShare, freeStorageShare, postgresMaxConnections } from "../lib/alarms";
import type { Database } from "./database";
import type { Run } from "./run";
import { entriesByKey } from "../lib/hashing";

export interface AlarmsArgs {
    /** The load balancer, target group, cluster and services watched. */
    run: Run;
    /** Its instance is watched when the stack owns it. */
    database: Database;
    /** The owned instance's class and storage: the thresholds follow them. */
    owned?: { instanceClass: string; allocatedStorage: number };
    /** Mail the topic's alarms here (the recipient confirms once). */
    email?: string;
    region: string;
    tags: Record<string, string>;
}

/**
 * The alarms a team expects on day one, to an SNS topic encrypted with a key of the stack's
 * own (CloudWatch may use it; the AWS-managed SNS key would refuse CloudWatch). Missing data
 * never breaches: an idle stack with no requests and no tasks starting pages nobody.
 */
export class Alarms extends pulumi.ComponentResource {
    /** The topic every alarm notifies (subscribe more endpoints to it). */
    public readonly topicArn: pulumi.Output<string>;

    constructor(name: string, args: AlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("twelve-factor:alarms:Alarms", name, {}, opts);
        const parent = this;
        const { run, tags } = args;
        const { id: accountId, partition } = run.account;

        const key = new aws.kms.Key(`${name}-key`, {
            description: `${name}: encrypts the alarm topic (CloudWatch may use it)`,
            enableKeyRotation: true,
            deletionWindowInDays: 7,
            policy: pulumi.all([accountId, partition]).apply(([account, part]) => JSON.stringify(alarmsKeyPolicy(account, part))),
            tags,
        }, { parent });
        const topic = new aws.sns.Topic(`${name}-topic`, { kmsMasterKeyId: key.arn, tags }, { parent });
        new aws.sns.TopicPolicy(`${name}-topic-policy`, {
            arn: topic.arn,
            policy: pulumi.all([topic.arn, accountId, partition]).apply(([arn, account, part]) => JSON.stringify(alarmsTopicPolicy(arn, account, part, args.region))),
        }, { parent });
        if (args.email !== undefined) {
            new aws.sns.TopicSubscription(`${name}-email`, { topic: topic.arn, protocol: "email", endpoint: args.email }, { parent });
        }
        this.topicArn = topic.arn;

        const actions = { alarmActions: [topic.arn], okActions: [topic.arn], treatMissingData: "notBreaching", tags };
        const lb = { LoadBalancer: run.loadBalancer.arnSuffix };
        const targets = { LoadBalancer: run.loadBalancer.arnSuffix, TargetGroup: run.targetGroup.arnSuffix };
        const alarm = (suffix: string, description: string, spec: Omit<aws.cloudwatch.MetricAlarmArgs, "alarmActions" | "okActions" | "treatMissingData" | "tags">) =>
            new aws.cloudwatch.MetricAlarm(`${name}-${suffix}`, { alarmDescription: description, ...spec, ...actions }, { parent });

        alarm("alb-5xx", "The load balancer itself answers 5xx (no healthy target, or a target it cannot reach)", {
            namespace: "AWS/ApplicationELB", metricName: "HTTPCode_ELB_5XX_Count", dimensions: lb,
            statistic: "Sum", period: 300, evaluationPeriods: 1, threshold: 10, comparisonOperator: "GreaterThanOrEqualToThreshold",
        });
        alarm("web-5xx", "The web process answers 5xx", {
            namespace: "AWS/ApplicationELB", metricName: "HTTPCode_Target_5XX_Count", dimensions: targets,
            statistic: "Sum", period: 300, evaluationPeriods: 1, threshold: 10, comparisonOperator: "GreaterThanOrEqualToThreshold",
        });
        alarm("unhealthy-targets", "Web tasks fail the load balancer's health check", {
            namespace: "AWS/ApplicationELB", metricName: "UnHealthyHostCount", dimensions: targets,
            statistic: "Maximum", period: 60, evaluationPeriods: 5, datapointsToAlarm: 3, threshold: 1, comparisonOperator: "GreaterThanOrEqualToThreshold",
        });
        for (const [processName, service] of entriesByKey(run.services)) {
            // Container Insights reports both counts per service each minute; a deployment or a
            // scale-out closes the gap within minutes, a crash loop or lack of capacity does not.
            const dimensions = { ClusterName: run.cluster.name, ServiceName: service.name };
            const count = (id: string, metricName: string) => ({ id, metric: { namespace: "ECS/ContainerInsights", metricName, dimensions, period: 60, stat: "Average" } });
            alarm(`${processName}-below-desired`, `${processName} runs fewer tasks than it should, for ten minutes`, {
                metricQueries: [
                    count("running", "RunningTaskCount"),
                    count("desired", "DesiredTaskCount"),
                    { id: "missing", expression: "desired - running", label: "Tasks missing", returnData: true },
                ],
                evaluationPeriods: 10, datapointsToAlarm: 10, threshold: 0, comparisonOperator: "GreaterThanThreshold",
            });
        }
        const instance = args.database.instance;
        if (instance !== undefined && args.owned !== undefined) {
            const db = { DBInstanceIdentifier: instance.identifier };
            const storageBytes = args.owned.allocatedStorage * 2 ** 30;
            const maxConnections = postgresMaxConnections(args.owned.instanceClass);
            alarm("db-cpu", "The database's CPU is above 80 % for 15 minutes", {
                namespace: "AWS/RDS", metricName: "CPUUtilization", dimensions: db,
                statistic: "Average", period: 300, evaluationPeriods: 3, threshold: 80, comparisonOperator: "GreaterThanThreshold",
            });
            alarm("db-free-storage", `The database has less than ${freeStorageShare * 100} % of its ${args.owned.allocatedStorage} GiB free`, {
                namespace: "AWS/RDS", metricName: "FreeStorageSpace", dimensions: db,
                statistic: "Minimum", period: 300, evaluationPeriods: 1, threshold: Math.round(storageBytes * freeStorageShare), comparisonOperator: "LessThanThreshold",
            });
            alarm("db-connections", `The database uses more than ${connectionsShare * 100} % of its about ${maxConnections} connections (${args.owned.instanceClass})`, {
                namespace: "AWS/RDS", metricName: "DatabaseConnections", dimensions: db,
                statistic: "Maximum", period: 300, evaluationPeriods: 2, threshold: Math.floor(maxConnections * connectionsShare), comparisonOperator: "GreaterThanThreshold",
            });
        }
        this.registerOutputs({ topicArn: this.topicArn });
    }
}
