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

/** Only the given AWS service, acting for this account, may assume the role. */
function serviceTrustPolicy(service: string, accountId: string) {
    return {
        Version: "2012-10-17",
        Statement: [{
            Effect: "Allow",
            Principal: { Service: service },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:SourceAccount": accountId } },
        }],
    };
}

/** Only ECS tasks of this account may assume the task roles. */
export function ecsTasksTrustPolicy(accountId: string) {
    return serviceTrustPolicy("ecs-tasks.amazonaws.com", accountId);
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

/**
 * What the task role needs for ECS Exec: the SSM agent in the container opens its control and
 * data channels (the ssmmessages actions have no resource-level permissions: AWS documents and
 * accepts only "*"), and writes the session log to the stack's log group (the cluster's
 * executeCommandConfiguration sends it there). DescribeLogGroups, which the agent calls to
 * find the group, has no resource-level permissions either.
 */
export function execTaskRolePolicy(logGroupArn: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "ExecChannels", Effect: "Allow", Action: ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"], Resource: "*" },
            { Sid: "ExecFindLogGroup", Effect: "Allow", Action: ["logs:DescribeLogGroups"], Resource: "*" },
            { Sid: "ExecSessionLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"], Resource: [`${logGroupArn}:*`] },
        ],
    };
}

/** Only EventBridge Scheduler, acting for this account, may assume the schedules' role. */
export function schedulerTrustPolicy(accountId: string) {
    return serviceTrustPolicy("scheduler.amazonaws.com", accountId);
}

export interface SchedulerScope {
    /** `arn:…:task-definition/<family>:*` of each scheduled process. */
    taskDefinitionFamilyArns: string[];
    /** The stack's cluster: the tasks may start there only. */
    clusterArn: string;
    /** `arn:…:task/<cluster name>/*`: the tasks it starts, which it tags. */
    clusterTasksArn: string;
    /** The stack's execution and task roles: the only roles RunTask may hand over. */
    passRoleArns: string[];
}

/**
 * What EventBridge Scheduler needs to start the scheduled processes: RunTask on their task
 * definition families in this cluster, tagging the tasks it starts (propagated tags), and
 * passing this stack's two roles to ECS tasks — nothing else.
 */
export function schedulerPolicy(scope: SchedulerScope): PolicyDocument & { Statement: (PolicyStatement & { Condition?: Record<string, Record<string, string | string[]>> })[] } {
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "RunScheduledTasks", Effect: "Allow", Action: ["ecs:RunTask"], Resource: [...scope.taskDefinitionFamilyArns].sort(), Condition: { ArnEquals: { "ecs:cluster": scope.clusterArn } } },
            { Sid: "TagStartedTasks", Effect: "Allow", Action: ["ecs:TagResource"], Resource: [scope.clusterTasksArn], Condition: { StringEquals: { "ecs:CreateAction": "RunTask" } } },
            { Sid: "PassTaskRoles", Effect: "Allow", Action: ["iam:PassRole"], Resource: [...scope.passRoleArns].sort(), Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } } },
        ],
    };
}
