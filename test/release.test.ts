import { beforeAll, describe, expect, it } from "vitest";
import { fakeSecret, readStackConfig, Recorded, EvaluateOptions, Evaluation, evaluateStack, evaluateStackFailure, ssmAfter } from "./harness";

const parameterType = "aws:ssm/parameter:Parameter";
const taskDefinitionType = "aws:ecs/taskDefinition:TaskDefinition";
const otherImage = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-dev-build-repo@sha256:${"b".repeat(64)}`;

/** One `pulumi up` after another: the account's SSM state carries over, as it does in AWS. */
class History {
    ssm: Record<string, string> = {};
    runs: Evaluation[] = [];

    async up(options: Omit<EvaluateOptions, "stack" | "ssm">): Promise<Evaluation> {
        const run = await evaluateStack({ stack: "dev", ssm: this.ssm, ...options });
        this.ssm = ssmAfter(run, this.ssm);
        this.runs.push(run);
        return run;
    }
}

const releaseParameters = (run: Evaluation) => run.ofType(parameterType).filter((p) => String(p.inputs.name).includes("/releases/"));
const ledgerEntries = (run: Evaluation) => run.ofType(parameterType).filter((p) => String(p.inputs.name).includes("/ledger/"));
const taskDefinition = (run: Evaluation, process: string) => {
    const tds = run.ofType(taskDefinitionType).filter((td) => td.inputs.family === `shop-dev-${process}`);
    expect(tds).toHaveLength(1);
    return { ...tds[0], containers: JSON.parse(tds[0].inputs.containerDefinitions) as { name: string; image: string; secrets: { name: string; valueFrom: string }[]; environment: { name: string; value: string }[] }[] };
};
const inputsByName = (run: Evaluation) => new Map(run.resources.map((r) => [`${r.type}::${r.name}`, JSON.stringify(r.inputs)]));

describe("a release history: five releases, a rollback and a roll-forward", () => {
    const history = new History();
    const secrets = { SESSION_SECRET: fakeSecret("SESSION_SECRET") };
    let v1: Evaluation, again: Evaluation, v2: Evaluation, v3: Evaluation, v4: Evaluation, v5: Evaluation, rollback: Evaluation, rollforward: Evaluation;

    beforeAll(async () => {
        v1 = await history.up({ secrets });
        again = await history.up({ secrets });
        v2 = await history.up({ secrets, config: { env: { LOG_LEVEL: "info", WORKER_POLL_MS: "2000" } } });
        v3 = await history.up({ secrets: { SESSION_SECRET: "rotated-session-secret-value" }, config: { env: { LOG_LEVEL: "info", WORKER_POLL_MS: "2000" } } });
        const v4Config = { env: { LOG_LEVEL: "info", WORKER_POLL_MS: "2000" }, build: { image: otherImage } };
        v4 = await history.up({ secrets: { SESSION_SECRET: "rotated-session-secret-value" }, config: v4Config });
        const v5Config = { ...v4Config, env: { ...v4Config.env, FEATURE_CHECKOUT: "on" } };
        v5 = await history.up({ secrets: { SESSION_SECRET: "rotated-session-secret-value" }, config: v5Config });
        rollback = await history.up({ secrets: { SESSION_SECRET: "rotated-session-secret-value" }, config: { ...v5Config, release: { pin: "v2" } } });
        rollforward = await history.up({ secrets: { SESSION_SECRET: "rotated-session-secret-value" }, config: v5Config });
    });

    it("gives each change a new, increasing id and names what changed", () => {
        const summary = [v1, again, v2, v3, v4, v5].map((r) => [r.outputs.runningRelease, r.outputs.previousRelease, r.outputs.changedKeys]);
        expect(summary).toEqual([
            ["v1", "none", ["DATABASE_URL", "LOG_LEVEL", "SESSION_SECRET", "WORKER_POLL_MS"]],
            ["v1", "none", ["DATABASE_URL", "LOG_LEVEL", "SESSION_SECRET", "WORKER_POLL_MS"]],
            ["v2", "v1", ["LOG_LEVEL"]],
            ["v3", "v2", ["SESSION_SECRET"]],
            ["v4", "v3", []],
            ["v5", "v4", ["FEATURE_CHECKOUT"]],
        ]);
        expect(v5.outputs.releaseChanges).toEqual({ added: ["FEATURE_CHECKOUT"], changed: [], removed: [], processes: [] });
        expect(new Set([v1, v2, v3, v4, v5].map((r) => r.outputs.releaseDigest)).size).toBe(5);
    });

    it("same build and same config is the same release: the second up only drops the build resource from the state", () => {
        const withoutBuild = new Map([...inputsByName(v1)].filter(([k]) => !k.startsWith("docker:")));
        expect(inputsByName(again)).toEqual(withoutBuild);
        expect(again.ofType("docker:index/image:Image")).toEqual([]);
    });

    it("gives every release its own parameter set: String for plain values, SecureString for secrets", () => {
        const params = releaseParameters(v3).map((p) => [p.inputs.name, p.inputs.type]);
        expect(params).toEqual([
            ["/shop/dev/releases/v3/DATABASE_URL", "SecureString"],
            ["/shop/dev/releases/v3/LOG_LEVEL", "String"],
            ["/shop/dev/releases/v3/SESSION_SECRET", "SecureString"],
            ["/shop/dev/releases/v3/WORKER_POLL_MS", "String"],
        ]);
        const secret = releaseParameters(v3).find((p) => p.inputs.name.endsWith("SESSION_SECRET"))!;
        expect(secret.inputs.value).toBe("rotated-session-secret-value");
        expect(secret.secretInputs).toEqual(["value"]);
        expect(releaseParameters(v3).find((p) => p.inputs.name.endsWith("LOG_LEVEL"))!.inputs.insecureValue).toBe("info");
    });

    it("records a ledger entry with the digest, image, keys and value hashes but no values", () => {
        const [entry] = ledgerEntries(v3);
        expect(entry.inputs.name).toBe("/shop/dev/ledger/v3");
        const manifest = JSON.parse(entry.inputs.insecureValue);
        expect(Object.keys(manifest).sort()).toEqual(["build", "built", "digest", "id", "image", "keys", "migrationHead", "processes", "secretKeys"]);
        // The newest migration the sample app's source carries (app/src/migrations.js).
        expect(manifest.migrationHead).toMatch(/^\d+_[a-z_]+$/);
        expect(manifest.processes.web).toEqual({ command: ["node", "src/web.js"], port: 8080, healthCheckPath: "/healthz", healthCheckCommand: ["node", "src/healthcheck.js"], phase: "run" });
        expect(manifest.id).toBe("v3");
        expect(manifest.digest).toBe(v3.outputs.releaseDigest);
        expect(manifest.image).toMatch(/@sha256:[0-9a-f]{64}$/);
        expect(Object.keys(manifest.keys)).toEqual(["DATABASE_URL", "LOG_LEVEL", "SESSION_SECRET", "WORKER_POLL_MS"]);
        expect(manifest.secretKeys).toEqual(["DATABASE_URL", "SESSION_SECRET"]);
        expect(entry.inputs.insecureValue).not.toContain("rotated-session-secret-value");
        expect(entry.inputs.insecureValue).not.toContain("info\"");
        expect(entry.dependsOn).toEqual(expect.arrayContaining(releaseParameters(v3).map((p) => p.name)));
    });

    it("never modifies a release: a parameter declared again always has the same inputs", () => {
        const seen = new Map<string, string>();
        for (const run of history.runs) {
            for (const p of [...releaseParameters(run), ...ledgerEntries(run)]) {
                const inputs = JSON.stringify(p.inputs);
                if (seen.has(p.inputs.name)) expect(inputs, p.inputs.name).toBe(seen.get(p.inputs.name));
                seen.set(p.inputs.name, inputs);
            }
        }
        expect([...seen.keys()].filter((n) => n.includes("/ledger/"))).toEqual(["v1", "v2", "v3", "v4", "v5"].map((id) => `/shop/dev/ledger/${id}`));
    });

    it("keeps releases in AWS after they leave the stack (retainOnDelete on parameters and ledger entries)", () => {
        for (const run of history.runs) {
            for (const p of [...releaseParameters(run), ...ledgerEntries(run)]) expect(p.retainOnDelete, p.name).toBe(true);
        }
        expect(v2.named("shop-dev-running").retainOnDelete).toBe(false);
        // v1's records are not declared once v2 exists: they left the stack and stay in AWS.
        expect(releaseParameters(v2).every((p) => p.inputs.name.includes("/v2/"))).toBe(true);
        expect(history.ssm["/shop/dev/ledger/v1"]).toBeDefined();
    });

    it("rolls back by config: the pinned release's image and parameters, nothing rebuilt or rewritten", () => {
        expect(rollback.outputs).toMatchObject({ runningRelease: "v2", previousRelease: "v5", newestRelease: "v5", changedKeys: ["FEATURE_CHECKOUT", "SESSION_SECRET"] });
        const web = taskDefinition(rollback, "web");
        expect(web.name).toBe("shop-dev-web-v2");
        expect(web.inputs.tags.release).toBe("v2");
        const v2Image = taskDefinition(v2, "web").containers[0].image;
        expect(web.containers.map((c) => c.image)).toEqual([v2Image, v2Image]);
        expect(rollback.outputs.image).toBe(v2Image);
        expect(web.containers[1].secrets.map((s) => s.valueFrom)).toEqual(taskDefinition(v2, "web").containers[1].secrets.map((s) => s.valueFrom));
        expect(web.containers[1].secrets.every((s) => s.valueFrom.includes(":parameter/shop/dev/releases/v2/"))).toBe(true);
        // A pinned stack is frozen: nothing of any release is declared (v2's records exist, v5's are kept).
        expect(releaseParameters(rollback)).toEqual([]);
        expect(ledgerEntries(rollback)).toEqual([]);
        const service = rollback.named("shop-dev-web");
        // The service runs the task definition registered for v2 in this very run.
        expect(service.inputs.taskDefinition).toBe(rollback.named("shop-dev-web-v2").outputs.arn);
        expect(service.inputs.tags.release).toBe("v2");
    });

    it("rolls forward by removing the pin: the newest release runs again, no new release is made", () => {
        expect(rollforward.outputs).toMatchObject({ runningRelease: "v5", previousRelease: "v2", newestRelease: "v5" });
        expect(taskDefinition(rollforward, "web").name).toBe("shop-dev-web-v5");
        expect(ledgerEntries(rollforward).map((p) => JSON.stringify(p.inputs))).toEqual(ledgerEntries(v5).map((p) => JSON.stringify(p.inputs)));
        expect(taskDefinition(rollforward, "web").inputs.containerDefinitions).toBe(taskDefinition(v5, "web").inputs.containerDefinitions);
    });

    it("records which release runs and which ran before in /<app>/<stack>/running, after the services", () => {
        const pointer = rollback.named("shop-dev-running");
        const v2Image = taskDefinition(v2, "web").containers[0].image;
        expect(pointer.inputs).toMatchObject({ name: "/shop/dev/running", type: "String", overwrite: true });
        expect(JSON.parse(pointer.inputs.insecureValue)).toEqual({ running: "v2", previous: "v5", image: v2Image, platform: "linux/amd64" });
        expect(pointer.dependsOn).toEqual(["shop-dev-web", "shop-dev-worker"]);
    });

    it("fails clearly when the pinned release is not in the ledger, declaring nothing", async () => {
        const { error, resources } = await evaluateStackFailure({ stack: "dev", ssm: history.ssm, config: { release: { pin: "v9" } } });
        expect(error.message).toBe("twelve-factor:release.pin: release v9 is not in this stack's ledger (known releases: v1, v2, v3, v4, v5)");
        expect(resources.filter((r) => r.custom)).toEqual([]);
    });

    it("never shows a secret value in plain text in any input or stack output", () => {
        const secretValues = [fakeSecret("SESSION_SECRET"), "rotated-session-secret-value"];
        for (const run of history.runs) {
            const password = run.ofType("random:index/randomPassword:RandomPassword");
            expect(password).toHaveLength(1);
            const url = releaseParameters(run).find((p) => p.inputs.name.endsWith("DATABASE_URL"));
            const values = [...secretValues, String(run.named("shop-dev-db-instance").inputs.password), ...(url ? [String(url.inputs.value)] : [])];
            const plain = (r: Recorded) => JSON.stringify(Object.fromEntries(Object.entries(r.inputs).filter(([k]) => !r.secretInputs.includes(k))));
            for (const r of run.resources) {
                for (const value of values) expect(plain(r), `${r.name} shows a secret`).not.toContain(value);
            }
            for (const value of values) expect(JSON.stringify(run.outputs)).not.toContain(value);
            if (url) expect(url.secretInputs).toEqual(["value"]);
            expect(run.named("shop-dev-db-instance").secretInputs).toContain("password");
        }
    });
});

describe("process definitions belong to the release; sizes do not", () => {
    const processes = readStackConfig("dev").config["twelve-factor:processes"] as Record<string, Record<string, unknown>>;

    it("makes a new release for a new command, and a rollback runs the old command at today's size", async () => {
        const first = await evaluateStack({ stack: "dev" });
        const changed = { ...processes, worker: { ...processes.worker, command: ["node", "src/worker.js", "--fast"] } };
        const second = await evaluateStack({ stack: "dev", ssm: ssmAfter(first), config: { processes: changed } });
        expect(second.outputs).toMatchObject({ runningRelease: "v2", changedKeys: [], releaseChanges: { processes: ["worker"] } });
        const bigger = { ...changed, worker: { ...changed.worker, cpu: 1024, memory: 2048, count: 4 } };
        const rollback = await evaluateStack({ stack: "dev", ssm: ssmAfter(second, ssmAfter(first)), config: { processes: bigger, release: { pin: "v1" } } });
        const worker = rollback.named("shop-dev-worker-v1");
        expect(JSON.parse(worker.inputs.containerDefinitions)[1].command).toEqual(["node", "src/worker.js"]);
        expect(worker.inputs).toMatchObject({ cpu: "1024", memory: "2048" });
        expect(rollback.named("shop-dev-worker").inputs.desiredCount).toBe(4);
    });

    it("keeps the release when only the formation changes", async () => {
        const first = await evaluateStack({ stack: "dev" });
        const scaled = await evaluateStack({ stack: "dev", ssm: ssmAfter(first), config: { processes: { ...processes, web: { ...processes.web, count: 3, cpu: 512, memory: 1024 } } } });
        expect(scaled.outputs).toMatchObject({ runningRelease: "v1", newestRelease: "v1" });
        expect(scaled.named("shop-dev-web").inputs.desiredCount).toBe(3);
    });

    it("refuses a pin whose processes today's config does not size, declaring nothing", async () => {
        const first = await evaluateStack({ stack: "dev" });
        const { worker: _dropped, ...withoutWorker } = processes;
        const { error, resources } = await evaluateStackFailure({ stack: "dev", ssm: ssmAfter(first), config: { processes: withoutWorker, release: { pin: "v1" } } });
        expect(error.message).toContain('twelve-factor:processes.worker: release v1 runs process "worker"');
        expect(resources.filter((r) => r.custom)).toEqual([]);
    });
});

describe("ids after a failed or destroyed deploy", () => {
    it("skips an id whose parameters a failed deploy left without a ledger entry, so nothing is rewritten", async () => {
        const first = await evaluateStack({ stack: "dev" });
        const ssm = { ...ssmAfter(first), "/shop/dev/releases/v2/LOG_LEVEL": "trace", "/shop/dev/releases/v2/DATABASE_URL": "postgresql://orphan" };
        const next = await evaluateStack({ stack: "dev", ssm, config: { env: { LOG_LEVEL: "warn", WORKER_POLL_MS: "2000" } } });
        expect(next.outputs).toMatchObject({ runningRelease: "v3", previousRelease: "v1" });
        expect(releaseParameters(next).every((p) => p.inputs.name.includes("/releases/v3/"))).toBe(true);
    });

    it("after a destroy (kept records, no pointer) makes a new release instead of re-declaring v1 with values that may differ", async () => {
        const first = await evaluateStack({ stack: "dev" });
        const { "/shop/dev/running": _pointer, ...kept } = ssmAfter(first);
        const again = await evaluateStack({ stack: "dev", ssm: kept });
        expect(again.outputs).toMatchObject({ newestRelease: "v2", plannedRelease: { running: "v2", previous: "none" } });
        expect([...releaseParameters(again), ...ledgerEntries(again)].every((p) => p.inputs.name.includes("/v2"))).toBe(true);
    });
});

describe("the release digest", () => {
    it("is the same whatever order the config keys come in", async () => {
        const a = await evaluateStack({ stack: "dev", config: { env: { LOG_LEVEL: "debug", WORKER_POLL_MS: "2000" } } });
        const b = await evaluateStack({ stack: "dev", config: { env: { WORKER_POLL_MS: "2000", LOG_LEVEL: "debug" } } });
        expect(a.outputs.releaseDigest).toBe(b.outputs.releaseDigest);
    });

    it("changes when only a secret changes, without revealing it", async () => {
        const a = await evaluateStack({ stack: "dev", secrets: { SESSION_SECRET: "one" } });
        const b = await evaluateStack({ stack: "dev", secrets: { SESSION_SECRET: "two" } });
        expect(a.outputs.releaseDigest).not.toBe(b.outputs.releaseDigest);
        const hashes = (r: Evaluation) => JSON.parse(ledgerEntries(r)[0].inputs.insecureValue).keys;
        expect(hashes(a).SESSION_SECRET).not.toBe(hashes(b).SESSION_SECRET);
        expect(hashes(a).LOG_LEVEL).toBe(hashes(b).LOG_LEVEL);
    });
});
