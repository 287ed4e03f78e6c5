import { beforeAll, describe, expect, it } from "vitest";
import { freeStorageShare, postgresMaxConnections } from "../lib/alarms";
import { Evaluation, evaluateStack, readStackConfig } from "./harness";

/** Alarms: an encrypted topic CloudWatch may publish to, and alarms whose dimensions come from what they watch. */

const devImage = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-dev-build-repo-1a2b3c4@sha256:${"c".repeat(64)}`;
const prodOptions = { stack: "prod", stackOutputs: { dev: { image: devImage, platform: "linux/amd64" } } };
const prodConfig = readStackConfig("prod").config;
const owned = (prodConfig["twelve-factor:database"] as { owned: { instanceClass: string; allocatedStorage: number } }).owned;
type Statement = { Sid: string; Effect: string; Principal: Record<string, string>; Action: string | string[]; Resource: string; Condition?: Record<string, Record<string, string>> };
const statements = (run: Evaluation, name: string, field = "policy") => (JSON.parse(run.named(name).inputs[field]) as { Statement: Statement[] }).Statement;

describe("prod's alarm topic", () => {
    let prod: Evaluation;
    beforeAll(async () => {
        prod = await evaluateStack(prodOptions);
    });

    it("is encrypted with the stack's own key, whose policy admits CloudWatch (and the account)", () => {
        const key = prod.named("shop-prod-alarms-key");
        expect(prod.named("shop-prod-alarms-topic").inputs.kmsMasterKeyId).toBe(key.outputs.arn);
        expect(key.inputs.enableKeyRotation).toBe(true);
        const policy = statements(prod, "shop-prod-alarms-key");
        const cloudWatch = policy.find((s) => s.Principal.Service === "cloudwatch.amazonaws.com")!;
        expect(cloudWatch).toMatchObject({ Effect: "Allow", Resource: "*", Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } } });
        expect([...cloudWatch.Action].sort()).toEqual(["kms:Decrypt", "kms:GenerateDataKey*"]);
        // Without the account's statement nobody could manage or delete the key.
        expect(policy.find((s) => s.Principal.AWS === "arn:aws:iam::123456789012:root")).toMatchObject({ Action: "kms:*" });
    });

    it("lets this account's CloudWatch alarms publish, and mails the configured address", () => {
        const topicArn = prod.named("shop-prod-alarms-topic").outputs.arn;
        expect(prod.named("shop-prod-alarms-topic-policy").inputs.arn).toBe(topicArn);
        const publish = statements(prod, "shop-prod-alarms-topic-policy").find((s) => s.Principal.Service === "cloudwatch.amazonaws.com")!;
        expect(publish).toMatchObject({ Effect: "Allow", Action: "SNS:Publish", Resource: topicArn, Condition: { ArnLike: { "aws:SourceArn": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:*" } } });
        const email = (prodConfig["twelve-factor:alarms"] as { email: string }).email;
        expect(prod.named("shop-prod-alarms-email").inputs).toEqual({ topic: topicArn, protocol: "email", endpoint: email });
    });
});

describe("prod's alarms", () => {
    let prod: Evaluation;
    beforeAll(async () => {
        prod = await evaluateStack(prodOptions);
    });
    const alarm = (name: string) => prod.named(`shop-prod-alarms-${name}`).inputs;

    it("notify the topic, and never page on missing data (an idle stack)", () => {
        const topicArn = prod.named("shop-prod-alarms-topic").outputs.arn;
        const alarms = prod.ofType("aws:cloudwatch/metricAlarm:MetricAlarm");
        expect(alarms.map((a) => a.name.replace("shop-prod-alarms-", "")).sort()).toEqual(["alb-5xx", "db-connections", "db-cpu", "db-free-storage", "unhealthy-targets", "web-5xx", "web-below-desired", "worker-below-desired"]);
        for (const a of alarms) expect(a.inputs, a.name).toMatchObject({ alarmActions: [topicArn], okActions: [topicArn], treatMissingData: "notBreaching" });
    });

    it("watch the load balancer and target group by their ARN suffixes", () => {
        const lb = prod.named("shop-prod-alb").outputs.arnSuffix;
        const tg = prod.named("shop-prod-tg").outputs.arnSuffix;
        expect(alarm("alb-5xx")).toMatchObject({ namespace: "AWS/ApplicationELB", metricName: "HTTPCode_ELB_5XX_Count", dimensions: { LoadBalancer: lb } });
        expect(alarm("web-5xx")).toMatchObject({ metricName: "HTTPCode_Target_5XX_Count", dimensions: { LoadBalancer: lb, TargetGroup: tg } });
        expect(alarm("unhealthy-targets")).toMatchObject({ metricName: "UnHealthyHostCount", dimensions: { LoadBalancer: lb, TargetGroup: tg }, threshold: 1 });
    });

    it.each(["web", "worker"])("%s below desired: Container Insights' running against desired task count of that service", (processName) => {
        const dimensions = { ClusterName: prod.named("shop-prod-cluster").outputs.name, ServiceName: prod.named(`shop-prod-${processName}`).outputs.name };
        const queries = alarm(`${processName}-below-desired`).metricQueries as { id: string; expression?: string; returnData?: boolean; metric?: { namespace: string; metricName: string; dimensions: Record<string, string> } }[];
        const metric = (id: string) => queries.find((q) => q.id === id)!.metric;
        expect(metric("running")).toMatchObject({ namespace: "ECS/ContainerInsights", metricName: "RunningTaskCount", dimensions });
        expect(metric("desired")).toMatchObject({ namespace: "ECS/ContainerInsights", metricName: "DesiredTaskCount", dimensions });
        expect(queries.find((q) => q.returnData)).toMatchObject({ expression: "desired - running" });
        expect(alarm(`${processName}-below-desired`)).toMatchObject({ threshold: 0, comparisonOperator: "GreaterThanThreshold" });
        // Those metrics exist only with Container Insights on.
        expect(prod.named("shop-prod-cluster").inputs.settings).toEqual([{ name: "containerInsights", value: "enabled" }]);
    });

    it("watch the owned database by its identifier, with thresholds from its class and storage", () => {
        const identifier = prod.named("shop-prod-db-instance").outputs.identifier;
        for (const name of ["db-cpu", "db-free-storage", "db-connections"]) expect(alarm(name).dimensions, name).toEqual({ DBInstanceIdentifier: identifier });
        expect(alarm("db-cpu")).toMatchObject({ namespace: "AWS/RDS", metricName: "CPUUtilization" });
        expect(alarm("db-free-storage")).toMatchObject({ metricName: "FreeStorageSpace", comparisonOperator: "LessThanThreshold", threshold: Math.round(owned.allocatedStorage * 2 ** 30 * freeStorageShare) });
        const connections = alarm("db-connections");
        expect(connections.metricName).toBe("DatabaseConnections");
        expect(connections.threshold).toBeLessThan(postgresMaxConnections(owned.instanceClass));
        expect(connections.threshold).toBeGreaterThan(postgresMaxConnections(owned.instanceClass) / 2);
    });
});

describe("without alarms", () => {
    it("dev declares no topic or alarms, and leaves Container Insights off", async () => {
        const dev = await evaluateStack({ stack: "dev" });
        expect(dev.resources.filter((r) => /^aws:(sns|kms|cloudwatch\/metricAlarm)/.test(r.type))).toEqual([]);
        expect(dev.named("shop-dev-cluster").inputs.settings).toEqual([{ name: "containerInsights", value: "disabled" }]);
    });

    it("an external database has no database alarms; no email means no subscription", async () => {
        const prodDatabase = prodConfig["twelve-factor:database"] as Record<string, unknown>;
        const run = await evaluateStack({ ...prodOptions, config: { alarms: {}, database: { ...prodDatabase, kind: "external", external: { url: "postgresql://u:p@db.example.com:5432/shop" } } } });
        expect(run.resources.map((r) => r.name).filter((n) => n.startsWith("shop-prod-alarms-db-") || n === "shop-prod-alarms-email")).toEqual([]);
    });

    it("class sizes give larger instances more connections, up to PostgreSQL's 5000", () => {
        expect(postgresMaxConnections("db.t4g.micro")).toBeGreaterThan(60);
        expect(postgresMaxConnections("db.t4g.micro")).toBeLessThan(120);
        expect(postgresMaxConnections("db.t4g.small")).toBeGreaterThan(postgresMaxConnections("db.t4g.micro"));
        expect(postgresMaxConnections("db.r6g.24xlarge")).toBe(5000);
    });
});
