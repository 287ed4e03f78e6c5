import { Region } from "@pulumi/aws/types/enums";

/** AWS facts the config rules check against. Pure data and functions. */

/** Regions the installed AWS provider knows (it refuses others unless aws:skipRegionValidation is true). */
export const knownRegions: readonly string[] = Object.values(Region);

/** The partition a region belongs to (ARNs and ECR hosts differ between partitions). */
export function partitionOf(region: string): string {
    const prefixes: [string, string][] = [
        ["cn-", "aws-cn"],
        ["us-gov-", "aws-us-gov"],
        ["us-isob-", "aws-iso-b"],
        ["us-isof-", "aws-iso-f"],
        ["us-iso-", "aws-iso"],
        ["eu-isoe-", "aws-iso-e"],
        ["eusc-", "aws-eusc"],
    ];
    return prefixes.find(([p]) => region.startsWith(p))?.[1] ?? "aws";
}

/**
 * The config keys of the AWS provider (@pulumi/aws 7: `aws.Provider`'s arguments, which are
 * also the `aws:` stack config keys), plus `assumeRole`, which older stacks still set.
 */
export const awsProviderKeys: readonly string[] = [
    "accessKey", "allowedAccountIds", "assumeRole", "assumeRoleWithWebIdentity", "assumeRoles", "customCaBundle",
    "defaultTags", "ec2MetadataServiceEndpoint", "ec2MetadataServiceEndpointMode", "endpoints", "forbiddenAccountIds",
    "httpProxy", "httpsProxy", "ignoreTags", "insecure", "maxRetries", "noProxy", "profile", "region", "retryMode",
    "s3UsEast1RegionalEndpoint", "s3UsePathStyle", "secretKey", "sharedConfigFiles", "sharedCredentialsFiles",
    "skipCredentialsValidation", "skipMetadataApiCheck", "skipRegionValidation", "skipRequestingAccountId", "stsRegion",
    "tagPolicyCompliance", "token", "tokenBucketRateLimiterCapacity", "useDualstackEndpoint", "useFipsEndpoint", "userAgents",
];

/** The Docker provider's config keys (@pulumi/docker 4): the build stage uses that provider. */
export const dockerProviderKeys: readonly string[] = [
    "caMaterial", "certMaterial", "certPath", "context", "disableDockerDaemonCheck", "host", "keyMaterial", "registryAuth", "sshOpts",
];

/**
 * Tags the program adds itself, and the most it adds to any one resource: app, stack and
 * managed-by on every resource (index.ts); release on SSM parameters, task definitions and
 * services, process on task definitions (components/release.ts, run.ts); Name on the VPC and
 * subnets, tier on subnets (components/network.ts). Task definitions and subnets carry five.
 */
export const programTagKeys = ["app", "stack", "managed-by", "release", "process", "Name", "tier"] as const;
export const maxProgramTagsPerResource = 5;
/** AWS allows 50 user tags per resource (tags starting with aws: do not count). */
export const maxTagsPerResource = 50;

/** SSM: a parameter name, counted with the ARN before it, is at most 1011 characters. */
export const maxParameterNameWithArn = 1011;
/** The longest ARN prefix of a parameter name in a region: `arn:<partition>:ssm:<region>:<account>:parameter`. */
export function parameterArnPrefixLength(region: string): number {
    return `arn:${partitionOf(region)}:ssm:${region}:123456789012:parameter`.length;
}
/** The longest release id the SSM names must have room for (see the release.pin pattern). */
export const longestReleaseId = "v999999999";

/** ECS: a task definition (all of its JSON) is at most 64 KiB. */
export const maxTaskDefinitionBytes = 65536;

/**
 * Environment variables ECS and Fargate set in every task: a config key of the same name would
 * shadow the task role's credentials, the metadata endpoint or the region the SDKs use.
 * The AWS credential variables are refused too: static keys in config would override the task
 * role this stack manages. Other AWS_* names (SDK tuning such as AWS_NODEJS_CONNECTION_REUSE_ENABLED)
 * stay allowed.
 */
export const ecsReservedEnvNames: readonly string[] = [
    "AWS_EXECUTION_ENV", "AWS_REGION", "AWS_DEFAULT_REGION",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "ECS_CONTAINER_METADATA_URI", "ECS_CONTAINER_METADATA_URI_V4", "ECS_AGENT_URI",
];
