import { beforeAll, describe, expect, it } from "vitest";
import { elbLogDeliveryAccounts, elbLogDeliveryPrincipal, elbLogDeliveryService, tlsPolicy } from "../lib/load-balancer";
import { Evaluation, evaluateStack, readStackConfig } from "./harness";
import { SimulatedAccount } from "./support/simulated-account";

/**
 * Domain and TLS, the hardened load balancer and its access logs, on what AWS would receive:
 * each value is checked against the resource it must come from, not restated.
 */

const devImage = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-dev-build-repo-1a2b3c4@sha256:${"f".repeat(64)}`;
const prodOptions = { stack: "prod", stackOutputs: { dev: { image: devImage, platform: "linux/amd64" } } };
const prodConfig = readStackConfig("prod").config;
const prodDomain = prodConfig["twelve-factor:domain"] as { name: string; hostedZoneId: string };
const prodDatabase = prodConfig["twelve-factor:database"] as Record<string, unknown>;
const policyOf = (run: Evaluation, name: string) => JSON.parse(run.named(name).inputs.policy);

describe("prod's domain and TLS", () => {
    let prod: Evaluation;
    beforeAll(async () => {
        prod = await evaluateStack(prodOptions);
    });

    it("asks ACM for a certificate of the domain, validated by the record its validation options name", () => {
        const certificate = prod.named("shop-prod-domain-cert");
        expect(certificate.inputs).toMatchObject({ domainName: prodDomain.name, validationMethod: "DNS" });
        const [option] = certificate.outputs.domainValidationOptions;
        expect(option.domainName).toBe(prodDomain.name);
        const record = prod.named("shop-prod-domain-validation");
        expect(record.inputs).toMatchObject({
            zoneId: prodDomain.hostedZoneId,
            name: option.resourceRecordName,
            type: option.resourceRecordType,
            records: [option.resourceRecordValue],
            allowOverwrite: true,
        });
        const validation = prod.named("shop-prod-domain-validated");
        expect(validation.inputs).toEqual({ certificateArn: certificate.outputs.arn, validationRecordFqdns: [record.outputs.fqdn] });
    });

    it("serves HTTPS with the validated certificate and a current TLS policy, and redirects HTTP", () => {
        const https = prod.named("shop-prod-https");
        // The listener takes the ARN from the validation, so it waits until ACM has issued the certificate.
        expect(https.inputs.certificateArn).toBe(prod.named("shop-prod-domain-validated").outputs.certificateArn);
        expect(https.inputs).toMatchObject({ port: 443, protocol: "HTTPS", sslPolicy: tlsPolicy, loadBalancerArn: prod.named("shop-prod-alb").outputs.arn });
        expect(https.inputs.defaultActions).toEqual([{ type: "forward", targetGroupArn: prod.named("shop-prod-tg").outputs.arn }]);
        expect(tlsPolicy).toMatch(/^ELBSecurityPolicy-TLS13-1-2-/);
        expect(prod.named("shop-prod-http").inputs.defaultActions).toEqual([{ type: "redirect", redirect: { port: "443", protocol: "HTTPS", statusCode: "HTTP_301" } }]);
        expect(prod.named("shop-prod-web").dependsOn).toContain("shop-prod-https");
    });

    it("points an alias record at the load balancer and gives the domain as the url", () => {
        const alb = prod.named("shop-prod-alb");
        expect(prod.named("shop-prod-alias").inputs).toEqual({
            zoneId: prodDomain.hostedZoneId,
            name: prodDomain.name,
            type: "A",
            aliases: [{ name: alb.outputs.dnsName, zoneId: alb.outputs.zoneId, evaluateTargetHealth: true }],
        });
        expect(prod.outputs.url).toBe(`https://${prodDomain.name}`);
    });
});

describe("prod's load balancer", () => {
    let prod: Evaluation;
    beforeAll(async () => {
        prod = await evaluateStack(prodOptions);
    });

    it("is protected twice: AWS deletion protection and Pulumi protect, and drops invalid headers", () => {
        const alb = prod.named("shop-prod-alb");
        expect(alb.inputs).toMatchObject({ enableDeletionProtection: true, dropInvalidHeaderFields: true });
        expect(alb.protect).toBe(true);
    });

    it("logs to the stack's bucket, after the bucket policy lets ELB write", () => {
        const alb = prod.named("shop-prod-alb");
        const bucket = prod.named("shop-prod-access-logs-bucket");
        expect(alb.inputs.accessLogs).toEqual({ bucket: bucket.outputs.bucket, prefix: "alb", enabled: true });
        expect(alb.dependsOn).toContain("shop-prod-access-logs-policy");
        // Every setting of the bucket addresses it by its id (the mock engine's id is `<name>-id`).
        expect(prod.named("shop-prod-access-logs-policy").inputs.bucket).toBe(`${bucket.name}-id`);
    });

    it("keeps the logs private, SSE-S3 encrypted, TLS-only, and for the configured days", () => {
        const bucketId = `${prod.named("shop-prod-access-logs-bucket").name}-id`;
        for (const part of ["ownership", "encryption", "expiry"]) expect(prod.named(`shop-prod-access-logs-${part}`).inputs.bucket).toBe(bucketId);
        expect(prod.named("shop-prod-access-logs-public-access").inputs).toEqual({ bucket: bucketId, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
        expect(prod.named("shop-prod-access-logs-ownership").inputs.rule).toEqual({ objectOwnership: "BucketOwnerEnforced" });
        // ELB log delivery supports SSE-S3 only.
        expect(prod.named("shop-prod-access-logs-encryption").inputs.rules).toEqual([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]);
        const retentionDays = (prodConfig["twelve-factor:loadBalancer"] as { accessLogs: { retentionDays: number } }).accessLogs.retentionDays;
        const [rule] = prod.named("shop-prod-access-logs-expiry").inputs.rules;
        expect(rule).toMatchObject({ status: "Enabled", filter: { prefix: "alb/" }, expiration: { days: retentionDays } });
        const tlsOnly = policyOf(prod, "shop-prod-access-logs-policy").Statement.find((s: { Effect: string }) => s.Effect === "Deny");
        expect(tlsOnly).toMatchObject({ Principal: "*", Action: "s3:*", Condition: { Bool: { "aws:SecureTransport": "false" } } });
    });

    it("lets only the region's ELB log delivery write, below the prefix and this account", () => {
        const bucketArn = prod.named("shop-prod-access-logs-bucket").outputs.arn;
        const [write] = policyOf(prod, "shop-prod-access-logs-policy").Statement;
        expect(write).toEqual({
            Sid: "ElbLogDelivery", Effect: "Allow", Action: "s3:PutObject",
            Principal: { AWS: `arn:aws:iam::${elbLogDeliveryAccounts["eu-west-1"]}:root` },
            Resource: `${bucketArn}/alb/AWSLogs/123456789012/*`,
        });
        expect(elbLogDeliveryAccounts["eu-west-1"]).toBe("156460612806");
    });

    it("names the log-delivery service principal in a region opened since August 2022", async () => {
        const zurich = await evaluateStack({ ...prodOptions, config: { "aws:region": "eu-central-2" } });
        const [write] = policyOf(zurich, "shop-prod-access-logs-policy").Statement;
        expect(write.Principal).toEqual({ Service: elbLogDeliveryService });
        expect(write.Principal).toEqual(elbLogDeliveryPrincipal("eu-central-2", "aws"));
    });

    it("has a 12-digit log-delivery account for every region in its table, and the service principal elsewhere", () => {
        for (const [region, account] of Object.entries(elbLogDeliveryAccounts)) {
            expect(account, region).toMatch(/^\d{12}$/);
            expect(elbLogDeliveryPrincipal(region, "aws")).toEqual({ AWS: `arn:aws:iam::${account}:root` });
        }
        expect(elbLogDeliveryPrincipal("ap-southeast-4", "aws")).toEqual({ Service: "logdelivery.elasticloadbalancing.amazonaws.com" });
        expect(elbLogDeliveryPrincipal("cn-north-1", "aws-cn")).toEqual({ AWS: "arn:aws-cn:iam::638102146993:root" });
    });
});

describe("destroying a protected stack", () => {
    // The database may go, so only the load balancer's protection decides.
    const deletableDatabase = { ...prodDatabase, owned: { ...(prodDatabase.owned as object), allowDelete: true, deletionProtection: false } };

    it("refuses up front, naming the load balancer and its log bucket, before deleting anything", async () => {
        const account = new SimulatedAccount();
        account.deploy(await evaluateStack({ ...prodOptions, account, config: { database: deletableDatabase } }));
        const writes = account.log.length;
        expect(() => account.destroy("prod")).toThrow(/refusing to destroy: .*shop-prod-access-logs-bucket.*shop-prod-alb|refusing to destroy: .*shop-prod-alb/);
        expect(account.log.length).toBe(writes);
        expect(account.stateOf("prod")).toContain("shop-prod-alb");
    });

    it("completes once protection is turned off by an up, emptying the log bucket", async () => {
        const account = new SimulatedAccount();
        account.deploy(await evaluateStack({ ...prodOptions, account, config: { database: deletableDatabase } }));
        const unprotected = await evaluateStack({ ...prodOptions, account, config: { database: deletableDatabase, loadBalancer: { deletionProtection: false, accessLogs: { retentionDays: 90 } } } });
        expect(unprotected.named("shop-prod-alb").protect).toBe(false);
        expect(unprotected.named("shop-prod-alb").inputs.enableDeletionProtection).toBe(false);
        // A bucket that holds logs is deleted only with forceDestroy: on once unprotected.
        expect(unprotected.named("shop-prod-access-logs-bucket").inputs.forceDestroy).toBe(true);
        expect(unprotected.named("shop-prod-access-logs-bucket").protect).toBe(false);
        account.deploy(unprotected);
        account.destroy("prod");
        expect(account.stateOf("prod")).toEqual([]);
    });

    it("keeps the protected bucket's logs: no forceDestroy while protected", async () => {
        const prod = await evaluateStack(prodOptions);
        expect(prod.named("shop-prod-access-logs-bucket").inputs.forceDestroy).toBe(false);
        expect(prod.named("shop-prod-access-logs-bucket").protect).toBe(true);
    });
});
