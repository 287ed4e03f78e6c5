import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { ECSClient } from "@aws-sdk/client-ecs";
import { DeleteParametersCommand, DescribeParametersCommand, GetParameterCommand, GetParametersByPathCommand, SSMClient, type ParameterMetadata } from "@aws-sdk/client-ssm";
import { OpsError } from "./io";
import type { StackRef } from "./stack";

/**
 * The SDK clients, with the SDK's defaults: the default credential chain, the standard
 * environment (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, AWS_MAX_ATTEMPTS…) and its retries
 * of throttling. The stack file's region wins over AWS_REGION: the stack lives there.
 */
export interface Clients {
    ssm: SSMClient;
    ecs: ECSClient;
    logs: CloudWatchLogsClient;
    region: string;
}

export async function makeClients(ref: StackRef, extra: Record<string, unknown> = {}): Promise<Clients> {
    const config = { ...(ref.region === undefined ? {} : { region: ref.region }), ...extra };
    const ssm = new SSMClient(config);
    let region: string;
    try {
        region = await ssm.config.region();
    } catch {
        throw new OpsError(`no AWS region for stack ${ref.stack}`, `set aws:region in ${ref.stackFile}, or AWS_REGION`, 2);
    }
    return { ssm, ecs: new ECSClient(config), logs: new CloudWatchLogsClient(config), region };
}

/** SSM's limits, as AWS enforces them. */
export const ssmLimits = { byPathPage: 10, describePage: 50, deleteBatch: 10, standardQuota: 10_000 } as const;

/** Names and values below a path, never decrypted (a SecureString's value is never read). */
export async function parametersByPath(ssm: SSMClient, path: string, recursive = false): Promise<{ name: string; value: string; modified?: Date }[]> {
    const found: { name: string; value: string; modified?: Date }[] = [];
    let token: string | undefined;
    do {
        const page = await ssm.send(new GetParametersByPathCommand({ Path: path, Recursive: recursive, WithDecryption: false, MaxResults: ssmLimits.byPathPage, NextToken: token }));
        for (const p of page.Parameters ?? []) found.push({ name: p.Name!, value: p.Value ?? "", modified: p.LastModifiedDate });
        token = page.NextToken;
    } while (token);
    return found;
}

/** Metadata (no values at all) of the parameters directly below a path. */
export async function describeBelow(ssm: SSMClient, path: string): Promise<ParameterMetadata[]> {
    return describeAll(ssm, [{ Key: "Path", Option: "OneLevel", Values: [path] }]);
}

export async function describeAll(ssm: SSMClient, filters: { Key: string; Option?: string; Values: string[] }[], onPage?: () => void): Promise<ParameterMetadata[]> {
    const found: ParameterMetadata[] = [];
    let token: string | undefined;
    do {
        const page = await ssm.send(new DescribeParametersCommand({ ParameterFilters: filters, MaxResults: ssmLimits.describePage, NextToken: token }));
        found.push(...(page.Parameters ?? []));
        onPage?.();
        token = page.NextToken;
    } while (token);
    return found;
}

/** One String parameter's value, or undefined when it does not exist. Never decrypted. */
export async function stringParameter(ssm: SSMClient, name: string): Promise<string | undefined> {
    try {
        return (await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: false }))).Parameter?.Value;
    } catch (e) {
        if ((e as Error).name === "ParameterNotFound") return undefined;
        throw e;
    }
}

/** Deletes names in the batches SSM allows (10); returns how many it deleted and which were already gone. */
export async function deleteInBatches(ssm: SSMClient, names: string[], onBatch?: (done: number) => void): Promise<{ deleted: number; missing: string[] }> {
    let deleted = 0;
    const missing: string[] = [];
    for (let i = 0; i < names.length; i += ssmLimits.deleteBatch) {
        const batch = names.slice(i, i + ssmLimits.deleteBatch);
        const result = await ssm.send(new DeleteParametersCommand({ Names: batch }));
        deleted += result.DeletedParameters?.length ?? 0;
        missing.push(...(result.InvalidParameters ?? []));
        onBatch?.(i + batch.length);
    }
    return { deleted, missing };
}

/** What an AWS error means for the operator. */
export function explainAwsError(e: unknown): OpsError | undefined {
    const error = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const name = error?.name ?? "";
    if (name === "CredentialsProviderError" || /Could not load credentials|credential/i.test(error?.message ?? "") && !error.$metadata) {
        return new OpsError("no AWS credentials found", "set AWS_PROFILE (after `aws sso login` or `aws configure`), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; the commands use the SDK's default credential chain", 2);
    }
    if (["UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException", "InvalidClientTokenId"].includes(name)) {
        return new OpsError(`AWS refused the credentials (${name}): ${error.message}`, "refresh them (aws sso login, or new keys) and try again", 2);
    }
    if (name === "AccessDeniedException" || name === "AccessDenied") {
        return new OpsError(`AWS denied the call: ${error.message}`, "use a role allowed to read /<app>/<stack>/* in SSM, and the ECS and CloudWatch Logs calls the command makes (README, Day 2)", 2);
    }
    if (name === "ThrottlingException") return new OpsError(`AWS kept throttling the calls: ${error.message}`, "wait a little and try again, or raise AWS_MAX_ATTEMPTS", 1);
    // Any other answer from AWS: its own words, without a stack trace.
    if (error?.$metadata !== undefined) return new OpsError(`AWS answered ${name}: ${error.message}`, undefined, 1);
    return undefined;
}
