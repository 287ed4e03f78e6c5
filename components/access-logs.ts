import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsAccount } from "../lib/account";
import { accessLogsBucketPolicy, accessLogsPrefix } from "../lib/load-balancer";

export interface AccessLogsArgs {
    /** The account (whose log objects the bucket takes) and its partition. */
    account: AwsAccount;
    /** Days S3 keeps each log object. */
    retentionDays: number;
    /** The load balancer's region: ELB delivers only to a bucket in its own region, as that region's principal. */
    region: string;
    /**
     * The load balancer's deletion protection. While on, the bucket is protected too; once off,
     * a destroy empties and deletes it (forceDestroy): the logs go with the load balancer they describe.
     */
    protect: boolean;
    tags: Record<string, string>;
}

/**
 * The load balancer's access logs: a bucket the stack owns, in its region, with public access
 * blocked, ACLs off, SSE-S3 (the only encryption ELB log delivery supports), a policy that lets
 * only that region's ELB log delivery write (below the prefix and this account) and refuses
 * plain HTTP, and objects expiring after `retentionDays`.
 */
export class AccessLogs extends pulumi.ComponentResource {
    public readonly bucket: pulumi.Output<string>;
    public readonly prefix = accessLogsPrefix;
    /** What the load balancer must wait for: ELB checks that it may write when logging is turned on. */
    public readonly ready: pulumi.Resource[];

    constructor(name: string, args: AccessLogsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("twelve-factor:access-logs:AccessLogs", name, {}, opts);
        const parent = this;
        const { tags } = args;
        const { id: accountId, partition } = args.account;

        const bucket = new aws.s3.Bucket(`${name}-bucket`, { forceDestroy: !args.protect, tags }, { parent, protect: args.protect });
        const publicAccess = new aws.s3.BucketPublicAccessBlock(`${name}-public-access`, {
            bucket: bucket.id,
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        }, { parent });
        const ownership = new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, { parent });
        const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-encryption`, {
            bucket: bucket.id,
            // ELB log delivery supports SSE-S3 only: a KMS key would make every delivery fail.
            rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
        }, { parent });
        const expiry = new aws.s3.BucketLifecycleConfiguration(`${name}-expiry`, {
            bucket: bucket.id,
            rules: [{
                id: "expire-access-logs",
                status: "Enabled",
                filter: { prefix: `${accessLogsPrefix}/` },
                expiration: { days: args.retentionDays },
                abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
            }],
        }, { parent });
        const policy = new aws.s3.BucketPolicy(`${name}-policy`, {
            bucket: bucket.id,
            policy: pulumi.all([bucket.arn, accountId, partition]).apply(([bucketArn, account, part]) =>
                JSON.stringify(accessLogsBucketPolicy({ bucketArn, accountId: account, region: args.region, partition: part }))),
        }, { parent, dependsOn: [publicAccess] });

        this.bucket = bucket.bucket;
        this.ready = [policy, ownership, encryption, expiry];
        this.registerOutputs({ bucket: this.bucket });
    }
}
