// npm run bench: evaluates the dev stack, the prod stack and a synthetic large stack
// (about 190 config keys, 8 process types) under Pulumi's mocks, one process per scenario.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "bench-"));
const rows = [];
for (const scenario of ["dev", "prod", "large"]) {
    const out = join(dir, `${scenario}.json`);
    const run = spawnSync("npx", ["vitest", "run", "--config", "bench/vitest.config.mts", "--silent"], {
        env: { ...process.env, SCENARIO: scenario, BENCH_OUT: out },
        stdio: ["ignore", "ignore", "inherit"],
    });
    if (run.status !== 0) {
        console.error(`bench: scenario ${scenario} failed (exit ${run.status})`);
        process.exit(1);
    }
    rows.push(JSON.parse(readFileSync(out, "utf8")));
}

const columns = [
    ["scenario", (r) => r.scenario],
    ["config keys", (r) => r.configKeys],
    ["task defs", (r) => r.processTypes],
    ["resources", (r) => r.resources],
    ["first eval ms", (r) => r.coldMs],
    ["next eval ms", (r) => r.warmMs],
    ["peak RSS MiB", (r) => r.peakRssMiB],
    ["AWS writes per release (create+update)", (r) => `${r.writesPerRelease.creates}+${r.writesPerRelease.updates}`],
    ["ledger entry bytes", (r) => r.ledgerEntryBytes],
    ["largest containerDefinitions bytes", (r) => r.largestTaskDefinitionBytes],
];
console.log(`| ${columns.map(([h]) => h).join(" | ")} |`);
console.log(`|${columns.map(() => "---").join("|")}|`);
for (const r of rows) console.log(`| ${columns.map(([, f]) => f(r)).join(" | ")} |`);
