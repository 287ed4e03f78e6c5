import { describe, expect, it } from "vitest";
import { readStackConfig, Evaluation, evaluateStack, evaluateStackFailure, ssmAfter } from "./harness";

const devImage = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-dev-build-repo-1a2b3c4@sha256:${"e".repeat(64)}`;
const prodOptions = { stack: "prod", stackOutputs: { dev: { image: devImage } } };
const externalUrl = "postgresql://shop:p%40ss%2Fword@pg.example.net:6543/shop?sslmode=require";
const prodDatabase = readStackConfig("prod").config["twelve-factor:database"] as Record<string, unknown>;
// Swapping is `kind` alone: the owned settings stay in the file beside the other kind's block.
const external = { ...prodDatabase, kind: "external", external: { url: externalUrl } };
const existing = { ...prodDatabase, kind: "existing", existing: { identifier: "legacy-shop", username: "shop_app", password: "p@ss/w rd\"", dbName: "shop", securityGroupId: "sg-0123456789abcdef0" } };
const legacyInstance = { "legacy-shop": { engine: "postgres", engineVersion: "15.8", address: "legacy-shop.c0ffee.eu-west-1.rds.amazonaws.com", port: 5432 } };

const dbResources = (run: Evaluation) => run.resources.filter((r) => r.name.startsWith("shop-prod-db")).map((r) => r.name);
const databaseUrlParameter = (run: Evaluation) => run.ofType("aws:ssm/parameter:Parameter").find((p) => String(p.inputs.name).endsWith("/DATABASE_URL"))!;

describe("owned RDS PostgreSQL", () => {
    it("is what prod needs: encrypted, private, Multi-AZ, protected, backed up, final snapshot kept", async () => {
        const prod = await evaluateStack(prodOptions);
        const db = prod.named("shop-prod-db-instance");
        expect(db.inputs).toMatchObject({
            identifier: "shop-prod-db",
            engine: "postgres",
            engineVersion: "15",
            instanceClass: "db.t4g.small",
            storageEncrypted: true,
            publiclyAccessible: false,
            multiAz: true,
            deletionProtection: true,
            skipFinalSnapshot: false,
            // Unique per instance (a random id created with it), so a later destroy never collides.
            finalSnapshotIdentifier: `shop-prod-db-final-${prod.named("shop-prod-db-snapshot-id").outputs.hex}`,
            copyTagsToSnapshot: true,
            // Raising majorVersion upgrades in place; lowering it is refused before declaring.
            allowMajorVersionUpgrade: true,
            dbName: "shop",
            username: "app",
            vpcSecurityGroupIds: ["shop-prod-db-sg-id"],
        });
        expect(db.inputs.backupRetentionPeriod).toBeGreaterThanOrEqual(7);
        expect(db.protect).toBe(true);
        expect(db.retainOnDelete).toBe(false);
        expect(prod.named("shop-prod-db-subnets").inputs.subnetIds).toEqual(["shop-prod-net-private-1-id", "shop-prod-net-private-2-id"]);
        expect(prod.named("shop-prod-db-password").inputs).toMatchObject({ length: 40, special: false });
        expect(db.secretInputs).toContain("password");
    });

    it("hands the app a secret DATABASE_URL with the instance's endpoint and an encoded password", async () => {
        const prod = await evaluateStack(prodOptions);
        const url = databaseUrlParameter(prod);
        expect(url.inputs.type).toBe("SecureString");
        expect(url.secretInputs).toEqual(["value"]);
        expect(url.inputs.value).toMatch(/^postgresql:\/\/app:[A-Za-z0-9]{40}@shop-prod-db\.c0ffee123456\.eu-west-1\.rds\.amazonaws\.com:5432\/shop\?sslmode=no-verify$/);
    });

    it("protects the instance unless allowDelete, and keeps nothing in the VPC that would block a destroy", async () => {
        const kept = await evaluateStack(prodOptions);
        expect(kept.named("shop-prod-db-instance").protect).toBe(true);
        for (const r of kept.resources.filter((r) => r.name.startsWith("shop-prod-db"))) expect(r.retainOnDelete, r.name).toBe(false);
        const deletable = await evaluateStack({ ...prodOptions, config: { database: { ...prodDatabase, owned: { ...(prodDatabase.owned as object), allowDelete: true, deletionProtection: false } } } });
        expect(deletable.named("shop-prod-db-instance").protect).toBe(false);
        // Even then, deleting takes a final snapshot first.
        expect(deletable.named("shop-prod-db-instance").inputs.skipFinalSnapshot).toBe(false);
        expect(JSON.parse(deletable.named("shop-prod-db-record").inputs.insecureValue)).toEqual({ identifier: "shop-prod-db", protected: false });
    });
});

describe("existing RDS instance", () => {
    it("is looked up by identifier; its URL carries the configured credentials, percent-encoded", async () => {
        const run = await evaluateStack({ ...prodOptions, config: { database: existing }, rdsInstances: legacyInstance });
        expect(run.ofType("aws:rds/instance:Instance")).toEqual([]);
        expect(databaseUrlParameter(run).inputs.value).toBe("postgresql://shop_app:p%40ss%2Fw%20rd%22@legacy-shop.c0ffee.eu-west-1.rds.amazonaws.com:5432/shop?sslmode=no-verify");
        expect(run.named("shop-prod-db-from-tasks").inputs).toMatchObject({ securityGroupId: "sg-0123456789abcdef0", referencedSecurityGroupId: "shop-prod-net-tasks-sg-id", fromPort: 5432, toPort: 5432 });
        expect(run.outputs.databaseKind).toBe("existing");
    });

    it("refuses an instance of another major version (parity)", async () => {
        const { error, resources } = await evaluateStackFailure({ ...prodOptions, config: { database: existing }, rdsInstances: { "legacy-shop": { ...legacyInstance["legacy-shop"], engineVersion: "13.12" } } });
        expect(resources.filter((r) => r.custom)).toEqual([]);
        expect(error.message).toContain("RDS instance legacy-shop runs postgres 13.12, expected postgres 15");
    });
});

describe("external PostgreSQL URL", () => {
    it("passes the URL through as a secret and opens only its port", async () => {
        const run = await evaluateStack({ ...prodOptions, config: { database: external } });
        expect(run.resources.filter((r) => r.parent === "shop-prod-db").map((r) => r.name)).toEqual(["shop-prod-db-tasks-out"]);
        expect(run.named("shop-prod-db-tasks-out").inputs).toMatchObject({ fromPort: 6543, toPort: 6543, cidrIpv4: "0.0.0.0/0" });
        expect(databaseUrlParameter(run).inputs.value).toBe(externalUrl);
        expect(databaseUrlParameter(run).secretInputs).toEqual(["value"]);
    });
});

describe("swapping the backing service by config only", () => {
    const shape = (run: Evaluation) => run.resources
        // The owned instance's alarms (alarms: …) watch it, and go with it.
        .filter((r) => !r.name.startsWith("shop-prod-db") && !r.name.startsWith("shop-prod-alarms-db-") && r.type !== "aws:ssm/parameter:Parameter")
        .map((r) => ({ type: r.type, name: r.name.replace(/-v\d+$/, ""), inputs: JSON.stringify(r.inputs).replace(/\/v\d+\//g, "/vN/").replace(/"release":"v\d+"/g, "").replace(/task-definition\/([a-z-]+):\d+/g, "task-definition/$1").replace(/(stream-prefix[^/]*\/)v\d+/g, "$1vN") }));
    const values = (run: Evaluation) => Object.fromEntries(run.ofType("aws:ssm/parameter:Parameter").filter((p) => String(p.inputs.name).includes("/releases/")).map((p) => [String(p.inputs.name).split("/").pop(), p.inputs.value ?? p.inputs.insecureValue]));

    const deletableOwned = { ...prodDatabase, owned: { ...(prodDatabase.owned as object), allowDelete: true, deletionProtection: false } };

    it.each([["external", external], ["existing", existing]])("owned → %s changes only the database resources and DATABASE_URL", async (_, database) => {
        const owned = await evaluateStack({ ...prodOptions, config: { database: deletableOwned } });
        const swapped = await evaluateStack({ ...prodOptions, ssm: ssmAfter(owned), config: { database }, rdsInstances: legacyInstance });
        expect(shape(swapped)).toEqual(shape(owned));
        expect(dbResources(swapped)).not.toEqual(dbResources(owned));
        const [before, after] = [values(owned), values(swapped)];
        expect(Object.keys(after)).toEqual(Object.keys(before));
        for (const key of Object.keys(before)) {
            if (key === "DATABASE_URL") expect(after[key]).not.toBe(before[key]);
            else expect(after[key], key).toBe(before[key]);
        }
        expect(swapped.outputs).toMatchObject({ runningRelease: "v2", previousRelease: "v1", changedKeys: ["DATABASE_URL"] });
    });

    it("refuses, declaring nothing, to swap away from a protected owned instance, and says how", async () => {
        const owned = await evaluateStack(prodOptions);
        const { error, resources } = await evaluateStackFailure({ ...prodOptions, ssm: ssmAfter(owned), config: { database: external } });
        expect(resources.filter((r) => r.custom)).toEqual([]);
        expect(error.message).toContain("twelve-factor:database.kind: this stack owns RDS instance shop-prod-db, protected against deletion");
        expect(error.message).toContain("first pulumi up with database.owned.allowDelete: true");
    });
});
