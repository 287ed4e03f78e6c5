import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ops, project, startFake } from "./support/fake-aws/ops-harness";
import { seedStack } from "./support/fake-aws/seed";
import type { FakeAws } from "./support/fake-aws/server";

/** `run` end to end: RunTask with the recorded network, the task's states, its logs streamed, its exit code. */

let fake: FakeAws;
let seeded: ReturnType<typeof seedStack>;
beforeEach(async () => {
    fake = await startFake();
    fake.throttleEvery = 4;
    seeded = seedStack(fake, { releases: 3 });
});
afterEach(() => fake.stop());

describe("ops run", () => {
    it("runs the process's task definition of the running release in the task network, streams its logs, exits with its code", async () => {
        fake.ecs.script = { logs: { migrate: ["migrations: up to date"], web: Array.from({ length: 14 }, (_, i) => `line ${i + 1}`) }, exitCodes: { migrate: 0, web: 3 }, runningPolls: 3 };
        const { code, out, err } = await ops(project(), ["run", "web", "--stack", "dev", "--", "node", "-e", "process.exit(3)"]);
        expect(code).toBe(3);
        const [input] = fake.ecs.runs;
        expect(input).toMatchObject({
            cluster: seeded.cluster,
            taskDefinition: seeded.record.processes.web.taskDefinitionArn,
            launchType: "FARGATE",
            networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-0b000001", "subnet-0b000002"], securityGroups: ["sg-0123456789abcdef0"], assignPublicIp: "DISABLED" } },
            overrides: { containerOverrides: [{ name: "web", command: ["node", "-e", "process.exit(3)"] }] },
            startedBy: "ops-run",
        });
        expect(seeded.record.processes.web.taskDefinitionArn).toMatch(/shop-dev-web:3$/);
        // Every line, in order, from both containers' streams (<process>/<release>/<container>/<task>).
        expect(out.split("\n").filter((l) => l.startsWith("[web]"))).toEqual(Array.from({ length: 14 }, (_, i) => `[web] line ${i + 1}`));
        expect(out).toContain("[migrate] migrations: up to date");
        expect(err).toMatch(/Started web task [0-9a-f]{32} \(v3, shop-dev-web:3\): node -e process.exit\(3\)/);
        expect(err).toContain("task PROVISIONING\n  task PENDING\n  task RUNNING\n  task STOPPED: Essential container in task exited");
        expect(err).toContain("web exited with 3");
        expect(fake.calls.filter((c) => c.throttled).length).toBeGreaterThan(0);
        expect(fake.callsTo("GetLogEvents").every((c) => String(c.input.logStreamName).startsWith("web/v3/web/") || String(c.input.logStreamName).startsWith("migrate/v3/migrate/"))).toBe(true);
    });

    it("--release runs that release's task definition, found by its release tag", async () => {
        fake.ecs.script = { exitCodes: { migrate: 0 } };
        const { code } = await ops(project(), ["run", "migrate", "--stack", "dev", "--release", "v1"]);
        expect(code).toBe(0);
        expect(fake.ecs.runs[0].taskDefinition).toMatch(/shop-dev-migrate:1$/);
        expect(fake.ecs.runs[0].overrides).toBeUndefined();
        fake.ssm.parameters.delete("/shop/dev/releases/v2/LOG_LEVEL");
        const pruned = await ops(project(), ["run", "migrate", "--stack", "dev", "--release", "v2"]);
        expect(pruned.code).toBe(4);
        expect(pruned.err).toContain("release v2 cannot run: its parameters LOG_LEVEL are gone");
    });

    it("stops the task at the timeout and exits 124", async () => {
        fake.ecs.script = { runningPolls: 1_000 };
        let t = Date.UTC(2026, 10, 30);
        const { code, err } = await ops(project(), ["run", "worker", "--stack", "dev", "--timeout", "5m"], { now: () => new Date((t += 60_000)) });
        expect(code).toBe(124);
        expect(err).toContain("timed out after 5m");
        expect(fake.callsTo("StopTask")[0].input).toMatchObject({ cluster: seeded.cluster, reason: "ops run: timed out after 5m" });
    });

    it("stops the task on Ctrl-C", async () => {
        fake.ecs.script = { runningPolls: 1_000 };
        const { code, err } = await ops(project(), ["run", "worker", "--stack", "dev"], { abortAfterSleeps: 4 });
        expect(code).toBe(130);
        expect(err).toContain("interrupted");
        expect(fake.callsTo("StopTask")[0].input).toMatchObject({ reason: "ops run: interrupted" });
    });

    it("reports a task that stopped without an exit code (it never started its container)", async () => {
        fake.ecs.script = { exitCodes: {}, stoppedReason: "CannotPullContainerError: pull image manifest has been retried 5 time(s)" };
        const { code, err } = await ops(project(), ["run", "web", "--stack", "dev"]);
        expect(code).toBe(1);
        expect(err).toContain("CannotPullContainerError");
        expect(err).toContain("web exited without an exit code");
    });

    it("says what to do for an unknown process, and for a stack without an ops record", async () => {
        const unknown = await ops(project(), ["run", "cron", "--stack", "dev"]);
        expect(unknown.code).toBe(3);
        expect(unknown.err).toContain('stack dev has no process "cron"');
        expect(unknown.err).toContain("its processes: migrate, web, worker");
        fake.ssm.parameters.delete("/shop/dev/ops");
        const none = await ops(project(), ["run", "web", "--stack", "dev"]);
        expect(none.code).toBe(3);
        expect(none.err).toContain("stack dev has no ops record (/shop/dev/ops in eu-west-1)");
        expect(none.err).toContain("pulumi up --stack dev");
    });
});
