import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ProcessSpec } from "../lib/process";
import { defaultCpuPercent, ecsScalingResourceId, requestCountResourceLabel, scaleInCooldownSeconds, scaleOutCooldownSeconds } from "../lib/scaling";
import type { Run } from "./run";
import { entriesByKey } from "../lib/hashing";

export interface AutoscalingArgs {
    /** The services to scale, and the load balancer whose request counts web tracks. */
    run: Run;
    /** Today's processes: those with `scaling` (and a service) are scaled. */
    processes: Record<string, ProcessSpec>;
    tags: Record<string, string>;
}

/**
 * Application Auto Scaling of each scaled service's desired count between its min and max:
 * target tracking on average CPU and, for web, on requests per target. The services ignore
 * their desiredCount after creation (Run), so the next `pulumi up` never resets what this decided.
 */
export class Autoscaling extends pulumi.ComponentResource {
    constructor(name: string, args: AutoscalingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("twelve-factor:autoscaling:Autoscaling", name, {}, opts);
        const parent = this;
        const { run } = args;
        for (const [processName, spec] of entriesByKey(args.processes)) {
            const service = run.services[processName];
            if (spec.scaling === undefined || service === undefined) continue;
            scale(processName, service, spec.scaling);
        }
        this.registerOutputs({});

        function scale(processName: string, service: aws.ecs.Service, scaling: NonNullable<ProcessSpec["scaling"]>): void {
            const target = new aws.appautoscaling.Target(`${name}-${processName}`, {
                serviceNamespace: "ecs",
                scalableDimension: "ecs:service:DesiredCount",
                resourceId: pulumi.all([run.cluster.name, service.name]).apply(([cluster, svc]) => ecsScalingResourceId(cluster, svc)),
                minCapacity: scaling.min,
                maxCapacity: scaling.max,
                tags: args.tags,
            }, { parent });
            const track = (metric: string, predefined: { predefinedMetricType: string; resourceLabel?: pulumi.Input<string> }, targetValue: number) =>
                new aws.appautoscaling.Policy(`${name}-${processName}-${metric}`, {
                    policyType: "TargetTrackingScaling",
                    serviceNamespace: target.serviceNamespace,
                    scalableDimension: target.scalableDimension,
                    resourceId: target.resourceId,
                    targetTrackingScalingPolicyConfiguration: {
                        predefinedMetricSpecification: predefined,
                        targetValue,
                        scaleOutCooldown: scaleOutCooldownSeconds,
                        scaleInCooldown: scaleInCooldownSeconds,
                    },
                }, { parent });
            const cpuPercent = scaling.cpuPercent ?? (scaling.requestsPerTarget === undefined ? defaultCpuPercent : undefined);
            if (cpuPercent !== undefined) track("cpu", { predefinedMetricType: "ECSServiceAverageCPUUtilization" }, cpuPercent);
            if (scaling.requestsPerTarget !== undefined) {
                track("requests", {
                    predefinedMetricType: "ALBRequestCountPerTarget",
                    resourceLabel: pulumi.all([run.loadBalancer.arnSuffix, run.targetGroup.arnSuffix]).apply(([lb, tg]) => requestCountResourceLabel(lb, tg)),
                }, scaling.requestsPerTarget);
            }
        }
    }
}
