// npm run bench: evaluates the dev stack, the prod stack and a synthetic large stack
// (about 190 config keys, 8 process types) under Pulumi's mocks, one process per scenario; then
// times `npm run check` against a one-resource program. BENCH_ONLY=check runs the second part only.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "bench-"));
const rows = [];
for (const scenario of process.env.BENCH_ONLY === "check" ? [] : ["dev", "prod", "large"]) {
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
if (rows.length > 0) {
    console.log(`| ${columns.map(([h]) => h).join(" | ")} |`);
    console.log(`|${columns.map(() => "---").join("|")}|`);
    for (const r of rows) console.log(`| ${columns.map(([, f]) => f(r)).join(" | ")} |`);
}

// `npm run check` against the smallest Pulumi program on the same provider, each a whole process
// started the same way (node scripts/run-ts.js: the transpile and V8 code caches warm, Pulumi's
// mocks, the simulated account): median wall time of RUNS interleaved runs after one warm-up.
const runs = Number(process.env.RUNS ?? 7);
const timed = {
    "one-resource program (bench/one-resource)": ["bench/one-resource/main.ts"],
    "npm run check -- --stack dev": ["check/main.ts", "--stack", "dev"],
    "npm run check -- --stack prod": ["check/main.ts", "--stack", "prod"],
};
const times = Object.fromEntries(Object.keys(timed).map((k) => [k, []]));
for (let i = -1; i < runs; i++) {
    for (const [name, args] of Object.entries(timed)) {
        const started = performance.now();
        const run = spawnSync(process.execPath, ["scripts/run-ts.js", ...args], { stdio: "ignore" });
        const ms = performance.now() - started;
        if (run.status !== 0) {
            console.error(`bench: ${name} failed (exit ${run.status})`);
            process.exit(1);
        }
        if (i >= 0) times[name].push(ms);
    }
}
const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const base = median(times["one-resource program (bench/one-resource)"]);
if (rows.length > 0) console.log("");
console.log("| whole process | median ms | fastest ms | ratio to the one-resource program |");
console.log("|---|---|---|---|");
for (const [name, list] of Object.entries(times)) console.log(`| ${name} | ${Math.round(median(list))} | ${Math.round(Math.min(...list))} | ${(median(list) / base).toFixed(2)} |`);
