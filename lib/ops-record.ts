/**
 * The ops record: what the operator commands (`npm run ops`) need to find a stack's running
 * parts without the Pulumi backend, kept as JSON in `/<app>/<stack>/ops` and written once
 * every service is steady (like the running pointer). Pure: nothing here talks to AWS.
 */

/** The tasks' network configuration, shared by the services and by one-off tasks. */
export interface TaskNetwork {
    subnets: string[];
    securityGroups: string[];
    assignPublicIp: boolean;
}

export interface OpsProcess {
    /** Task definition family, `<app>-<stack>-<process>`. */
    family: string;
    /** ECS service name; absent for processes that run only as tasks (the release phase). */
    service?: string;
    /** Task definition of the running release. */
    taskDefinitionArn: string;
    /** The process's own container in its task definition. */
    container: string;
}

export interface OpsRecord {
    region: string;
    cluster: string;
    logGroup: string;
    /** The release the task definitions below belong to. */
    release: string;
    processes: Record<string, OpsProcess>;
    network: TaskNetwork;
    /** True when every service allows ECS Exec. */
    execEnabled: boolean;
}

export function opsRecordName(parameterPath: string): string {
    return `${parameterPath}/ops`;
}

/**
 * The `awslogs-stream-prefix` of a process in a release: streams are named
 * `<process>/<release>/<container>/<task-id>`, so logs filter by process and by release.
 */
export function logStreamPrefix(processName: string, releaseId: string): string {
    return `${processName}/${releaseId}`;
}
