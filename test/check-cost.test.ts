import { describe, expect, it } from "vitest";
import { estimateCost, splitTasks } from "../check/cost";
import prices from "../check/prices.json";
import { evaluateStack, readStackConfig, type Evaluation } from "./harness";

/**
 * The monthly estimate at idle, held to totals computed by hand from check/prices.json
 * (eu-west-1, 730 h a month; each line rounded to cents, the total is their sum). A change of
 * either stack file or of the program that changes what is declared changes these on purpose:
 * recompute them here.
 */

const devImage = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-dev-build-repo@sha256:${"d".repeat(64)}`;
const run = (stack: string) => evaluateStack({ stack, stackOutputs: { dev: { image: devImage, platform: "linux/amd64" } } });
const priced = (e: Evaluation) => estimateCost(e.resources, String(readStackConfig(e.stack).config["aws:region"]));
const nonZero = (e: Evaluation) => Object.fromEntries(priced(e).lines.filter((l) => l.monthly > 0).map((l) => [l.driver, l.monthly]));

describe("the monthly estimate at idle", () => {
    it("dev: $53.37", async () => {
        const dev = await run("dev");
        expect(nonZero(dev)).toEqual({
            // No NAT gateway (natGateways: none): no Elastic IP either.
            "Application Load Balancer hours (shop-dev-alb)": 18.40, // 730 h × $0.0252 = 18.396
            "public IPv4 addresses: 2 of the internet-facing load balancer (one per subnet)": 7.30, // 2 × 730 h × $0.005
            "RDS db.t4g.micro Single-AZ (1 instance)": 12.41, // 730 h × $0.017
            "RDS gp3 storage 20 GB Single-AZ": 2.54, // 20 GB × $0.127
            // Fargate Spot (capacity: spot), x86: 0.25 vCPU and 0.5 GB per task, one task each.
            "Fargate Spot vCPU: web 0.25 vCPU × 1 task (x86)": 2.22, // 0.25 × 730 × $0.012144 = 2.2163
            "Fargate Spot memory: web 0.5 GB × 1 task (x86)": 0.49, // 0.5 × 730 × $0.0013335 = 0.4867
            "Fargate Spot vCPU: worker 0.25 vCPU × 1 task (x86)": 2.22,
            "Fargate Spot memory: worker 0.5 GB × 1 task (x86)": 0.49,
            // Tasks in public subnets hold a public IPv4 address each.
            "public IPv4 addresses: 1 of web's task (public subnets, no NAT)": 3.65, // 730 h × $0.005
            "public IPv4 addresses: 1 of worker's task (public subnets, no NAT)": 3.65,
        });
        // 18.40 + 7.30 + 12.41 + 2.54 + 2 × (2.22 + 0.49) + 2 × 3.65
        expect(priced(dev).monthlyTotal).toBe(53.37);
    });

    it("prod: $213.07", async () => {
        const prod = await run("prod");
        expect(nonZero(prod)).toEqual({
            "NAT gateway hours (2 × 730 h)": 70.08, // perAz: 2 × 730 h × $0.048
            "public IPv4 addresses: 2 Elastic IPs": 7.30, // the NAT gateways' addresses: 2 × 730 h × $0.005
            "Application Load Balancer hours (shop-prod-alb)": 18.40,
            "public IPv4 addresses: 2 of the internet-facing load balancer (one per subnet)": 7.30,
            // On demand, x86, at the auto scaling minimum (web 2, worker 1).
            "Fargate vCPU: web 0.5 vCPU × 2 tasks (x86)": 29.55, // 0.5 × 2 × 730 × $0.04048 = 29.5504
            "Fargate memory: web 1 GB × 2 tasks (x86)": 6.49, // 1 × 2 × 730 × $0.004445 = 6.4897
            "Fargate vCPU: worker 0.25 vCPU × 1 task (x86)": 7.39, // 0.25 × 730 × $0.04048 = 7.3876
            "Fargate memory: worker 0.5 GB × 1 task (x86)": 1.62, // 0.5 × 730 × $0.004445 = 1.6224
            "RDS db.t4g.small Multi-AZ (2 instances: primary and standby)": 49.64, // 2 × 730 h × $0.034
            "RDS gp3 storage 50 GB Multi-AZ": 12.70, // 50 GB × 2 copies × $0.127
            "KMS customer managed keys: 1": 1.00, // the alarms topic's key
            "CloudWatch alarms: 8 (10 metrics)": 1.00, // 6 single-metric alarms + 2 metric-math alarms of 2 metrics, × $0.10
            "auto scaling policies: 3 (6 alarms they create)": 0.60, // 3 target-tracking policies × 2 alarms × $0.10
        });
        // 70.08 + 7.30 + 18.40 + 7.30 + 29.55 + 6.49 + 7.39 + 1.62 + 49.64 + 12.70 + 1.00 + 1.00 + 0.60
        expect(priced(prod).monthlyTotal).toBe(213.07);
    });

    it.each(["dev", "prod"])("%s: every declared resource type has a line (a new type needs its rule in check/cost.ts)", async (stack) => {
        const e = await run(stack);
        const cost = priced(e);
        expect(cost.unpriced, `no cost rule for ${cost.unpriced.join(", ")}: add one to check/cost.ts`).toEqual([]);
        const declared = new Set(e.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:pulumi:")).map((r) => r.type));
        expect(new Set(cost.lines.map((l) => l.type))).toEqual(declared);
        // The lines add up to the total.
        expect(Math.round(cost.lines.reduce((s, l) => s + l.monthly, 0) * 100) / 100).toBe(cost.monthlyTotal);
    });

    it("lists an unknown type as unpriced, and guesses nothing for a region prices.json lacks", async () => {
        const dev = await run("dev");
        const strange = { ...dev.resources[dev.resources.length - 1], type: "aws:example/gizmo:Gizmo", custom: true };
        expect(estimateCost([...dev.resources, strange], "eu-west-1").unpriced).toEqual(["aws:example/gizmo:Gizmo"]);
        const elsewhere = estimateCost(dev.resources, "ap-southeast-7");
        expect(elsewhere).toMatchObject({ known: false, monthlyTotal: null });
        expect(elsewhere.lines.every((l) => l.unitPrice === null && l.note === "no prices for ap-southeast-7 in check/prices.json")).toBe(true);
        // The same stack in us-east-1 is priced from that region's figures: ALB 730 × $0.0225 = 16.425 → 16.43,
        // its addresses 7.30, db.t4g.micro 730 × $0.016 = 11.68, 20 GB × $0.115 = 2.30, Spot as in eu-west-1 2 × (2.22 + 0.49),
        // the tasks' two addresses 7.30.
        expect(estimateCost(dev.resources, "us-east-1").monthlyTotal).toBe(50.43);
    });

    it("splits tasks over a capacity provider strategy: each base first, the rest by weight", () => {
        expect(splitTasks(3, [])).toEqual({ onDemand: 3, spot: 0 });
        expect(splitTasks(1, [{ capacityProvider: "FARGATE_SPOT", weight: 1 }])).toEqual({ onDemand: 0, spot: 1 });
        expect(splitTasks(5, [{ capacityProvider: "FARGATE", base: 1, weight: 1 }, { capacityProvider: "FARGATE_SPOT", weight: 3 }])).toEqual({ onDemand: 2, spot: 3 });
    });
});

describe("check/prices.json", () => {
    const regions = prices.regions as Record<string, { asOf: string; prices: Record<string, { usd?: number; byClass?: Record<string, number>; unit: string; source: string; verified: boolean }> }>;

    it("prices the regions of the stack files and us-east-1, each figure with its unit, source and state", () => {
        const needed = new Set(["us-east-1", ...["dev", "prod"].map((s) => String(readStackConfig(s).config["aws:region"]))]);
        for (const region of needed) expect(Object.keys(regions)).toContain(region);
        const keys = Object.keys(regions["eu-west-1"].prices).sort();
        for (const [region, table] of Object.entries(regions)) {
            expect(table.asOf, region).toMatch(/^\d{4}-\d{2}/);
            expect(Object.keys(table.prices).sort(), region).toEqual(keys);
            for (const [key, figure] of Object.entries(table.prices)) {
                expect(figure.source, `${region} ${key}`).toMatch(/pricing/);
                expect(figure.unit, `${region} ${key}`).not.toBe("");
                expect(typeof figure.verified, `${region} ${key}`).toBe("boolean");
                expect(figure.usd ?? Object.values(figure.byClass ?? {})[0], `${region} ${key}`).toBeGreaterThan(0);
            }
        }
    });
});
