import { cpSync, mkdtempSync, readdirSync, rmSync, statSync, chmodSync, symlinkSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { projectRoot, readStackConfig, EvaluateOptions, Evaluation, evaluateStack, evaluateStackFailure } from "./harness";
import { DeployError, SimulatedAccount } from "./support/simulated-account";

/**
 * Sequence tests: several `pulumi up`s (and destroys) against one simulated account and
 * backend, which enforces the AWS rules that bite across deploys (immutable ECR tags, unique
 * names, SSM limits, protected resources, subnets in use).
 */

const serviceType = "aws:ecs/service:Service";
const parameterType = "aws:ssm/parameter:Parameter";
const releaseRecords = (run: Evaluation) => run.ofType(parameterType).filter((p) => /\/(releases|ledger)\//.test(p.inputs.name));
const images = (run: Evaluation) => run.ofType("docker:index/image:Image");
const processes = readStackConfig("dev").config["twelve-factor:processes"] as Record<string, Record<string, unknown>>;
const devDatabase = readStackConfig("dev").config["twelve-factor:database"] as { owned: Record<string, unknown> } & Record<string, unknown>;
const deletableDatabase = { ...devDatabase, owned: { ...devDatabase.owned, allowDelete: true, deletionProtection: false } };

/** Evaluates and deploys; returns the evaluation. */
async function up(account: SimulatedAccount, options: Omit<EvaluateOptions, "account">, fail?: (r: { type: string; name: string }) => string | undefined): Promise<Evaluation> {
    const run = await evaluateStack({ ...options, account });
    account.deploy(run, { fail });
    return run;
}

/** A build context of its own, so a test can change the source. */
function sourceDir(): { dir: string; write(text: string): void } {
    const dir = mkdtempSync(path.join(tmpdir(), "lifecycle-src-"));
    writeFileSync(path.join(dir, "Dockerfile"), "FROM node:24-bookworm-slim\nCOPY . /app\n");
    const write = (text: string) => writeFileSync(path.join(dir, "server.js"), text);
    write("console.log('A')\n");
    return { dir, write };
}

describe("any checkout deploys the same thing", () => {
    const checkouts: string[] = [];
    afterAll(() => checkouts.forEach((d) => rmSync(d, { recursive: true, force: true })));

    /** A copy of the project as `git clone` under this umask would write it (files 0666 & ~umask, executables 0777 & ~umask). */
    function checkout(umask: number): string {
        const dir = mkdtempSync(path.join(tmpdir(), `checkout-${umask.toString(8)}-`));
        for (const entry of readdirSync(projectRoot)) {
            if ([".git", "node_modules", ".build-context"].includes(entry)) continue;
            cpSync(path.join(projectRoot, entry), path.join(dir, entry), { recursive: true });
        }
        const chmodTree = (p: string) => {
            const stat = statSync(p);
            if (stat.isDirectory()) {
                chmodSync(p, 0o777 & ~umask);
                for (const e of readdirSync(p)) chmodTree(path.join(p, e));
            } else chmodSync(p, (stat.mode & 0o111 ? 0o777 : 0o666) & ~umask);
        };
        chmodTree(dir);
        symlinkSync(path.join(projectRoot, "node_modules"), path.join(dir, "node_modules"));
        checkouts.push(dir);
        return dir;
    }

    it("gives every resource identical inputs from two checkouts made under different umasks", async () => {
        const [a, b] = [checkout(0o022), checkout(0o002)];
        expect(statSync(path.join(a, "app", "package.json")).mode & 0o777).toBe(0o644);
        expect(statSync(path.join(b, "app", "package.json")).mode & 0o777).toBe(0o664);
        const inputs = (run: Evaluation) => run.resources.map((r) => [r.type, r.name, JSON.stringify(r.inputs)]);
        const [fromA, fromB] = [await evaluateStack({ stack: "dev", programDir: a }), await evaluateStack({ stack: "dev", programDir: b })];
        expect(inputs(fromB)).toEqual(inputs(fromA));
        // Nothing machine-specific reaches the image resource: the staged context is relative.
        const build = images(fromA)[0].inputs.build;
        expect(build.context).toMatch(/^\.build-context\/src-[0-9a-f]{20}$/);
        expect(JSON.stringify(images(fromA)[0].inputs)).not.toContain(tmpdir());
        // The staged copy the provider hashes has the same modes in both checkouts.
        const staged = (root: string) => statSync(path.join(root, build.context, "package.json")).mode & 0o777;
        expect([staged(a), staged(b)]).toEqual([0o644, 0o644]);
    });

    it("never pushes to a tag that exists: the next up, a pin, a revert, a failed deploy, lost state, a destroy", async () => {
        const account = new SimulatedAccount();
        const src = sourceDir();
        const options = { stack: "dev", config: { build: { context: src.dir, dockerfile: "Dockerfile" }, database: deletableDatabase } };
        const pinnedTo = (pin: string) => ({ ...options, config: { ...options.config, release: { pin } } });
        const a1 = await up(account, options);
        expect(images(a1)).toHaveLength(1);
        // The next up finds the tag taken: it runs the image by digest and only drops the build
        // resource from the state (retained: the image stays); the up after changes nothing.
        const next = await up(account, options);
        expect(images(next)).toEqual([]);
        expect(next.outputs).toMatchObject({ runningRelease: "v1", image: a1.outputs.image });
        const third = await evaluateStack({ ...options, account });
        expect(third.resources.map((r) => [r.name, r.inputs])).toEqual(next.resources.map((r) => [r.name, r.inputs]));

        // Pinned, the stack builds nothing even when the source moves on.
        src.write("console.log('B')\n");
        expect(images(await up(account, pinnedTo("v1")))).toEqual([]);
        const b = await up(account, options);
        expect(images(b)).toHaveLength(1);
        expect(b.outputs.runningRelease).toBe("v2");
        // Back to A: its tag exists, so the image v1 recorded runs again, built by nobody.
        src.write("console.log('A')\n");
        const revert = await up(account, options);
        expect(images(revert)).toEqual([]);
        expect(revert.outputs).toMatchObject({ runningRelease: "v3", image: a1.outputs.image });

        // C is pushed, then the deploy fails before its ledger entry is written; after A again,
        // C comes back: the registry, not the ledger, knows its tag.
        src.write("console.log('C')\n");
        const failed = await evaluateStack({ ...options, account });
        expect(() => account.deploy(failed, { fail: (r) => (r.name.endsWith("-LOG_LEVEL") ? "ThrottlingException" : undefined) })).toThrow(DeployError);
        src.write("console.log('A')\n");
        await up(account, options);
        src.write("console.log('C')\n");
        const c = await up(account, options);
        expect(images(c)).toEqual([]);
        expect(String(c.outputs.image)).toContain(String(failed.named("shop-dev-build-image").outputs.repoDigest).split("@")[1]);

        // The image resource lost from the state: nothing pushed again either.
        account.forgetState("dev", ["shop-dev-build-image"]);
        expect(images(await up(account, options))).toEqual([]);

        account.destroy("dev");
        const afterDestroy = await up(account, options);
        // The kept repository still holds C's image: it runs again under a new id, nothing pushed.
        expect(images(afterDestroy)).toEqual([]);
        expect(afterDestroy.outputs).toMatchObject({ image: c.outputs.image, previousRelease: "none" });
        expect(account.rewrites).toEqual([]);
        rmSync(src.dir, { recursive: true, force: true });
    });
});

describe("outputs say what runs; promotion reads only that", () => {
    it("after a deploy whose services fail, the saved outputs and prod's promotion still name what ran", async () => {
        const account = new SimulatedAccount();
        const v1 = await up(account, { stack: "dev" });
        expect(v1.outputDependencies.image).toEqual(["shop-dev-running"]);
        expect(v1.outputDependencies.runningRelease).toEqual(["shop-dev-running"]);
        const failing = await evaluateStack({ stack: "dev", account, config: { processes: { ...processes, web: { ...processes.web, command: ["node", "src/crash.js"] } } } });
        // The circuit breaker rolls the web service back: its update fails.
        expect(() => account.deploy(failing, { fail: (r) => (r.type === serviceType && r.name === "shop-dev-web" ? "ECS deployment circuit breaker: rolled back" : undefined) })).toThrow(DeployError);
        expect(account.outputsOf("dev")).toMatchObject({ runningRelease: "v1", image: v1.outputs.image });
        const prod = await evaluateStack({ stack: "prod", account });
        expect(prod.outputs.plannedRelease).toMatchObject({ running: "v1" });
        for (const td of prod.ofType("aws:ecs/taskDefinition:TaskDefinition")) {
            for (const c of JSON.parse(td.inputs.containerDefinitions)) expect(c.image).toBe(v1.outputs.image);
        }
    });

    it("refuses to promote an image of another architecture", async () => {
        const account = new SimulatedAccount();
        await up(account, { stack: "dev", config: { build: { context: "app", dockerfile: "Dockerfile", platform: "linux/arm64" } } });
        const { error, resources } = await evaluateStackFailure({ stack: "prod", account });
        expect(error.message).toBe("twelve-factor:build.platform: expected the platform of the image stack \"dev\" runs (linux/arm64), got linux/amd64");
        expect(resources.filter((r) => r.custom)).toEqual([]);
    });
});

describe("a pinned stack is frozen", () => {
    it("prod pinned to v1 neither reads dev's new image nor writes a new release", async () => {
        const account = new SimulatedAccount();
        await up(account, { stack: "dev" });
        const prod1 = await up(account, { stack: "prod" });
        const src = sourceDir();
        await up(account, { stack: "dev", config: { build: { context: src.dir, dockerfile: "Dockerfile" } } });
        const pinned = await up(account, { stack: "prod", config: { release: { pin: "v1" } } });
        expect(pinned.ofType("pulumi:pulumi:StackReference")).toEqual([]);
        expect(releaseRecords(pinned)).toEqual([]);
        expect(pinned.outputs).toMatchObject({ runningRelease: "v1", newestRelease: "v1", image: prod1.outputs.image });
        expect(Object.keys(account.view().ssm!).filter((n) => n.startsWith("/shop/prod/ledger/"))).toEqual(["/shop/prod/ledger/v1"]);
        rmSync(src.dir, { recursive: true, force: true });
    });
});

describe("a rollback target is checked before anything is declared", () => {
    it("names the release and the keys whose parameters are gone", async () => {
        const account = new SimulatedAccount();
        await up(account, { stack: "dev" });
        await up(account, { stack: "dev", config: { env: { LOG_LEVEL: "info", WORKER_POLL_MS: "2000" } } });
        account.deleteParameters("/shop/dev/releases/v1/LOG_LEVEL");
        account.deleteParameters("/shop/dev/releases/v1/SESSION_SECRET");
        const { error, resources } = await evaluateStackFailure({ stack: "dev", account, config: { release: { pin: "v1" } } });
        expect(error.message).toBe("twelve-factor:release.pin: release v1 cannot run again: its parameters LOG_LEVEL, SESSION_SECRET are gone from /shop/dev/releases/v1 (pruned or deleted); pin a release whose parameters still exist");
        expect(resources.filter((r) => r.custom)).toEqual([]);
    });
});

describe("vN never changes", () => {
    it("a new database password (passwordVersion) makes a new release; the running one's DATABASE_URL is never rewritten", async () => {
        const account = new SimulatedAccount();
        const v1 = await up(account, { stack: "dev" });
        const rotated = { ...devDatabase, owned: { ...devDatabase.owned, passwordVersion: 2 } };
        const v2 = await up(account, { stack: "dev", config: { database: rotated } });
        expect(v2.outputs).toMatchObject({ runningRelease: "v2", changedKeys: ["DATABASE_URL"] });
        const url = (run: Evaluation, id: string) => run.ofType(parameterType).find((p) => p.inputs.name === `/shop/dev/releases/${id}/DATABASE_URL`)?.inputs.value;
        expect(url(v2, "v2")).not.toBe(url(v1, "v1"));
        expect(v2.named("shop-dev-db-instance").inputs.password).not.toBe(v1.named("shop-dev-db-instance").inputs.password);
        expect(account.rewrites).toEqual([]);
    });

    it("a change that replaces the instance (another master user) makes a new release", async () => {
        const account = new SimulatedAccount();
        await up(account, { stack: "dev", config: { database: deletableDatabase } });
        const v2 = await up(account, { stack: "dev", config: { database: { ...deletableDatabase, owned: { ...deletableDatabase.owned, username: "shop" } } } });
        expect(v2.outputs).toMatchObject({ runningRelease: "v2", changedKeys: ["DATABASE_URL"] });
        expect(account.rewrites).toEqual([]);
    });
});

describe("destroy, and up again", () => {
    it("refuses to destroy a stack whose database is protected, before deleting anything", async () => {
        const account = new SimulatedAccount();
        await up(account, { stack: "dev" });
        const before = [...account.log];
        expect(() => account.destroy("dev")).toThrow("refusing to destroy: shop-dev-db-instance protected");
        expect(account.log).toEqual(before);
    });

    it("with allowDelete, destroys completely, twice, with unique final snapshots; up again makes new releases and rewrites nothing", async () => {
        const account = new SimulatedAccount();
        const options = { stack: "dev", config: { database: deletableDatabase } };
        await up(account, options);
        account.destroy("dev");
        expect(account.snapshots.size).toBe(1);
        // Kept: the release records and the repository. The VPC went: nothing kept sits in it.
        const kept = account.log.filter((l) => l.startsWith("retain ")).map((l) => l.split(" ").slice(1).join(" "));
        expect(new Set(kept.map((k) => k.split(" ")[0]))).toEqual(new Set([parameterType, "aws:ecr/repository:Repository", "docker:index/image:Image"]));
        expect(kept.filter((k) => k.startsWith(parameterType)).every((k) => /\/shop\/dev\/(releases|ledger)\//.test(k))).toBe(true);
        expect(account.log.some((l) => l.startsWith("delete aws:ec2/vpc:Vpc"))).toBe(true);
        const again = await up(account, options);
        expect(again.outputs).toMatchObject({ runningRelease: "v2", previousRelease: "none" });
        account.destroy("dev");
        expect(account.snapshots.size).toBe(2);
        expect(account.rewrites).toEqual([]);
    });

    it("a retry after a first deploy that failed once the instance existed, or after a destroy that stopped at it, is not refused", async () => {
        const account = new SimulatedAccount();
        const first = await evaluateStack({ stack: "dev", account });
        // Whatever comes after the instance fails (the deploy stops right after creating it).
        const custom = first.resources.filter((r) => r.custom);
        const next = custom[custom.findIndex((r) => r.name === "shop-dev-db-instance") + 1].name;
        expect(() => account.deploy(first, { fail: (r) => (r.name === next ? "failed" : undefined) })).toThrow(DeployError);
        expect(account.stateOf("dev")).toEqual(expect.arrayContaining(["shop-dev-db-record", "shop-dev-db-instance"]));
        await up(account, { stack: "dev" });
        // Without its preview, destroy deletes what depends on the instance, then stops there.
        expect(() => account.destroy("dev", { skipPreview: true })).toThrow("shop-dev-db-instance: it is protected");
        expect(account.stateOf("dev")).toEqual(expect.arrayContaining(["shop-dev-db-record", "shop-dev-db-instance"]));
        expect((await up(account, { stack: "dev" })).outputs.runningRelease).toBe("v2");
    });

    it("finds an instance kept outside the stack before declaring anything, and says how to attach or import it", async () => {
        const account = new SimulatedAccount();
        account.addInstance("shop-dev-db", "15.7");
        const { error, resources } = await evaluateStackFailure({ stack: "dev", account });
        expect(resources.filter((r) => r.custom)).toEqual([]);
        expect(error.message).toContain("RDS instance shop-dev-db already exists, but this stack does not hold it");
        expect(error.message).toContain("database.existing.identifier shop-dev-db");
        expect(error.message).toContain("pulumi import aws:rds/instance:Instance shop-dev-db-instance shop-dev-db");
    });
});

describe("ordering and recovery", () => {
    it("takes the running pointer and the database record back when the state lost them", async () => {
        const account = new SimulatedAccount();
        await up(account, { stack: "dev" });
        account.forgetState("dev", ["shop-dev-running", "shop-dev-db-record"]);
        const again = await up(account, { stack: "dev", config: { env: { LOG_LEVEL: "info", WORKER_POLL_MS: "2000" } } });
        expect(again.outputs).toMatchObject({ runningRelease: "v2", previousRelease: "v1" });
        expect(account.stateOf("dev")).toEqual(expect.arrayContaining(["shop-dev-running", "shop-dev-db-record"]));
    });

    it("upgrades the owned instance's major version in place, and refuses a downgrade up front", async () => {
        const account = new SimulatedAccount();
        await up(account, { stack: "dev" });
        const upgraded = await up(account, { stack: "dev", config: { database: { ...devDatabase, majorVersion: 16 } } });
        expect(upgraded.named("shop-dev-db-instance").inputs).toMatchObject({ engineVersion: "16", allowMajorVersionUpgrade: true });
        const { error, resources } = await evaluateStackFailure({ stack: "dev", account, config: { database: { ...devDatabase, majorVersion: 15 } } });
        expect(error.message).toContain("twelve-factor:database.majorVersion: expected 16 or later, got 15");
        expect(resources.filter((r) => r.custom)).toEqual([]);
    });
});
