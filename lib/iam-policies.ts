/** IAM policy documents for the run stage, as plain data so tests can read exactly what AWS gets. */

export interface PolicyStatement {
    Sid: string;
    Effect: "Allow";
    Action: string[];
    Resource: string | string[];
}

export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: PolicyStatement[];
}

/** Only ECS tasks of this account may assume the task roles. */
export function ecsTasksTrustPolicy(accountId: string) {
    return {
        Version: "2012-10-17",
        Statement: [{
            Effect: "Allow",
            Principal: { Service: "ecs-tasks.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:SourceAccount": accountId } },
        }],
    };
}

export interface ExecutionRoleScope {
    /** The ECR repositories images are pulled from (this stack's, and a pinned or promoted image's). */
    repositoryArns: string[];
    /** The stack's log group ARN (without the trailing `:*`). */
    logGroupArn: string;
    /** ARN pattern of the stack's release parameters, `arn:…:parameter/<app>/<stack>/releases/*`. */
    releaseParametersArn: string;
}

/**
 * What ECS needs to start a task: pull this stack's image, write this stack's logs, and read
 * this stack's release parameters. SecureStrings use the AWS-managed key, so no kms:Decrypt.
 */
export function executionRolePolicy(scope: ExecutionRoleScope): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            // GetAuthorizationToken has no resource-level permissions: AWS accepts only "*".
            { Sid: "EcrLogin", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" },
            { Sid: "PullImage", Effect: "Allow", Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], Resource: [...new Set(scope.repositoryArns)].sort() },
            { Sid: "WriteLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [`${scope.logGroupArn}:log-stream:*`] },
            { Sid: "ReadReleaseConfig", Effect: "Allow", Action: ["ssm:GetParameters"], Resource: [scope.releaseParametersArn] },
        ],
    };
}
