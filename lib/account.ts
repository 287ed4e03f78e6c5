import type { Output } from "@pulumi/pulumi";

/**
 * The account and partition the stack deploys into: read once by the program (two data
 * sources) and handed to every component that writes an ARN or a trust or key policy.
 */
export interface AwsAccount {
    id: Output<string>;
    partition: Output<string>;
}
