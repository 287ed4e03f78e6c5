import { beforeAll, describe, expect, it } from "vitest";
import { defaultCpuPercent } from "../lib/scaling";
import { Evaluation, evaluateStack, readStackConfig } from "./harness";

/** Autoscaling per process: Application Auto Scaling targets and target-tracking policies on the services they scale. */

const devImage = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-dev-build-repo-1a2b3c4@sha256:${"b".repeat(64)}`;
const prodOptions = { stack: "prod", stackOutputs: { dev: { image: devImage, platform: "linux/amd64" } } };
const prodProcesses = readStackConfig("prod").config["twelve-factor:processes"] as Record<string, { count: number; scaling: { min: number; max: number; cpuPercent?: number; requestsPerTarget?: number } }>;
const devProcesses = readStackConfig("dev").config["twelve-factor:processes"] as Record<string, Record<string, unknown>>;

describe("prod's scaled services", () => {
    let prod: Evaluation;
    beforeAll(async () => {
        prod = await evaluateStack(prodOptions);
    });

    it.each(["web", "worker"])("%s: a scalable target named after the cluster and service it scales, within the configured bounds", (processName) => {
        const target = prod.named(`shop-prod-scaling-${processName}`);
        const cluster = prod.named("shop-prod-cluster");
        const service = prod.named(`shop-prod-${processName}`);
        expect(target.inputs).toMatchObject({
            serviceNamespace: "ecs",
            scalableDimension: "ecs:service:DesiredCount",
            resourceId: `service/${cluster.outputs.name}/${service.outputs.name}`,
            minCapacity: prodProcesses[processName].scaling.min,
            maxCapacity: prodProcesses[processName].scaling.max,
        });
        // The configured count is the starting size; Application Auto Scaling owns it afterwards.
        expect(service.inputs.desiredCount).toBe(prodProcesses[processName].count);
        expect(service.ignoreChanges).toEqual(["desiredCount"]);
    });

    it.each(["web", "worker"])("%s: tracks average CPU at the configured target", (processName) => {
        const target = prod.named(`shop-prod-scaling-${processName}`);
        const cpu = prod.named(`shop-prod-scaling-${processName}-cpu`);
        expect(cpu.inputs).toMatchObject({
            policyType: "TargetTrackingScaling",
            resourceId: target.inputs.resourceId,
            scalableDimension: target.inputs.scalableDimension,
            serviceNamespace: target.inputs.serviceNamespace,
            targetTrackingScalingPolicyConfiguration: { predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" }, targetValue: prodProcesses[processName].scaling.cpuPercent },
        });
    });

    it("web also tracks requests per target, labelled by its load balancer and target group; the worker does not", () => {
        const requests = prod.named("shop-prod-scaling-web-requests");
        const { arnSuffix: lb } = prod.named("shop-prod-alb").outputs;
        const { arnSuffix: tg } = prod.named("shop-prod-tg").outputs;
        expect(lb).toMatch(/^app\/shop-prod-alb\//);
        expect(tg).toMatch(/^targetgroup\/shop-prod-tg\//);
        expect(requests.inputs.resourceId).toBe(prod.named("shop-prod-scaling-web").inputs.resourceId);
        expect(requests.inputs.targetTrackingScalingPolicyConfiguration).toMatchObject({
            predefinedMetricSpecification: { predefinedMetricType: "ALBRequestCountPerTarget", resourceLabel: `${lb}/${tg}` },
            targetValue: prodProcesses.web.scaling.requestsPerTarget,
        });
        expect(prod.resources.some((r) => r.name === "shop-prod-scaling-worker-requests")).toBe(false);
    });
});

describe("scaling settings", () => {
    it("tracks CPU at the default when no target is named, and only requests when only those are", async () => {
        const run = await evaluateStack({ stack: "dev", config: { processes: { ...devProcesses, web: { ...devProcesses.web, scaling: { min: 1, max: 3 } }, worker: { ...devProcesses.worker, scaling: { min: 1, max: 2 } } } } });
        expect(run.named("shop-dev-scaling-web-cpu").inputs.targetTrackingScalingPolicyConfiguration.targetValue).toBe(defaultCpuPercent);
        const requestsOnly = await evaluateStack({ stack: "dev", config: { processes: { ...devProcesses, web: { ...devProcesses.web, scaling: { min: 1, max: 3, requestsPerTarget: 200 } } } } });
        expect(requestsOnly.resources.map((r) => r.name).filter((n) => n.startsWith("shop-dev-scaling-"))).toEqual(["shop-dev-scaling-web", "shop-dev-scaling-web-requests"]);
    });

    it("leaves unscaled services' desired count to config (no ignoreChanges) and declares no scaling", async () => {
        const dev = await evaluateStack({ stack: "dev" });
        for (const s of dev.ofType("aws:ecs/service:Service")) expect(s.ignoreChanges, s.name).toEqual([]);
        expect(dev.ofType("aws:appautoscaling/target:Target")).toEqual([]);
    });
});
