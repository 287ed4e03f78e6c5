import { existsSync, readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { RunResult, runStack } from "./harness";
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

interface Baseline {
    urn: string;
    inputs: unknown;
}

const scenarios: Record<string, () => Promise<RunResult>> = {
    dev: () => runStack({ stack: "dev", config: { build } }),
    prod: () => runStack({ stack: "prod", stackOutputs: { dev: { image: devImage, platform: "linux/amd64" } } }),
    "dev-pinned": async () => {
        const account = new SimulatedAccount();
        account.deploy(await runStack({ stack: "dev", account, config: { build } }));
        account.deploy(await runStack({ stack: "dev", account, config: { build, env: { LOG_LEVEL: "info", WORKER_POLL_MS: "2000" } } }));
        return runStack({ stack: "dev", account, config: { build, env: { LOG_LEVEL: "info", WORKER_POLL_MS: "2000" }, release: { pin: "v1" } } });
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
        for (const old of before) {
            const found = byUrn.get(old.urn);
            expect(found, `${old.urn} is gone: Pulumi would delete it and create another`).toBeDefined();
            expect(found!.inputs, old.urn).toEqual(old.inputs);
        }
        expect(run.resources).toHaveLength(before.length);
    });
});
