import { existsSync, readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { Evaluation, evaluateStack } from "./harness";
import { SimulatedAccount } from "./support/simulated-account";

/**
 * Moving code must not replace what existing stacks run: every resource keeps its URN (or
 * carries an alias from it) and receives the same inputs. The baselines in test/baseline/ were
 * recorded from the commit before the move (RECORD_BASELINE=1 writes them) and are compared
 * on every run since.
 */

const baselineDir = path.join(__dirname, "baseline");
// A build context of fixed content, so the baseline does not follow the sample app's source.
const build = { context: "test/fixtures/build-context", dockerfile: "Dockerfile", platform: "linux/amd64" };
const devImage = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-dev-build-repo@sha256:${"d".repeat(64)}`;

/**
 * Changed on purpose after the baseline was recorded — fixes from the independent review of the
 * lifecycle work, not the move — each with its reason. Everything else must match exactly.
 */
const changedOnPurpose: { urn: RegExp; field: string; why: string; undo?: (value: unknown) => unknown }[] = [
    { urn: /randomPassword:RandomPassword::/, field: "keepers", why: "no keeper at passwordVersion 1, so stacks deployed before it existed keep their password" },
    // The random provider keeps a password whose keepers are removed; the mock derives it from them.
    { urn: /rds\/instance:Instance::/, field: "password", why: "the mock's password follows the keepers above" },
    { urn: /-release-v\d+-DATABASE_URL$/, field: "value", why: "it carries that password" },
    { urn: /randomId:RandomId::/, field: "keepers", why: "the snapshot suffix follows what replaces the instance" },
    { urn: /rds\/instance:Instance::/, field: "finalSnapshotIdentifier", why: "it carries that suffix" },
    // Compared with the release taken back out of the prefix, so the rest of the definitions still must match.
    {
        urn: /ecs\/taskDefinition:TaskDefinition::/, field: "containerDefinitions",
        why: "issue 14: the awslogs stream prefix carries the release (<process>/<release>), so `ops logs` filters by process and release",
        undo: (value) => String(value).replace(/("awslogs-stream-prefix\\?":\\?")([a-z][a-z0-9]*)\/v[1-9][0-9]*/g, "$1$2"),
    },
    { urn: /ecs\/service:Service::/, field: "taskDefinition", why: "the task definition revision that carries that prefix (same family)", undo: (value) => String(value).replace(/:\d+$/, "") },
];
const goneOnPurpose: { scenario: string; type: string; why: string }[] = [
    { scenario: "dev-pinned", type: "docker:index/image:Image", why: "a pinned stack is frozen: it builds nothing" },
];
const typeOf = (urn: string) => urn.split("::")[2].split("$").pop()!;
const comparable = (urn: string, inputs: unknown) => {
    const changed = changedOnPurpose.filter((c) => c.urn.test(urn));
    return Object.fromEntries(Object.entries(inputs as Record<string, unknown>).flatMap(([k, v]) => {
        const entry = changed.find((c) => c.field === k);
        if (entry === undefined) return [[k, v]];
        return entry.undo === undefined ? [] : [[k, entry.undo(v)]];
    }));
};

interface Baseline {
    urn: string;
    inputs: unknown;
}

const scenarios: Record<string, () => Promise<Evaluation>> = {
    dev: () => evaluateStack({ stack: "dev", config: { build } }),
    prod: () => evaluateStack({ stack: "prod", stackOutputs: { dev: { image: devImage, platform: "linux/amd64" } } }),
    "dev-pinned": async () => {
        const account = new SimulatedAccount();
        account.deploy(await evaluateStack({ stack: "dev", account, config: { build } }));
        account.deploy(await evaluateStack({ stack: "dev", account, config: { build, env: { LOG_LEVEL: "info", WORKER_POLL_MS: "2000" } } }));
        return evaluateStack({ stack: "dev", account, config: { build, env: { LOG_LEVEL: "info", WORKER_POLL_MS: "2000" }, release: { pin: "v1" } } });
    },
};

describe("the move keeps every resource of existing stacks", () => {
    it.each(Object.keys(scenarios))("%s: same URN (or an alias from it) and same inputs as before the move", async (scenario) => {
        const run = await scenarios[scenario]();
        const now: Baseline[] = run.resources.map((r) => ({ urn: r.urn, inputs: r.inputs }));
        const file = path.join(baselineDir, `${scenario}.json`);
        if (process.env.RECORD_BASELINE === "1") writeFileSync(file, `${JSON.stringify(now, null, 1)}\n`);
        expect(existsSync(file), `${file} (record it from the commit before the move)`).toBe(true);
        const before = JSON.parse(readFileSync(file, "utf8")) as Baseline[];
        const byUrn = new Map(run.resources.flatMap((r) => [r.urn, ...r.aliases].map((u) => [u, r] as const)));
        const expected = before.filter((old) => !goneOnPurpose.some((g) => g.scenario === scenario && g.type === typeOf(old.urn)));
        for (const old of expected) {
            const found = byUrn.get(old.urn);
            expect(found, `${old.urn} is gone: Pulumi would delete it and create another`).toBeDefined();
            expect(comparable(old.urn, found!.inputs), old.urn).toEqual(comparable(old.urn, old.inputs));
        }
        // Later features may add resources; none of the baseline's may go or change.
        expect(new Set(expected.map((old) => byUrn.get(old.urn))).size).toBe(expected.length);
    });
});
