/** Application Auto Scaling for ECS services: the ids it names them by and the target-tracking defaults. */

/** `service/<cluster name>/<service name>`: how Application Auto Scaling names an ECS service. */
export function ecsScalingResourceId(clusterName: string, serviceName: string): string {
    return `service/${clusterName}/${serviceName}`;
}

/** `<load balancer ARN suffix>/<target group ARN suffix>`: the ALBRequestCountPerTarget metric's resource label. */
export function requestCountResourceLabel(loadBalancerArnSuffix: string, targetGroupArnSuffix: string): string {
    return `${loadBalancerArnSuffix}/${targetGroupArnSuffix}`;
}

/** Average CPU a scaled service tracks when its config names no target. */
export const defaultCpuPercent = 70;
/** Scale out within a minute of the target being passed; scale in only after five calm minutes. */
export const scaleOutCooldownSeconds = 60;
export const scaleInCooldownSeconds = 300;
