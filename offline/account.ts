import { createHash } from "crypto";

/**
 * The simulated AWS account the tests and `npm run check` evaluate the program against: realistic provider
 * outputs for what the program declares, and answers to the data sources it reads.
 */

export const accountId = "123456789012";
export const region = "eu-west-1";

/** Provider inputs are untyped JSON; tests index into them freely. */
export type Inputs = Record<string, any>;

/** What exists in the account before an evaluation. */
export interface AccountState {
    /** SSM parameters that already exist in the account (ledger entries, running pointer). */
    ssm?: Record<string, string>;
    /** Existing subnets by id, for an adopted network. */
    subnets?: Record<string, { vpcId: string; availabilityZone: string }>;
    /** Existing RDS instances by identifier, for the `existing` database kind. */
    rdsInstances?: Record<string, { engine: string; engineVersion: string; address: string; port: number }>;
    /** ECR: repository URL → tag → digest (hex), for the build's look-up of pushed tags. */
    ecrImages?: Record<string, Record<string, string>>;
    /** Route 53 hosted zones by id (default: the account's public zone example.com, `exampleZoneId`). */
    hostedZones?: Record<string, { name: string; privateZone: boolean }>;
}

/** The account's public hosted zone, which Pulumi.prod.yaml names. */
export const exampleZoneId = "Z0123456789EXAMPLEZONE";
const defaultZones: Record<string, { name: string; privateZone: boolean }> = { [exampleZoneId]: { name: "example.com", privateZone: false } };
/** Route 53 zone id of Application Load Balancers in the test region (eu-west-1). */
export const albHostedZoneId = "Z32O12XQLNTSW2";
/** A UUID that follows a name, as AWS gives certificates and keys. */
const uuidOf = (name: string) => digestOf(name).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12}).*$/, "$1-$2-$3-$4-$5");

function digestOf(text: string): string {
    return createHash("sha256").update(text).digest("hex");
}

/** Realistic provider outputs for the resources this program declares. */
export function outputsFor(type: string, name: string, inputs: Inputs, preview: boolean): Inputs {
    const arnBase = `arn:aws:${type.split(":")[1].split("/")[0]}:${region}:${accountId}`;
    const computed: Inputs = { arn: `${arnBase}:${name}`, id: `${name}-id` };
    switch (type) {
        case "aws:ecr/repository:Repository":
            Object.assign(computed, { arn: `arn:aws:ecr:${region}:${accountId}:repository/${name}`, name, registryId: accountId, repositoryUrl: `${accountId}.dkr.ecr.${region}.amazonaws.com/${name}` });
            break;
        case "docker:index/image:Image": {
            const repo = String(inputs.imageName).replace(/:[^:/]+$/, "");
            computed.repoDigest = `${repo}@sha256:${digestOf(String(inputs.imageName))}`;
            break;
        }
        case "aws:ecs/taskDefinition:TaskDefinition":
        {
            // A revision number that follows the content, so equal task definitions get equal ARNs.
            const revision = parseInt(digestOf(String(inputs.containerDefinitions)).slice(0, 4), 16);
            Object.assign(computed, { arn: `arn:aws:ecs:${region}:${accountId}:task-definition/${inputs.family}:${revision}`, revision });
        }
            break;
        case "aws:iam/role:Role":
            Object.assign(computed, { arn: `arn:aws:iam::${accountId}:role/${name}`, name });
            break;
        case "aws:cloudwatch/logGroup:LogGroup":
            computed.arn = `arn:aws:logs:${region}:${accountId}:log-group:${inputs.name}`;
            break;
        case "aws:lb/loadBalancer:LoadBalancer":
            Object.assign(computed, { arn: `arn:aws:elasticloadbalancing:${region}:${accountId}:loadbalancer/app/${name}/0123456789abcdef`, dnsName: `${name}-1234567890.${region}.elb.amazonaws.com` });
            break;
        case "aws:lb/targetGroup:TargetGroup":
            computed.arn = `arn:aws:elasticloadbalancing:${region}:${accountId}:targetgroup/${name}/0123456789abcdef`;
            break;
        case "aws:rds/instance:Instance":
            Object.assign(computed, { address: `${inputs.identifier}.c0ffee123456.${region}.rds.amazonaws.com`, port: 5432 });
            break;
        case "aws:rds/subnetGroup:SubnetGroup":
            computed.name = `${name}-abc1234`;
            break;
        case "random:index/randomPassword:RandomPassword":
            // Keepers replace the password when they change, as the random provider does.
            computed.result = `Pw${digestOf(name + JSON.stringify(inputs.keepers ?? {})).slice(0, 38)}`;
            break;
        case "random:index/randomId:RandomId":
            computed.hex = digestOf(name + JSON.stringify(inputs.keepers ?? {})).slice(0, 2 * Number(inputs.byteLength ?? 4));
            break;
        case "aws:ssm/parameter:Parameter":
            computed.arn = `arn:aws:ssm:${region}:${accountId}:parameter${inputs.name}`;
            break;
        case "aws:ecs/cluster:Cluster":
            Object.assign(computed, { arn: `arn:aws:ecs:${region}:${accountId}:cluster/${name}`, name });
            break;
        case "aws:ecs/service:Service":
            // Auto-named: the logical name and a random suffix.
            computed.name = inputs.name ?? `${name}-${digestOf(name).slice(0, 7)}`;
            break;
        case "aws:acm/certificate:Certificate": {
            const token = digestOf(String(inputs.domainName)).slice(0, 32);
            Object.assign(computed, {
                arn: `arn:aws:acm:${region}:${accountId}:certificate/${uuidOf(name)}`,
                domainValidationOptions: [{ domainName: inputs.domainName, resourceRecordName: `_${token}.${inputs.domainName}.`, resourceRecordType: "CNAME", resourceRecordValue: `_${token.split("").reverse().join("")}.acm-validations.aws.` }],
            });
            break;
        }
        case "aws:route53/record:Record":
            computed.fqdn = String(inputs.name).replace(/\.$/, "");
            break;
        case "aws:s3/bucket:Bucket": {
            const bucket = inputs.bucket ?? `${name}-${digestOf(name).slice(0, 7)}`;
            Object.assign(computed, { bucket, id: bucket, arn: `arn:aws:s3:::${bucket}` });
            break;
        }
        case "aws:kms/key:Key":
            Object.assign(computed, { keyId: uuidOf(name), arn: `arn:aws:kms:${region}:${accountId}:key/${uuidOf(name)}` });
            break;
        case "aws:scheduler/schedule:Schedule":
            computed.arn = `arn:aws:scheduler:${region}:${accountId}:schedule/default/${name}`;
            break;
    }
    if (type === "aws:lb/loadBalancer:LoadBalancer" || type === "aws:lb/targetGroup:TargetGroup") {
        // What CloudWatch names them by: the ARN after "loadbalancer/" (or from "targetgroup/").
        computed.arnSuffix = String(computed.arn).replace(/^.*:loadbalancer\//, "").replace(/^.*:(targetgroup\/)/, "$1");
        if (type === "aws:lb/loadBalancer:LoadBalancer") computed.zoneId = albHostedZoneId;
    }
    // In a preview, what the provider computes is unknown; inputs are known.
    return preview ? { ...inputs } : { ...inputs, ...computed };
}

/** The AWS data sources the program reads, answered from the test's simulated account. */
export function invokeResult(token: string, args: Inputs, options: AccountState): Inputs {
    switch (token) {
        case "aws:ssm/getParametersByPath:getParametersByPath": {
            const prefix = `${String(args.path).replace(/\/$/, "")}/`;
            const names = Object.keys(options.ssm ?? {}).filter((n) => n.startsWith(prefix) && (args.recursive || !n.slice(prefix.length).includes("/"))).sort();
            return { id: args.path, path: args.path, names, values: names.map((n) => options.ssm![n]), types: names.map(() => "String"), arns: names.map((n) => `arn:aws:ssm:${region}:${accountId}:parameter${n}`) };
        }
        case "aws:index/getAvailabilityZones:getAvailabilityZones":
            return { id: region, names: [`${region}c`, `${region}a`, `${region}b`], zoneIds: ["euw1-az3", "euw1-az1", "euw1-az2"], groupNames: [region] };
        case "aws:index/getCallerIdentity:getCallerIdentity":
            return { id: accountId, accountId, arn: `arn:aws:iam::${accountId}:user/deployer`, userId: "AIDEXAMPLE" };
        case "aws:index/getPartition:getPartition":
            return { id: "aws", partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
        case "aws:ecr/getAuthorizationToken:getAuthorizationToken":
            return { id: accountId, userName: "AWS", password: "ecr-token", authorizationToken: "QVdTOmVjci10b2tlbg==", proxyEndpoint: `https://${accountId}.dkr.ecr.${region}.amazonaws.com` };
        case "aws:ec2/getSubnet:getSubnet": {
            const found = options.subnets?.[String(args.id)];
            if (!found) throw new Error(`InvalidSubnetID.NotFound: ${args.id}`);
            return { id: args.id, ...found };
        }
        case "aws:ecr/getImages:getImages": {
            const url = `${args.registryId ?? accountId}.dkr.ecr.${region}.amazonaws.com/${args.repositoryName}`;
            const tags = options.ecrImages?.[url];
            if (tags === undefined) throw new Error(`RepositoryNotFoundException: ${url}`);
            return { id: url, repositoryName: args.repositoryName, imageIds: Object.entries(tags).map(([imageTag, digest]) => ({ imageTag, imageDigest: `sha256:${digest}` })) };
        }
        case "aws:rds/getInstances:getInstances": {
            const wanted = (args.filters as { name: string; values: string[] }[] | undefined)?.find((f) => f.name === "db-instance-id")?.values ?? [];
            const ids = Object.keys(options.rdsInstances ?? {}).filter((id) => wanted.length === 0 || wanted.includes(id)).sort();
            return { id: region, instanceIdentifiers: ids, instanceArns: ids.map((id) => `arn:aws:rds:${region}:${accountId}:db:${id}`) };
        }
        case "aws:route53/getZone:getZone": {
            const found = (options.hostedZones ?? defaultZones)[String(args.zoneId)];
            if (!found) throw new Error(`NoSuchHostedZone: No hosted zone found with ID: ${args.zoneId}`);
            return { id: args.zoneId, zoneId: args.zoneId, name: found.name, privateZone: found.privateZone, nameServers: ["ns-1.awsdns-01.org"] };
        }
        case "aws:rds/getInstance:getInstance": {
            const found = options.rdsInstances?.[String(args.dbInstanceIdentifier)];
            if (!found) throw new Error(`DBInstanceNotFound: ${args.dbInstanceIdentifier}`);
            return { id: args.dbInstanceIdentifier, ...found };
        }
    }
    throw new Error(`The simulated account (offline/account.ts) does not answer ${token}: add its answer there`);
}

