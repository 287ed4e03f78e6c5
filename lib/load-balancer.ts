/**
 * The load balancer's TLS policy and what its access logs need: the principal that delivers
 * them in each region, and the bucket policy. Pure data, so tests read exactly what AWS gets.
 */

/**
 * TLS 1.3, and TLS 1.2 with forward-secret AEAD ciphers only (ECDHE with AES-GCM): the
 * "restricted" variant of the policy the console recommended before its post-quantum ones,
 * without CBC or SHA-1 suites, which every browser and HTTP client of the last decade
 * negotiates. The hybrid post-quantum policy (ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09)
 * offers the same suites plus ML-KEM key exchange; change this one string to adopt it.
 */
export const tlsPolicy = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06";

/** Where the load balancer writes below the bucket: `<prefix>/AWSLogs/<account>/elasticloadbalancing/…`. */
export const accessLogsPrefix = "alb";

/**
 * Elastic Load Balancing's log-delivery account per region, for regions opened before
 * August 2022 (the ELB user guide's table). Regions opened since deliver as the service
 * principal `logdelivery.elasticloadbalancing.amazonaws.com` instead.
 */
export const elbLogDeliveryAccounts: Readonly<Record<string, string>> = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-south-1": "718504428378",
    "ap-northeast-1": "582318560864",
    "ap-northeast-2": "600734575887",
    "ap-northeast-3": "383597477331",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-southeast-3": "589379963580",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-west-3": "009996457667",
    "eu-south-1": "635631232127",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
    "us-gov-west-1": "048591011584",
    "us-gov-east-1": "190560391635",
    "cn-north-1": "638102146993",
    "cn-northwest-1": "037604701340",
};

export const elbLogDeliveryService = "logdelivery.elasticloadbalancing.amazonaws.com";

/** The IAM principal that writes a region's load balancer access logs. */
export function elbLogDeliveryPrincipal(region: string, partition: string): { AWS: string } | { Service: string } {
    const account = elbLogDeliveryAccounts[region];
    return account === undefined ? { Service: elbLogDeliveryService } : { AWS: `arn:${partition}:iam::${account}:root` };
}

export interface AccessLogsScope {
    bucketArn: string;
    accountId: string;
    region: string;
    partition: string;
}

/** Only Elastic Load Balancing may write, only below this stack's prefix and account; nothing is reached over plain HTTP. */
export function accessLogsBucketPolicy(scope: AccessLogsScope) {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ElbLogDelivery",
                Effect: "Allow",
                Principal: elbLogDeliveryPrincipal(scope.region, scope.partition),
                Action: "s3:PutObject",
                Resource: `${scope.bucketArn}/${accessLogsPrefix}/AWSLogs/${scope.accountId}/*`,
            },
            {
                Sid: "TlsOnly",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:*",
                Resource: [scope.bucketArn, `${scope.bucketArn}/*`],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ],
    };
}
