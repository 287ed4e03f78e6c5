import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ops, project, startFake } from "./support/fake-aws/ops-harness";
import { seedStack } from "./support/fake-aws/seed";
import type { FakeAws } from "./support/fake-aws/server";

/** `logs` and `exec` end to end against the fake endpoint. */

let fake: FakeAws;
let seeded: ReturnType<typeof seedStack>;
const now = Date.UTC(2026, 10, 30, 12);
beforeEach(async () => {
    fake = await startFake();
    fake.throttleEvery = 5;
});
afterEach(() => fake.stop());

function writeLogs(): void {
    const at = (minutesAgo: number) => now - minutesAgo * 60_000;
    for (let i = 0; i < 12; i++) fake.logs.write(seeded.group, "web/v3/web/task1", `web v3 #${i}`, at(9) + i);
    fake.logs.write(seeded.group, "web/v2/web/task0", "web v2", at(8));
    // The release phase's container in a web task writes under its own process.
    fake.logs.write(seeded.group, "migrate/v3/migrate/task1", "migrate in web task", at(7));
    fake.logs.write(seeded.group, "worker/v3/worker/task2", "worker v3", at(6));
    fake.logs.write(seeded.group, "worker/v2/worker/task3", "worker v2", at(5));
    fake.logs.write(seeded.group, "web/v3/web/task1", "too old", at(30));
    // A process whose name starts like another's, and a release id that starts like another's.
    fake.logs.write(seeded.group, "web/v30/web/task9", "web v30", at(4));
}

describe("ops logs", () => {
    beforeEach(() => {
        seeded = seedStack(fake, { releases: 3 });
        writeLogs();
    });
    const clock = { now: () => new Date(now) };

    it("filters by process and release, through pages and throttling", async () => {
        const { code, out } = await ops(project(), ["logs", "web", "--release", "v3", "--stack", "dev"], clock);
        expect(code).toBe(0);
        const messages = out.trim().split("\n").map((l) => l.split(" ").slice(2).join(" "));
        expect(messages).toEqual(Array.from({ length: 12 }, (_, i) => `web v3 #${i}`));
        expect(out.split("\n")[0]).toMatch(/^2026-11-30T11:51:00\.000Z web\/v3\/web\/task1 web v3 #0$/);
        expect(fake.callsTo("FilterLogEvents").every((c) => c.input.logStreamNamePrefix === "web/v3/")).toBe(true);
        expect(fake.callsTo("FilterLogEvents").length).toBeGreaterThanOrEqual(2);
    });

    it("by process across releases, by release across processes, and everything since --since", async () => {
        const web = await ops(project(), ["logs", "web", "--stack", "dev"], clock);
        expect(web.out).toContain("web v2");
        expect(web.out).toContain("web v30");
        expect(web.out).not.toContain("worker");
        const v3 = await ops(project(), ["logs", "--release", "v3", "--stack", "dev", "--json"], clock);
        const events = v3.out.trim().split("\n").map((l) => JSON.parse(l));
        expect(events.map((e) => e.stream)).toEqual([...Array(12).fill("web/v3/web/task1"), "migrate/v3/migrate/task1", "worker/v3/worker/task2"]);
        expect(fake.callsTo("FilterLogEvents").map((c) => c.input.logStreamNamePrefix)).toEqual(expect.arrayContaining(["migrate/v3/", "web/v3/", "worker/v3/"]));
        const all = await ops(project(), ["logs", "--since", "1h", "--stack", "dev"], clock);
        expect(all.out).toContain("too old");
        expect((await ops(project(), ["logs", "--stack", "dev"], clock)).out).not.toContain("too old");
    });

    it("--follow prints new events as they arrive, each once, until Ctrl-C", async () => {
        // Events arrive while it follows, two of them in the same millisecond.
        const live = (n: number) => { if (n <= 3) fake.logs.write(seeded.group, "worker/v3/worker/task2", `live ${n}`, now + (n === 3 ? 2 : n)); };
        const { code, out } = await ops(project(), ["logs", "worker", "--follow", "--stack", "dev"], { ...clock, abortAfterSleeps: 6, onSleep: live });
        expect(code).toBe(0);
        const lines = out.trim().split("\n").map((l) => l.split(" ").slice(2).join(" "));
        expect(lines).toEqual(["worker v3", "worker v2", "live 1", "live 2", "live 3"]);
        expect(lines[0]).toContain("worker v3");
    });

    it("names the processes when the one asked for does not exist", async () => {
        const { code, err } = await ops(project(), ["logs", "cron", "--stack", "dev"], clock);
        expect(code).toBe(3);
        expect(err).toContain("its processes: migrate, web, worker");
    });
});

describe("ops exec", () => {
    const plugin = () => "/usr/local/bin/session-manager-plugin";

    it("says clearly when exec is not enabled on the stack, before any ECS call", async () => {
        seeded = seedStack(fake, { releases: 2, execEnabled: false });
        const { code, err } = await ops(project(), ["exec", "web", "--stack", "dev"], { which: plugin });
        expect(code).toBe(4);
        expect(err).toContain("ECS Exec is not enabled on stack dev");
        expect(err).toContain("set twelve-factor:exec: true in Pulumi.dev.yaml and deploy");
        expect(err).toContain("npm run ops -- run web --stack dev -- <command>");
        expect(fake.calls.filter((c) => c.target.startsWith("AmazonEC2ContainerService"))).toEqual([]);
    });

    it("explains what to install when the Session Manager plugin is missing", async () => {
        seeded = seedStack(fake, { releases: 2, execEnabled: true });
        const { code, err } = await ops(project(), ["exec", "web", "--stack", "dev"]);
        expect(code).toBe(2);
        expect(err).toContain("session-manager-plugin is not on PATH");
    });

    it("opens a session in a running task of the process's service and hands it to the plugin", async () => {
        seeded = seedStack(fake, { releases: 2, execEnabled: true });
        const service = seeded.record.processes.web.service!;
        const task = fake.ecs.addServiceTask(seeded.cluster, service, seeded.record.processes.web.taskDefinitionArn, { exec: true });
        fake.ecs.addServiceTask(seeded.cluster, "other", seeded.record.processes.worker.taskDefinitionArn, { exec: true });
        const spawned: { command: string; args: string[] }[] = [];
        const { code, err } = await ops(project(), ["exec", "web", "--stack", "dev", "--", "ls", "-la", "/tmp dir"], { which: plugin, spawned });
        expect(code).toBe(0);
        expect(fake.ecs.sessions).toEqual([{ cluster: seeded.cluster, task, container: "web", command: "ls -la '/tmp dir'", interactive: true }]);
        const [{ command, args }] = spawned;
        expect(command).toBe("/usr/local/bin/session-manager-plugin");
        const session = JSON.parse(args[0]);
        expect(session.sessionId).toMatch(/^ecs-execute-command-/);
        expect(session.tokenValue).toMatch(/^token-/);
        expect(args.slice(1, 4)).toEqual(["eu-west-1", "StartSession", ""]);
        const runtimeId = (fake.ecs.tasks.get(task)!.task.containers as { name: string; runtimeId: string }[]).find((c) => c.name === "web")!.runtimeId;
        expect(JSON.parse(args[4])).toEqual({ Target: `ecs:${seeded.cluster}_${task.split("/").pop()}_${runtimeId}` });
        expect(args[5]).toBe(fake.url);
        expect(err).toContain("ls -la '/tmp dir'");
    });

    it("refuses a task started before exec was enabled, a process without a service, and no running task", async () => {
        seeded = seedStack(fake, { releases: 2, execEnabled: true });
        const noTask = await ops(project(), ["exec", "web", "--stack", "dev"], { which: plugin });
        expect(noTask.code).toBe(3);
        expect(noTask.err).toContain("no running task of web");
        fake.ecs.addServiceTask(seeded.cluster, seeded.record.processes.web.service!, seeded.record.processes.web.taskDefinitionArn, { exec: false });
        const old = await ops(project(), ["exec", "web", "--stack", "dev"], { which: plugin });
        expect(old.code).toBe(4);
        expect(old.err).toContain("was started before exec was enabled");
        const migrate = await ops(project(), ["exec", "migrate", "--stack", "dev"], { which: plugin });
        expect(migrate.err).toContain("process migrate has no service");
        expect(fake.ecs.sessions).toEqual([]);
    });
});
