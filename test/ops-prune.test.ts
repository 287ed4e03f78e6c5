import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ops, project, startFake } from "./support/fake-aws/ops-harness";
import { seedStack } from "./support/fake-aws/seed";
import type { FakeAws } from "./support/fake-aws/server";

/**
 * `prune` end to end. What must hold whatever the ledger looks like: the running, previous and
 * pinned releases and the newest N keep every parameter and their ledger entries; everything
 * else of the pruned releases goes, and nothing outside them (the pointer, the ops record,
 * another stack) is touched — across SSM's short and empty pages, batches of at most 10 and
 * throttling.
 */

let fake: FakeAws;
beforeEach(async () => {
    fake = await startFake();
});
afterEach(() => fake.stop());

const stackFile = (pin?: string) => `config:\n  aws:region: eu-west-1\n  twelve-factor:app: shop\n${pin ? `  twelve-factor:release:\n    pin: ${pin}\n` : ""}`;
const ids = (prefix: string) => [...new Set(fake.ssm.names(prefix).map((n) => n.slice(prefix.length).split("/")[0]))].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));

describe("ops prune", () => {
    it("is a dry run without --yes: lists what it would delete and why the rest stays, deletes nothing", async () => {
        seedStack(fake, { releases: 12, running: "v9", previous: "v4" });
        const before = fake.ssm.names();
        const { code, out } = await ops(project({ dev: stackFile("v2") }), ["prune", "--keep", "3", "--stack", "dev"]);
        expect(code).toBe(0);
        expect(fake.ssm.names()).toEqual(before);
        expect(fake.callsTo("DeleteParameters")).toEqual([]);
        expect(out).toMatch(/^v9\s+\S+ \S+\s+-\s+keep \(running\)$/m);
        expect(out).toMatch(/^v4\s+.*keep \(previous\)$/m);
        expect(out).toMatch(/^v2\s+.*keep \(pinned\)$/m);
        expect(out).toMatch(/^v12\s+.*keep \(newest 3\)$/m);
        expect(out).toMatch(/^v1\s+\S+ \S+\s+5\s+delete$/m);
        expect(out).toContain("Dry run: 6 release(s), 30 parameter(s) would be deleted. Pass --yes to delete them.");
        expect(out).toMatch(/Standard parameters in this account and region \(eu-west-1\): \d+ of 10,000 \(counted with \d+ DescribeParameters call\(s\), 50 per page\)/);
    });

    it("never removes the running, previous or pinned release, with 150 releases paged and throttled", async () => {
        fake.throttleEvery = 5;
        seedStack(fake, { releases: 150, running: "v97", previous: "v31" });
        seedStack(fake, { stack: "prod", releases: 3 });
        const prodBefore = fake.ssm.names("/shop/prod/");
        const { code, out, err } = await ops(project({ dev: stackFile("v7") }), ["prune", "--keep", "10", "--stack", "dev", "--yes"]);
        expect(err.split("\r").pop()).toBe("\n");
        expect(code).toBe(0);
        const kept = ["v7", "v31", "v97", ...Array.from({ length: 10 }, (_, i) => `v${141 + i}`)].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
        expect(ids("/shop/dev/ledger/")).toEqual(kept);
        expect(ids("/shop/dev/releases/")).toEqual(kept);
        for (const id of kept) expect(fake.ssm.names(`/shop/dev/releases/${id}/`)).toHaveLength(4);
        // The stack's own records and the other stack are untouched.
        expect(fake.ssm.names("/shop/dev/").filter((n) => !/\/(ledger|releases)\//.test(n))).toEqual(["/shop/dev/database", "/shop/dev/ops", "/shop/dev/running"]);
        expect(fake.ssm.names("/shop/prod/")).toEqual(prodBefore);
        // Batches of at most 10; every release parameter before any ledger entry.
        const deletes = fake.callsTo("DeleteParameters").map((c) => c.input.Names as string[]);
        expect(Math.max(...deletes.map((d) => d.length))).toBe(10);
        const order = deletes.flat();
        expect(order).toHaveLength(137 * 5);
        expect(order.findIndex((n) => n.includes("/ledger/"))).toBe(137 * 4);
        expect(fake.calls.filter((c) => c.throttled).length).toBeGreaterThan(10);
        // The ledger and the parameters were read through short and empty pages.
        expect(fake.callsTo("GetParametersByPath").some((c) => c.input.NextToken !== undefined)).toBe(true);
        expect(out).toContain("Deleted 685 parameter(s) of 137 release(s)");
        expect(out).toContain("Standard parameters in this account and region (eu-west-1): ");
        expect(fake.ssm.decryptingCalls).toBe(0);
    });

    it("holds for every mix of keep, running, previous and pinned (seeded sweep)", async () => {
        let seed = 7;
        const random = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
        for (let round = 0; round < 12; round++) {
            await fake.stop();
            fake = await startFake();
            // Not denser: every throttled retry costs the SDK's retry quota 5 and a success refunds 1, so a storm exhausts it (as it would in AWS).
            fake.throttleEvery = 5 + random(5);
            fake.pageShape = [random(11), 0, random(11), -1];
            const count = 5 + random(40);
            const running = `v${1 + random(count)}`;
            const previous = random(4) === 0 ? undefined : `v${1 + random(count)}`;
            const pin = random(3) === 0 ? undefined : `v${1 + random(count)}`;
            const keep = random(6);
            seedStack(fake, { releases: count, running, previous });
            const { code, err } = await ops(project({ dev: stackFile(pin) }), ["prune", "--keep", String(keep), "--stack", "dev", "--yes", "--no-count"]);
            expect(code, err).toBe(0);
            const expected = Array.from({ length: count }, (_, i) => `v${i + 1}`).filter((id, i) => [running, previous, pin].includes(id) || i >= count - Math.max(keep, 1));
            const context = JSON.stringify({ count, running, previous, pin, keep });
            expect(ids("/shop/dev/ledger/"), context).toEqual(expected);
            expect(ids("/shop/dev/releases/"), context).toEqual(expected);
            for (const id of expected) expect(fake.ssm.names(`/shop/dev/releases/${id}/`), context).toHaveLength(4);
            for (const call of fake.callsTo("DeleteParameters")) expect((call.input.Names as string[]).length).toBeLessThanOrEqual(10);
        }
    });

    it("deletes nothing when the stack moves while it plans (a deploy or a rollback in between)", async () => {
        seedStack(fake, { releases: 8, running: "v8", previous: "v7" });
        let pointerReads = 0;
        fake.before = (target, input) => {
            // The re-read just before deleting finds v2 running (a rollback happened meanwhile).
            if (target === "AmazonSSM.GetParameter" && input.Name === "/shop/dev/running" && ++pointerReads === 2) fake.ssm.put("/shop/dev/running", JSON.stringify({ running: "v2", previous: "v8" }));
        };
        const before = fake.ssm.names();
        const { code, err } = await ops(project({ dev: stackFile() }), ["prune", "--keep", "1", "--stack", "dev", "--yes", "--no-count"]);
        expect(code).toBe(4);
        expect(err).toContain("the stack moved while prune was planning (it runs v2 now, and v2 is protected): nothing deleted");
        expect(fake.callsTo("DeleteParameters")).toEqual([]);
        expect(fake.ssm.names().filter((n) => !n.endsWith("/running"))).toEqual(before.filter((n) => !n.endsWith("/running")));
    });

    it("with --older-than keeps releases written since then", async () => {
        seedStack(fake, { releases: 10, written: (n) => new Date(Date.UTC(2026, 10, n)) });
        const now = () => new Date(Date.UTC(2026, 10, 10, 12));
        const { code, out } = await ops(project({ dev: stackFile() }), ["prune", "--keep", "1", "--older-than", "5", "--stack", "dev", "--yes", "--no-count"], { now });
        expect(code).toBe(0);
        expect(ids("/shop/dev/ledger/")).toEqual(["v6", "v7", "v8", "v9", "v10"]);
        expect(out).toMatch(/^v6\s+.*keep \(not old enough\)$/m);
    });

    it("refuses a bad --keep and a stack that was never deployed", async () => {
        expect((await ops(project(), ["prune", "--stack", "dev"])).err).toContain("--keep: expected how many of the newest releases to keep");
        const never = await ops(project(), ["prune", "--keep", "2", "--stack", "dev", "--yes"]);
        expect(never.code).toBe(3);
        expect(never.err).toContain("has no releases");
    });
});
