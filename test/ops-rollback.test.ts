import { readFileSync } from "fs";
import * as path from "path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Deployer } from "../ops/deployer";
import { ops, project, startFake } from "./support/fake-aws/ops-harness";
import { seedStack } from "./support/fake-aws/seed";
import type { FakeAws } from "./support/fake-aws/server";

/** `rollback` end to end: checks against the fake endpoint, the stack file edited, the deploy behind its interface. */

let fake: FakeAws;
beforeEach(async () => {
    fake = await startFake();
    fake.throttleEvery = 6;
    seedStack(fake, { releases: 6, migrationHead: (n) => (n === 1 ? undefined : `${n >= 5 ? 4 : 3}_m`) });
});
afterEach(() => fake.stop());

const devFile = readFileSync(path.join(__dirname, "..", "Pulumi.dev.yaml"), "utf8");
const read = (dir: string) => readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8");

/** A deploy that does what pulumi up would: the pointer moves to what the stack file pins. */
function fakeDeployer(dir: string, calls: unknown[]): Deployer {
    return {
        async up({ stack, workDir, onOutput }) {
            calls.push({ stack, workDir });
            onOutput("Updating (dev)\n    ~ aws:ecs:Service shop-dev-web updating\n");
            const pin = /pin: (v\d+)/.exec(read(dir))?.[1] ?? "v6";
            fake.ssm.put("/shop/dev/running", JSON.stringify({ running: pin, previous: "v6" }));
            return { result: "succeeded", changes: { update: 2, same: 40 } };
        },
    };
}

describe("ops rollback", () => {
    it("--dry-run prints exactly what it would write and run, and changes nothing", async () => {
        const dir = project();
        const { code, out } = await ops(dir, ["rollback", "v5", "--stack", "dev", "--dry-run", "--deploy"]);
        expect(code).toBe(0);
        expect(read(dir)).toBe(devFile);
        expect(out).toContain("Roll dev back to v5");
        expect(out).toMatch(/runs now\s+v6\s+sha256:/);
        expect(out).toContain("Dry run: nothing written, nothing deployed");
        expect(out).toContain("+   twelve-factor:release:\n    +     pin: v5");
        expect(out).toContain("deploy: pulumi up --stack dev through the Automation API");
    });

    it("writes release.pin keeping every other line, and prints the next step through CI", async () => {
        const dir = project();
        const { code, out } = await ops(dir, ["rollback", "v5", "--stack", "dev"]);
        expect(code).toBe(0);
        const text = read(dir);
        expect(text.split("\n").filter((l) => !devFile.split("\n").includes(l))).toEqual(["  twelve-factor:release:", "    pin: v5"]);
        expect(out).toContain("git add Pulumi.dev.yaml && git commit -m \"Roll dev back to v5\"");
        expect(out).toContain("npm run ops -- rollback v5 --stack dev --deploy");
        expect(out).toContain("migrations same head (4_m)");
    });

    it("across a migration says so and asks; a no writes nothing", async () => {
        const dir = project();
        const refused = await ops(dir, ["rollback", "v3", "--stack", "dev"], { answers: [false] });
        expect(refused.code).toBe(4);
        expect(refused.questions[0]).toContain("v3 carries migrations up to 3_m; the database has 4_m (v6) and keeps it");
        expect(refused.questions[0]).toContain("The database is not rolled back");
        expect(read(dir)).toBe(devFile);
        const confirmed = await ops(dir, ["rollback", "v3", "--stack", "dev"], { answers: [true] });
        expect(confirmed.code).toBe(0);
        expect(read(dir)).toContain("pin: v3");
        const yes = await ops(project(), ["rollback", "v2", "--stack", "dev", "--yes"]);
        expect(yes.code).toBe(0);
        expect(yes.questions).toEqual([]);
        const unknown = await ops(project(), ["rollback", "v1", "--stack", "dev"]);
        expect(unknown.out).toContain("unknown (v1 recorded no migration head)");
    });

    it("refuses a release whose parameters are gone, and an unknown one", async () => {
        fake.ssm.parameters.delete("/shop/dev/releases/v4/SESSION_SECRET");
        const dir = project();
        const gone = await ops(dir, ["rollback", "v4", "--stack", "dev", "--yes"]);
        expect(gone.code).toBe(4);
        expect(gone.err).toContain("release v4 cannot run again: its parameters SESSION_SECRET are gone");
        const unknown = await ops(dir, ["rollback", "v40", "--stack", "dev"]);
        expect(unknown.code).toBe(3);
        expect(unknown.err).toContain("known releases: v1, v2, v3, v4, v5, v6");
        expect(read(dir)).toBe(devFile);
    });

    it("--deploy deploys at once through the deployer, streams its output, and reports what runs", async () => {
        const dir = project();
        const calls: unknown[] = [];
        const { code, out } = await ops(dir, ["rollback", "v5", "--stack", "dev", "--deploy"], { deployer: fakeDeployer(dir, calls) });
        expect(code).toBe(0);
        expect(calls).toEqual([{ stack: "dev", workDir: dir }]);
        expect(out).toContain("~ aws:ecs:Service shop-dev-web updating");
        expect(out).toContain("Deploy succeeded (update 2, same 40): dev runs v5, previous v6.");
    });

    it("--clear first shows what the newest release would run, then removes the pin", async () => {
        const dir = project();
        await ops(dir, ["rollback", "v2", "--stack", "dev", "--yes"]);
        fake.ssm.put("/shop/dev/running", JSON.stringify({ running: "v2", previous: "v6" }));
        const dry = await ops(dir, ["rollback", "--clear", "--stack", "dev", "--dry-run"]);
        expect(dry.out).toContain("Clear the pin (v2): the newest release runs again");
        expect(dry.out).toMatch(/will run\s+v6\s+sha256:/);
        expect(dry.out).toContain("v6 adds migrations after 3_m, up to 4_m: its release phase applies them");
        expect(dry.out).toContain("-   twelve-factor:release:");
        expect(read(dir)).toContain("pin: v2");
        const cleared = await ops(dir, ["rollback", "--clear", "--stack", "dev"]);
        expect(cleared.code).toBe(0);
        expect(read(dir)).toBe(devFile);
        const again = await ops(dir, ["rollback", "--clear", "--stack", "dev"]);
        expect(again.out).toContain("has no release.pin");
    });

    it("reports a failed deploy and keeps the pin", async () => {
        const dir = project();
        const failing: Deployer = { up: async ({ onOutput }) => { onOutput("error: the service did not stabilise\n"); return { result: "failed", changes: {} }; } };
        const { code, err } = await ops(dir, ["rollback", "v5", "--stack", "dev", "--deploy"], { deployer: failing });
        expect(code).toBe(1);
        expect(err).toContain("The stack does not run v5");
        expect(read(dir)).toContain("pin: v5");
    });
});
