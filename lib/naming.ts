/**
 * AWS name limits that Pulumi cannot check at preview time. Auto-named resources get
 * an 8-character random suffix ("-" + 7 characters) on top of their logical name.
 */
export const autoNameSuffixLength = 8;

export const nameLimits = {
    /** Application and Network Load Balancer names. */
    loadBalancer: 32,
    /** Target group names. */
    targetGroup: 32,
    /** IAM role names. */
    iamRole: 64,
    /** ECS cluster, service and task definition family names. */
    ecs: 255,
    /** RDS DB instance identifiers. */
    rdsIdentifier: 63,
} as const;

/** The suffixes that child resources add to the stack prefix (`<app>-<stack>`). */
export const childSuffixes = {
    loadBalancer: "-alb",
    targetGroup: "-tg",
    executionRole: "-exec",
    taskRole: "-task",
    cluster: "-cluster",
    database: "-db",
} as const;

/** The longest `<app>-<stack>` prefix for which every derived AWS name stays within its limit. */
export const maxPrefixLength = Math.min(
    nameLimits.loadBalancer - autoNameSuffixLength - childSuffixes.loadBalancer.length,
    nameLimits.targetGroup - autoNameSuffixLength - childSuffixes.targetGroup.length,
    nameLimits.iamRole - autoNameSuffixLength - childSuffixes.executionRole.length,
    nameLimits.rdsIdentifier - childSuffixes.database.length,
);

/** `<app>-<stack>`: the prefix of every resource name in the stack. */
export function stackPrefix(app: string, stack: string): string {
    return `${app}-${stack}`;
}

/** The SSM path below which this stack keeps its releases, ledger and running pointer. */
export function stackParameterPath(app: string, stack: string): string {
    return `/${app}/${stack}`;
}
