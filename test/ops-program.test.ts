import { beforeAll, describe, expect, it } from "vitest";
import { readMigrationHead } from "../lookups/migrations";
import { evaluateStack, projectRoot, ssmAfter, type Evaluation } from "./harness";
import * as path from "path";

/**
 * What the program records for the operator commands (issue 14): the ops record, log streams
 * named by process and release, and each release's migration head.
 */

const parameterType = "aws:ssm/parameter:Parameter";
const devImage = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-dev-build-repo@sha256:${"d".repeat(64)}`;
const containersOf = (run: Evaluation, name: string) => JSON.parse(run.named(name).inputs.containerDefinitions as string) as { name: string; logConfiguration: { options: Record<string, string> } }[];
const ledgerEntry = (run: Evaluation, id: string) => JSON.parse(run.ofType(parameterType).find((p) => p.inputs.name === `/shop/${run.stack}/ledger/${id}`)!.inputs.insecureValue);

describe("the ops record (/<app>/<stack>/ops)", () => {
    let dev: Evaluation;
    beforeAll(async () => {
        dev = await evaluateStack({ stack: "dev" });
    });

    it("names the cluster, log group, task network and every process's running task definition", () => {
        const param = dev.named("shop-dev-ops");
        expect(param.inputs).toMatchObject({ name: "/shop/dev/ops", type: "String", overwrite: true });
        const record = JSON.parse(param.inputs.insecureValue);
        const web = dev.named("shop-dev-web").inputs;
        expect(record).toMatchObject({ region: "eu-west-1", cluster: dev.named("shop-dev-cluster").outputs.name, logGroup: "/ecs/shop-dev", release: "v1", execEnabled: true }); // dev's stack file has exec on (issue 13)
        expect(Object.keys(record.processes)).toEqual(["migrate", "web", "worker"]);
        for (const p of ["migrate", "web", "worker"]) {
            expect(record.processes[p]).toMatchObject({ family: `shop-dev-${p}`, container: p, taskDefinitionArn: dev.named(`shop-dev-${p}-v1`).outputs.arn });
        }
        expect(record.processes.web.service).toBe(dev.named("shop-dev-web").outputs.name);
        expect(record.processes.worker.service).toBe(dev.named("shop-dev-worker").outputs.name);
        expect(record.processes.migrate.service).toBeUndefined();
        // One value: the services' network configuration is the one one-off tasks get.
        expect(record.network).toEqual(web.networkConfiguration);
        // Dev has no NAT gateway (natGateways none, issue 13): its tasks get public IPs.
        expect(record.network).toMatchObject({ securityGroups: [dev.named("shop-dev-net-tasks-sg").outputs.id], assignPublicIp: true });
        expect(record.network.subnets).toHaveLength(2);
        expect(dev.outputs.taskNetwork).toEqual(record.network);
        expect(dev.outputs.opsRecord).toBe("/shop/dev/ops");
    });

    it("is written once every service is steady, like the running pointer, and holds no value of the release", () => {
        const param = dev.named("shop-dev-ops");
        expect(param.dependsOn).toEqual(expect.arrayContaining(["shop-dev-web", "shop-dev-worker"]));
        expect(param.retainOnDelete).toBe(false);
        expect(param.inputs.insecureValue).not.toContain("secret");
    });
});

describe("log streams carry the process and the release", () => {
    it("prefixes each container's stream with <process>/<release>, and the next release with its own id", async () => {
        const v1 = await evaluateStack({ stack: "dev" });
        const [migrate, web] = containersOf(v1, "shop-dev-web-v1");
        expect(web.logConfiguration.options["awslogs-stream-prefix"]).toBe("web/v1");
        expect(migrate.logConfiguration.options["awslogs-stream-prefix"]).toBe("migrate/v1");
        expect(containersOf(v1, "shop-dev-worker-v1").map((c) => c.logConfiguration.options["awslogs-stream-prefix"])).toEqual(["migrate/v1", "worker/v1"]);
        const v2 = await evaluateStack({ stack: "dev", ssm: ssmAfter(v1, {}), config: { env: { LOG_LEVEL: "warn", WORKER_POLL_MS: "2000" } } });
        expect(containersOf(v2, "shop-dev-web-v2").map((c) => c.logConfiguration.options["awslogs-stream-prefix"])).toEqual(["migrate/v2", "web/v2"]);
    });
});

describe("each release records its migration head", () => {
    it("a build records the newest migration of its source; the output says what runs", async () => {
        const dev = await evaluateStack({ stack: "dev" });
        const head = readMigrationHead(path.join(projectRoot, "app"));
        expect(head).toMatch(/^\d+_/);
        // The sample app's highest migration id.
        const ids = (require(path.join(projectRoot, "app/src/migrations.js")) as { id: number }[]).map((m) => m.id);
        expect(head!.split("_")[0]).toBe(String(Math.max(...ids)));
        expect(ledgerEntry(dev, "v1").migrationHead).toBe(head);
        expect(dev.outputs.migrationHead).toBe(head);
    });

    it("a promoted image records the head the stack it comes from runs; unknown stays absent", async () => {
        const prod = await evaluateStack({ stack: "prod", stackOutputs: { dev: { image: devImage, platform: "linux/amd64", migrationHead: "7_add_index" } } });
        expect(ledgerEntry(prod, "v1").migrationHead).toBe("7_add_index");
        expect(prod.outputs.migrationHead).toBe("7_add_index");
        const older = await evaluateStack({ stack: "prod", stackOutputs: { dev: { image: devImage, platform: "linux/amd64" } } });
        expect("migrationHead" in ledgerEntry(older, "v1")).toBe(false);
        expect(older.outputs.migrationHead).toBe("");
    });

    it("is not part of the release digest (the build identity already decides it)", async () => {
        const a = await evaluateStack({ stack: "prod", stackOutputs: { dev: { image: devImage, platform: "linux/amd64", migrationHead: "7_a" } } });
        const b = await evaluateStack({ stack: "prod", stackOutputs: { dev: { image: devImage, platform: "linux/amd64", migrationHead: "8_b" } } });
        expect(a.outputs.releaseDigest).toBe(b.outputs.releaseDigest);
    });
});
