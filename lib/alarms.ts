/**
 * The alarms a team expects on day one, and the key and topic policies that let CloudWatch
 * notify an encrypted SNS topic. Pure data: the component fills in the dimensions from the
 * resources each alarm watches.
 */

/** Who may use the alarms topic's key: the account (administration) and CloudWatch (publishing encrypted messages). */
export function alarmsKeyPolicy(accountId: string, partition: string) {
    return {
        Version: "2012-10-17",
        Statement: [
            // Without it nobody could administer (or delete) the key: KMS trusts only its key policy.
            { Sid: "AccountAdministers", Effect: "Allow", Principal: { AWS: `arn:${partition}:iam::${accountId}:root` }, Action: "kms:*", Resource: "*" },
            // The AWS-managed SNS key (alias/aws/sns) has no such statement, so CloudWatch alarms could not publish to a topic it encrypts.
            {
                Sid: "CloudWatchPublishes",
                Effect: "Allow",
                Principal: { Service: "cloudwatch.amazonaws.com" },
                Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
                Resource: "*",
                Condition: { StringEquals: { "aws:SourceAccount": accountId } },
            },
        ],
    };
}

/** CloudWatch alarms of this account may publish to the topic; the account keeps the owner's rights. */
export function alarmsTopicPolicy(topicArn: string, accountId: string, partition: string, region: string) {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "AccountOwns",
                Effect: "Allow",
                Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
                Action: ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish"],
                Resource: topicArn,
            },
            {
                Sid: "CloudWatchAlarmsPublish",
                Effect: "Allow",
                Principal: { Service: "cloudwatch.amazonaws.com" },
                Action: "SNS:Publish",
                Resource: topicArn,
                Condition: { StringEquals: { "aws:SourceAccount": accountId }, ArnLike: { "aws:SourceArn": `arn:${partition}:cloudwatch:${region}:${accountId}:alarm:*` } },
            },
        ],
    };
}

/** Memory in GiB of the RDS instance classes whose size names say it (db.<family>.<size>). */
const memoryGiBBySize: Record<string, Record<string, number>> = {
    t: { micro: 1, small: 2, medium: 4, large: 8, xlarge: 16, "2xlarge": 32 },
    m: { large: 8, xlarge: 16, "2xlarge": 32, "4xlarge": 64, "8xlarge": 128, "12xlarge": 192, "16xlarge": 256, "24xlarge": 384 },
    r: { large: 16, xlarge: 32, "2xlarge": 64, "4xlarge": 128, "8xlarge": 256, "12xlarge": 384, "16xlarge": 512, "24xlarge": 768 },
};

/**
 * RDS for PostgreSQL's default max_connections, LEAST(DBInstanceClassMemory / 9531392, 5000),
 * for an instance class. DBInstanceClassMemory is the class memory less what RDS and the OS
 * reserve, taken as a quarter here (a 1 GiB db.t4g.micro allows about 80 connections).
 * Unknown classes are taken as 1 GiB, so their alarm fires early rather than never.
 */
export function postgresMaxConnections(instanceClass: string): number {
    const [, family, size] = instanceClass.split(".");
    const gib = memoryGiBBySize[family?.[0] ?? ""]?.[size ?? ""] ?? 1;
    return Math.min(Math.floor((gib * 0.75 * 2 ** 30) / 9531392), 5000);
}

/** Alarm when the database has used this share of its allocated storage's free space: at 10 % left. */
export const freeStorageShare = 0.1;
/** Alarm at this share of max_connections. */
export const connectionsShare = 0.8;
