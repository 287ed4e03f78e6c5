import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ops, project, startFake } from "./support/fake-aws/ops-harness";
import { seedStack } from "./support/fake-aws/seed";
import type { FakeAws } from "./support/fake-aws/server";

/** `releases` and `release <id>` end to end: the real SDK clients against the fake endpoint. */

let fake: FakeAws;
beforeAll(async () => {
    fake = await startFake();
    fake.throttleEvery = 7;
    seedStack(fake, {
        releases: 23,
        running: "v21",
        previous: "v19",
        env: (n) => ({ LOG_LEVEL: n < 5 ? "debug" : "info", WORKER_POLL_MS: "2000", ...(n >= 10 ? { FEATURE_X: "on" } : {}) }),
        secrets: (n) => ({ SESSION_SECRET: n < 15 ? "old-session-secret" : "new-session-secret", DATABASE_URL: "postgresql://app:pw@db:5432/shop" }),
        migrationHead: (n) => (n < 3 ? undefined : `${Math.floor(n / 4)}_m`),
    });
});
afterAll(() => fake.stop());

const pinned = (pin: string) => project({ dev: `config:\n  aws:region: eu-west-1\n  twelve-factor:app: shop\n  twelve-factor:release:\n    pin: ${pin}\n` });

describe("ops releases", () => {
    it("lists every release newest first, across short and empty pages and throttling", async () => {
        const { code, out, err } = await ops(pinned("v20"), ["releases", "--stack", "dev"]);
        expect(err).toBe("");
        expect(code).toBe(0);
        const lines = out.trim().split("\n");
        expect(lines[0]).toMatch(/^RELEASE\s+WRITTEN\s+BY\s+IMAGE\s+MIGRATION\s+STATE\s+CHANGES$/);
        const ids = lines.slice(1).filter((l) => /^v\d+ /.test(l)).map((l) => l.split(/\s+/)[0]);
        expect(ids).toEqual(Array.from({ length: 23 }, (_, i) => `v${23 - i}`));
        const row = (id: string) => lines.find((l) => l.startsWith(`${id} `))!;
        expect(row("v21")).toMatch(/\brunning\b/);
        expect(row("v19")).toMatch(/\bprevious\b/);
        expect(row("v20")).toMatch(/\bpinned\b/);
        expect(row("v23")).toMatch(/ - /);
        // Who and when: the ledger entry's metadata.
        expect(row("v5")).toContain("2026-11-01 05:00Z");
        expect(row("v5")).toContain("assumed-role/deploy/run-5");
        expect(row("v5")).toMatch(/sha256:[0-9a-f]{12}\s/);
        // Changes against the release before it, names only.
        expect(row("v5")).toMatch(/image ~LOG_LEVEL$/);
        expect(row("v10")).toMatch(/image \+FEATURE_X$/);
        expect(row("v15")).toMatch(/image ~SESSION_SECRET$/);
        expect(row("v1")).toMatch(/\(first release\)$/);
        expect(row("v12")).toMatch(/\s3_m\s/);
        expect(row("v1")).toMatch(/\s-\s+-\s+\(first/);
        expect(out).toContain("pinned to v20 in its stack file, but v21 runs");
        // It really was paged and throttled, and never asked for a decrypted value.
        expect(fake.callsTo("GetParametersByPath").length).toBeGreaterThan(3);
        expect(fake.calls.some((c) => c.throttled)).toBe(true);
        expect(fake.ssm.decryptingCalls).toBe(0);
        expect(out).not.toMatch(/secret-value|old-session-secret|new-session-secret|postgresql:/);
    });

    it("prints JSON on request", async () => {
        const { code, out } = await ops(project(), ["releases", "--stack", "dev", "--json"]);
        expect(code).toBe(0);
        const rows = JSON.parse(out);
        expect(rows).toHaveLength(23);
        expect(rows[2]).toMatchObject({ id: "v21", running: true, previous: false, pinned: false, migrationHead: "5_m", by: "arn:aws:sts::123456789012:assumed-role/deploy/run-21" });
        expect(rows.find((r: { id: string }) => r.id === "v10").changes).toEqual({ image: true, added: ["FEATURE_X"], changed: [], removed: [] });
        expect(rows[22].written).toBe("2026-11-01T01:00:00.000Z");
    });

    it("says when the stack was never deployed in this account and region", async () => {
        const { code, err } = await ops(project({ qa: "config:\n  aws:region: eu-west-1\n  twelve-factor:app: shop\n" }), ["releases", "--stack", "qa"]);
        expect(code).toBe(3);
        expect(err).toContain("stack qa has no releases in /shop/qa/ledger (eu-west-1)");
        expect(err).toContain("never deployed");
    });
});

describe("ops release <id>", () => {
    it("shows one release in full: image, processes, keys with their hashes, secrets marked, no value", async () => {
        const { code, out } = await ops(project(), ["release", "v15", "--stack", "dev"]);
        expect(code).toBe(0);
        expect(out).toMatch(/^release\s+v15$/m);
        expect(out).toMatch(/^image\s+123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/shop-dev-build-repo@sha256:[0-9a-f]{64}$/m);
        expect(out).toMatch(/^migration\s+3_m$/m);
        expect(out).toMatch(/^\s+web\s+node src\/web\.js\s+8080\s+\/healthz\s+run$/m);
        expect(out).toMatch(/^\s+migrate\s+node src\/migrate\.js\s+-\s+-\s+release$/m);
        expect(out).toMatch(/^\s+SESSION_SECRET\s+[0-9a-f]{16}\s+SecureString\s+secret$/m);
        expect(out).toMatch(/^\s+LOG_LEVEL\s+[0-9a-f]{16}\s+String$/m);
        expect(out).toContain("parameters all 5 present under /shop/dev/releases/v15: it can run again");
        expect(out).not.toMatch(/new-session-secret|postgresql:|AQICAH/);
        expect(fake.ssm.decryptingCalls).toBe(0);
    });

    it("says which parameters of a pruned release are gone", async () => {
        fake.ssm.parameters.delete("/shop/dev/releases/v2/LOG_LEVEL");
        const { out } = await ops(project(), ["release", "v2", "--stack", "dev", "--json"]);
        expect(JSON.parse(out)).toMatchObject({ id: "v2", parameters: { present: 3, missing: ["LOG_LEVEL"] } });
    });

    it("names the known releases when the id is unknown", async () => {
        const { code, err } = await ops(project(), ["release", "v99", "--stack", "dev"]);
        expect(code).toBe(3);
        expect(err).toContain("release v99 is not in the ledger");
        expect(err).toContain("v1, v2, v3 … v20, v21, v22, v23");
    });
});

describe("errors say what to do", () => {
    it("a malformed ledger entry, and an AWS error without a stack trace", async () => {
        fake.ssm.put("/shop/dev/ledger/v24", "not json");
        const bad = await ops(project(), ["releases", "--stack", "dev"]);
        expect(bad.code).toBe(1);
        expect(bad.err).toContain("Ledger entry /shop/dev/ledger/v24 is not JSON");
        expect(bad.err).toContain("get-parameter-history");
        fake.ssm.parameters.delete("/shop/dev/ledger/v24");
        fake.ssm.put("/shop/dev/ops", JSON.stringify({ region: "eu-west-1", cluster: "gone-cluster", logGroup: "/ecs/shop-dev", release: "v23", processes: { web: { family: "shop-dev-web", taskDefinitionArn: "arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-dev-web:1", container: "web" } }, network: { subnets: ["subnet-1"], securityGroups: [], assignPublicIp: false }, execEnabled: false }));
        const gone = await ops(project(), ["run", "web", "--stack", "dev"]);
        expect(gone.code).toBe(1);
        expect(gone.err).toBe("ops run: AWS answered ClusterNotFoundException: Cluster not found.\n");
    });
});
