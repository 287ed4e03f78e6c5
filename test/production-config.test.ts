import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../config";
import { scheduleExpressionProblem } from "../lib/schedule";
import { evaluateStack, evaluateStackFailure, readStackConfig } from "./harness";
import { engineConfig, type ConfigOverrides } from "./support/stack-config";

/**
 * The production defaults' settings: bad values are refused before anything is declared, each
 * with the key the user typed; good ones parse to what the components read.
 */

const dev = readStackConfig("dev").config;
const devProcesses = dev["twelve-factor:processes"] as Record<string, Record<string, unknown>>;
const withProcess = (name: string, patch: Record<string, unknown>) => ({ processes: { ...devProcesses, [name]: { ...devProcesses[name], ...patch } } });
const domain = { name: "shop.example.com", hostedZoneId: "Z0123456789EXAMPLEZONE" };
const certificateArn = "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

function problemsOf(o: Partial<ConfigOverrides>) {
    const { config, secretKeys } = engineConfig({ stack: "dev", ...o });
    try {
        parseConfig(config, "dev", { secretTopLevelKeys: secretKeys });
    } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
    }
    throw new Error(`expected ${JSON.stringify(o.config)} to be refused`);
}
const parse = (o: Partial<ConfigOverrides>) => {
    const { config, secretKeys } = engineConfig({ stack: "dev", ...o });
    return parseConfig(config, "dev", { secretTopLevelKeys: secretKeys });
};

describe("bad production settings are refused with the key named", () => {
    it.each([
        ["domain and certificateArn together", { domain, certificateArn }, "twelve-factor:domain", /either domain .* or certificateArn .*, got both/],
        ["a domain name with a trailing dot", { domain: { ...domain, name: "shop.example.com." } }, "twelve-factor:domain.name", /lowercase DNS name/],
        ["a wildcard domain", { domain: { ...domain, name: "*.example.com" } }, "twelve-factor:domain.name", /no trailing dot or wildcard/],
        ["an uppercase domain", { domain: { ...domain, name: "Shop.Example.com" } }, "twelve-factor:domain.name", /lowercase DNS name/],
        ["a hosted zone id that is not one", { domain: { ...domain, hostedZoneId: "example.com" } }, "twelve-factor:domain.hostedZoneId", /Route 53 hosted zone id/],
        ["a misspelt domain setting", { domain: { ...domain, zone: "Z1" } }, "twelve-factor:domain.zone", /no such setting/],
        ["deletion protection as text", { loadBalancer: { deletionProtection: "true" } }, "twelve-factor:loadBalancer.deletionProtection", /boolean.*true\/false in quotes is text/],
        ["access logs kept 0 days", { loadBalancer: { accessLogs: { retentionDays: 0 } } }, "twelve-factor:loadBalancer.accessLogs.retentionDays", />=1|at least|too small/i],
        ["an alarm email without a domain", { alarms: { email: "oncall" } }, "twelve-factor:alarms.email", /email address/],
        ["exec as a word", { exec: "yes" }, "twelve-factor:exec", /boolean/],
        ["natGateways a number", { network: { mode: "create", cidr: "10.10.0.0/16", natGateways: 2 } }, "twelve-factor:network.natGateways", /single.*perAz.*none/],
        ["scaling min above max", withProcess("web", { count: 3, scaling: { min: 4, max: 2 } }), "twelve-factor:processes.web.scaling.max", /at least scaling.min \(4\), got 2/],
        ["a starting size below min", withProcess("web", { count: 1, scaling: { min: 2, max: 4 } }), "twelve-factor:processes.web.count", /from scaling.min to scaling.max \(2–4\), got 1$/],
        ["the default count below min", withProcess("worker", { count: undefined, scaling: { min: 2, max: 4 } }), "twelve-factor:processes.worker.count", /got 1 \(count defaults to 1\)/],
        ["a starting size above max", withProcess("web", { count: 5, scaling: { min: 1, max: 4 } }), "twelve-factor:processes.web.count", /\(1–4\), got 5/],
        ["requestsPerTarget for the worker", withProcess("worker", { scaling: { min: 1, max: 2, requestsPerTarget: 100 } }), "twelve-factor:processes.worker.scaling.requestsPerTarget", /only for web/],
        ["a CPU target of 100 %", withProcess("web", { scaling: { min: 1, max: 2, cpuPercent: 100 } }), "twelve-factor:processes.web.scaling.cpuPercent", /90/],
        ["scaling for the release phase", withProcess("migrate", { scaling: { min: 1, max: 2 } }), "twelve-factor:processes.migrate.scaling", /release phase/],
        ["a schedule for web", withProcess("web", { schedule: "rate(1 hour)" }), "twelve-factor:processes.web.schedule", /no schedule for web/],
        ["a schedule for the release phase", withProcess("migrate", { schedule: "rate(1 hour)" }), "twelve-factor:processes.migrate.schedule", /release phase/],
        ["a schedule with a count", withProcess("worker", { schedule: "rate(1 hour)", count: 2 }), "twelve-factor:processes.worker.count", /scheduled process: it has no service/],
        ["a schedule with scaling", withProcess("worker", { schedule: "rate(1 hour)", count: undefined, scaling: { min: 1, max: 2 } }), "twelve-factor:processes.worker.scaling", /scheduled process/],
        ["a five-field cron", withProcess("worker", { schedule: "cron(0 3 * * *)", count: undefined }), "twelve-factor:processes.worker.schedule", /six fields/],
        ["cron with both days", withProcess("worker", { schedule: "cron(0 3 * * * *)", count: undefined }), "twelve-factor:processes.worker.schedule", /\? in exactly one/],
        ["rate with a plural 1", withProcess("worker", { schedule: "rate(1 hours)", count: undefined }), "twelve-factor:processes.worker.schedule", /singular unit/],
        ["a one-time at()", withProcess("worker", { schedule: "at(2030-01-01T00:00:00)", count: undefined }), "twelve-factor:processes.worker.schedule", /recurring schedule/],
        ["an unknown capacity", withProcess("web", { capacity: "FARGATE_SPOT" }), "twelve-factor:processes.web.capacity", /"fargate"|fargate/],
        ["Spot for the release phase", withProcess("migrate", { capacity: "spot" }), "twelve-factor:processes.migrate.capacity", /release phase/],
    ])("%s", (_, config, key, says) => {
        const problems = problemsOf({ config });
        const problem = problems.find((p) => p.key === key);
        expect(problem, `${key} in ${JSON.stringify(problems)}`).toBeDefined();
        expect(problem!.message).toMatch(says);
    });
});

describe("good production settings", () => {
    it("default to a plain stack: no domain, an unprotected load balancer without logs, no alarms, exec off, Fargate", () => {
        const c = parse({ config: { exec: undefined, processes: { web: { ...devProcesses.web, capacity: undefined } } } });
        expect(c).toMatchObject({ loadBalancer: { deletionProtection: false }, exec: false });
        expect(c.domain).toBeUndefined();
        expect(c.alarms).toBeUndefined();
        expect(c.loadBalancer.accessLogs).toBeUndefined();
        expect(c.processes.web.capacity).toBe("fargate");
    });

    it("parse to what the components read", () => {
        const c = parse({ config: { domain, loadBalancer: { deletionProtection: true, accessLogs: {} }, alarms: {}, exec: "false", ...withProcess("web", { count: 2, scaling: { min: 2, max: 6, requestsPerTarget: 500 } }) } });
        expect(c.domain).toEqual(domain);
        expect(c.loadBalancer).toEqual({ deletionProtection: true, accessLogs: { retentionDays: 90 } });
        expect(c.alarms).toEqual({});
        expect(c.exec).toBe(false);
        expect(c.processes.web.scaling).toEqual({ min: 2, max: 6, requestsPerTarget: 500 });
    });

    it("accept the schedule expressions EventBridge Scheduler accepts", () => {
        for (const e of ["rate(1 minute)", "rate(15 minutes)", "rate(1 day)", "cron(0 3 * * ? *)", "cron(0/15 * ? * MON-FRI *)", "cron(0 8 1 * ? 2030)", "cron(30 6 ? * 2#1 *)", "cron(0 18 L * ? *)"]) {
            expect(scheduleExpressionProblem(e), e).toBeUndefined();
        }
        for (const e of ["rate(0 minutes)", "rate(5 seconds)", "cron(60 3 * * ? *)", "cron(0 24 * * ? *)", "cron(0 3 ? * ? *)", "cron(0 3 * 13 ? *)", "daily", ""]) {
            expect(scheduleExpressionProblem(e), e).toBeDefined();
        }
    });
});

describe("the domain's hosted zone, looked up before anything is declared", () => {
    it.each([
        ["a name outside the zone", { domain: { ...domain, name: "shop.example.org" } }, {}, "twelve-factor:domain.name: expected a name in the hosted zone's domain example.com (domain.hostedZoneId), got shop.example.org"],
        ["a private zone", { domain }, { hostedZones: { [domain.hostedZoneId]: { name: "example.com.", privateZone: true } } }, "twelve-factor:domain.hostedZoneId: expected a public hosted zone (ACM validates and visitors resolve through public DNS), got the private zone example.com"],
        ["a zone that does not exist", { domain: { ...domain, hostedZoneId: "Z9NOSUCHZONE" } }, {}, "twelve-factor:domain.hostedZoneId: expected a hosted zone this account can read, got Z9NOSUCHZONE"],
    ])("refuses %s", async (_, config, account, message) => {
        const { error, resources } = await evaluateStackFailure({ stack: "dev", config, ...account });
        expect(error.message).toContain(message);
        expect(resources.filter((r) => r.custom)).toEqual([]);
    });

    it("accepts the zone's apex and names below it", async () => {
        for (const name of ["example.com", "api.shop.example.com"]) {
            const run = await evaluateStack({ stack: "dev", config: { domain: { ...domain, name } } });
            expect(run.outputs.url).toBe(`https://${name}`);
        }
    });
});
