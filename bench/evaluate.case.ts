import { writeFileSync } from "fs";
import { it } from "vitest";
import { readStackConfig, EvaluateOptions, Evaluation, evaluateStack, ssmAfter } from "../test/harness";

/**
 * One benchmark scenario (SCENARIO=dev|prod|large): evaluates the stack under mocks, then
 * evaluates a one-key config change on top of it, and writes the figures to BENCH_OUT.
 */
const scenario = process.env.SCENARIO ?? "dev";
const devImage = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-dev-build-repo-1a2b3c4@sha256:${"0".repeat(64)}`;

function options(): EvaluateOptions {
    if (scenario === "prod") return { stack: "prod", stackOutputs: { dev: { image: devImage } } };
    if (scenario !== "large") return { stack: "dev" };
    const processes = readStackConfig("dev").config["twelve-factor:processes"] as Record<string, object>;
    const workers = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`worker${i + 2}`, processes.worker]));
    const env = Object.fromEntries(Array.from({ length: 190 }, (_, i) => [`SETTING_${String(i + 1).padStart(3, "0")}`, `value-${i + 1}`]));
    return { stack: "dev", config: { env, processes: { ...processes, ...workers } } };
}

/** Resources a deploy would create or update to go from one run to the next. */
function writes(before: Evaluation, after: Evaluation): { creates: number; updates: number } {
    const old = new Map(before.resources.filter((r) => r.custom).map((r) => [`${r.type}::${r.name}`, JSON.stringify(r.inputs)]));
    let creates = 0;
    let updates = 0;
    for (const r of after.resources.filter((r) => r.custom)) {
        const previous = old.get(`${r.type}::${r.name}`);
        if (previous === undefined) creates++;
        else if (previous !== JSON.stringify(r.inputs)) updates++;
    }
    return { creates, updates };
}

it(`evaluates the ${scenario} stack`, async () => {
    const base = options();
    const started = performance.now();
    const first = await evaluateStack(base);
    const coldMs = performance.now() - started;

    const env = { ...((base.config?.env as Record<string, string>) ?? (readStackConfig(base.stack).config["twelve-factor:env"] as Record<string, string>)), LOG_LEVEL: "warn" };
    const warmStart = performance.now();
    const next = await evaluateStack({ ...base, ssm: ssmAfter(first), config: { ...base.config, env } });
    const warmMs = performance.now() - warmStart;

    const ledger = next.ofType("aws:ssm/parameter:Parameter").find((p) => String(p.inputs.name).includes("/ledger/"))!;
    const result = {
        scenario,
        configKeys: next.ofType("aws:ssm/parameter:Parameter").filter((p) => String(p.inputs.name).includes("/releases/")).length,
        processTypes: next.ofType("aws:ecs/taskDefinition:TaskDefinition").length,
        resources: first.resources.filter((r) => r.custom).length,
        components: first.resources.filter((r) => !r.custom).length - 1,
        coldMs: Math.round(coldMs),
        warmMs: Math.round(warmMs),
        peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
        writesPerRelease: writes(first, next),
        ledgerEntryBytes: Buffer.byteLength(ledger.inputs.insecureValue),
        largestTaskDefinitionBytes: Math.max(...next.ofType("aws:ecs/taskDefinition:TaskDefinition").map((t) => Buffer.byteLength(t.inputs.containerDefinitions))),
    };
    writeFileSync(process.env.BENCH_OUT ?? `/tmp/bench-${scenario}.json`, JSON.stringify(result));
});
