import { describe, expect, it } from "vitest";
import { Evaluation, evaluateStack } from "./harness";

/**
 * The policies a reviewer applies to a production stack, over everything it declares (by
 * resource type, not by name): they hold on Pulumi.prod.yaml, and they bite (dev breaks them).
 */

const devImage = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-dev-build-repo-1a2b3c4@sha256:${"9".repeat(64)}`;

function violations(run: Evaluation): string[] {
    const found: string[] = [];
    const check = (ok: boolean, what: string) => {
        if (!ok) found.push(what);
    };
    for (const lb of run.ofType("aws:lb/loadBalancer:LoadBalancer")) {
        check(lb.inputs.enableDeletionProtection === true && lb.protect, `${lb.name}: protected (AWS deletion protection and Pulumi protect)`);
        check(lb.inputs.accessLogs?.enabled === true && typeof lb.inputs.accessLogs.bucket === "string", `${lb.name}: access logs`);
        check(lb.inputs.dropInvalidHeaderFields === true, `${lb.name}: drops invalid headers`);
    }
    for (const l of run.ofType("aws:lb/listener:Listener")) {
        const [action, ...more] = l.inputs.defaultActions as { type: string; redirect?: { port: string; protocol: string; statusCode: string } }[];
        const redirects = more.length === 0 && action.type === "redirect" && action.redirect?.protocol === "HTTPS" && action.redirect.port === "443" && action.redirect.statusCode === "HTTP_301";
        if (l.inputs.protocol === "HTTP") check(redirects, `${l.name}: HTTP redirects to HTTPS`);
        else check(/^ELBSecurityPolicy-TLS13-1-2-/.test(l.inputs.sslPolicy), `${l.name}: TLS 1.2+ with 1.3`);
    }
    check(run.ofType("aws:lb/listener:Listener").some((l) => l.inputs.protocol === "HTTPS"), "an HTTPS listener");
    for (const db of run.ofType("aws:rds/instance:Instance")) {
        const i = db.inputs;
        check(i.storageEncrypted === true && i.publiclyAccessible === false, `${db.name}: encrypted and private`);
        check(i.multiAz === true, `${db.name}: Multi-AZ`);
        check(i.deletionProtection === true && db.protect, `${db.name}: protected`);
        check(i.backupRetentionPeriod >= 7 && i.skipFinalSnapshot === false && i.copyTagsToSnapshot === true, `${db.name}: backups and a final snapshot`);
    }
    for (const bucket of run.ofType("aws:s3/bucket:Bucket")) {
        const id = `${bucket.name}-id`;
        const of = (type: string) => run.ofType(type).find((r) => r.inputs.bucket === id);
        const block = of("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")?.inputs;
        check(block !== undefined && ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].every((k) => block[k] === true), `${bucket.name}: public access blocked`);
        check(of("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration") !== undefined, `${bucket.name}: encrypted`);
        const policy = of("aws:s3/bucketPolicy:BucketPolicy");
        check(policy !== undefined && /"aws:SecureTransport":"false"/.test(policy.inputs.policy), `${bucket.name}: TLS only`);
    }
    for (const topic of run.ofType("aws:sns/topic:Topic")) check(/^arn:aws:kms:/.test(String(topic.inputs.kmsMasterKeyId)), `${topic.name}: a customer-managed key`);
    for (const rule of run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")) {
        if (rule.inputs.cidrIpv4 === "0.0.0.0/0") check(rule.inputs.securityGroupId.endsWith("-alb-sg-id") && [80, 443].includes(rule.inputs.fromPort), `${rule.name}: only the load balancer is open to the internet`);
    }
    for (const td of run.ofType("aws:ecs/taskDefinition:TaskDefinition")) {
        check((JSON.parse(td.inputs.containerDefinitions) as { readonlyRootFilesystem: boolean }[]).every((c) => c.readonlyRootFilesystem), `${td.name}: read-only root filesystems`);
    }
    for (const s of run.ofType("aws:ecs/service:Service")) check(s.inputs.enableExecuteCommand === false, `${s.name}: no exec in production`);
    return found;
}

describe("a reviewer's production policies", () => {
    it("hold on the prod stack file", async () => {
        const prod = await evaluateStack({ stack: "prod", stackOutputs: { dev: { image: devImage, platform: "linux/amd64" } } });
        expect(violations(prod)).toEqual([]);
        expect(prod.ofType("aws:s3/bucket:Bucket")).toHaveLength(1);
    });

    it("bite: dev's cheap stack breaks them", async () => {
        const dev = await evaluateStack({ stack: "dev" });
        expect(violations(dev)).toEqual(expect.arrayContaining([
            "shop-dev-alb: protected (AWS deletion protection and Pulumi protect)",
            "shop-dev-alb: access logs",
            "shop-dev-http: HTTP redirects to HTTPS",
            "an HTTPS listener",
            "shop-dev-db-instance: Multi-AZ",
            "shop-dev-web: no exec in production",
        ]));
    });
});
