import type { Recorded } from "../offline/evaluate";
import prices from "./prices.json";
import type { CostLine, CostReport } from "./types";

/**
 * The monthly cost of a stack at idle (no traffic, no data processed), from ./prices.json: a
 * line for every declared resource type, per cost driver, $0 where a type costs nothing at idle.
 * A type with no rule here is listed as unpriced (test/check-cost.test.ts fails on one), and a
 * region prices.json lacks gets no figures at all rather than another region's.
 */

type PriceKey = Exclude<keyof (typeof prices)["regions"]["eu-west-1"]["prices"], "rdsPostgresHour">;
interface Ctx {
    price(key: PriceKey): number;
    rdsHour(instanceClass: string): number | undefined;
    hours: number;
    all: Recorded[];
}
type Rule = (resources: Recorded[], ctx: Ctx) => Omit<CostLine, "type">[];

/** Types that cost nothing at idle, and why. */
const free: Record<string, string> = {
    "aws:ec2/vpc:Vpc": "no charge for a VPC",
    "aws:ec2/subnet:Subnet": "no charge",
    "aws:ec2/internetGateway:InternetGateway": "no charge (data out to the internet is billed per GB)",
    "aws:ec2/routeTable:RouteTable": "no charge",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "no charge",
    "aws:ec2/securityGroup:SecurityGroup": "no charge",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "no charge",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "no charge",
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": "no charge",
    "aws:ecs/taskDefinition:TaskDefinition": "no charge (its tasks are billed under their services)",
    "aws:iam/role:Role": "no charge",
    "aws:iam/rolePolicy:RolePolicy": "no charge",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "no charge",
    "aws:iam/policy:Policy": "no charge",
    "aws:lb/targetGroup:TargetGroup": "no charge (billed with the load balancer)",
    "aws:lb/listener:Listener": "no charge (billed with the load balancer)",
    "aws:lb/listenerRule:ListenerRule": "no charge (billed with the load balancer)",
    "aws:rds/subnetGroup:SubnetGroup": "no charge",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": "no charge",
    "docker:index/image:Image": "built on the deploying machine; stored in the ECR repository (see that line)",
    "random:index/randomPassword:RandomPassword": "computed by Pulumi, not an AWS resource",
    "random:index/randomId:RandomId": "computed by Pulumi, not an AWS resource",
    "aws:acm/certificate:Certificate": "public ACM certificates are free",
    "aws:acm/certificateValidation:CertificateValidation": "no charge (a wait, not a resource)",
    "aws:route53/record:Record": "records are free (the hosted zone is billed where declared; alias queries to the load balancer are free)",
    "aws:appautoscaling/target:Target": "no charge (idle runs at its minimum capacity: see the Fargate lines)",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "no charge",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "no charge",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "no charge (SSE-S3)",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "no charge",
    "aws:s3/bucketPolicy:BucketPolicy": "no charge",
    "aws:sns/topic:Topic": "no charge at idle (the first million publishes a month are free)",
    "aws:sns/topicPolicy:TopicPolicy": "no charge",
    "aws:sns/topicSubscription:TopicSubscription": "no charge at idle (the first 1,000 email notifications a month are free)",
    "aws:kms/alias:Alias": "no charge",
    "aws:scheduler/schedule:Schedule": "no charge within 14 million invocations a month; each scheduled run is billed as a Fargate task for as long as it runs (not at idle)",
    "aws:cloudwatch/eventRule:EventRule": "no charge for rules on AWS events",
    "aws:cloudwatch/eventTarget:EventTarget": "no charge",
};

const hourly = (count: number, hours: number, price: number, driver: string, unit: string, note?: string) =>
    ({ driver, quantity: count * hours, unit, unitPrice: price, monthly: count * hours * price, note });

const rules: Record<string, Rule> = {
    "aws:ec2/natGateway:NatGateway": (rs, c) => [hourly(rs.length, c.hours, c.price("natGatewayHour"), `NAT gateway hours (${rs.length} × ${c.hours} h)`, "NAT gateway-hour", `plus $${c.price("natGatewayGb")}/GB processed (none at idle)`)],
    "aws:ec2/eip:Eip": (rs, c) => [hourly(rs.length, c.hours, c.price("publicIpv4Hour"), `public IPv4 addresses: ${rs.length} Elastic IP${rs.length === 1 ? "" : "s"}`, "address-hour")],
    "aws:ec2/vpcEndpoint:VpcEndpoint": (rs, c) => {
        const gateways = rs.filter((r) => (r.inputs.vpcEndpointType ?? "Gateway") === "Gateway");
        const interfaces = rs.filter((r) => r.inputs.vpcEndpointType === "Interface");
        const azs = interfaces.reduce((n, r) => n + Math.max(1, (r.inputs.subnetIds ?? []).length), 0);
        return [
            ...(gateways.length > 0 ? [{ driver: `gateway endpoints (${gateways.length})`, quantity: gateways.length, unit: "endpoint", unitPrice: null, monthly: 0, note: "gateway endpoints (S3, DynamoDB) are free" }] : []),
            ...(interfaces.length > 0 ? [hourly(azs, c.hours, c.price("interfaceEndpointHour"), `interface endpoints: ${interfaces.length} in ${azs} AZ-attachments`, "endpoint-hour per AZ")] : []),
        ];
    },
    "aws:lb/loadBalancer:LoadBalancer": (rs, c) => rs.flatMap((lb) => {
        const network = lb.inputs.loadBalancerType === "network";
        const ips = lb.inputs.internal === true ? 0 : Math.max((lb.inputs.subnets ?? []).length, (lb.inputs.subnetMappings ?? []).length);
        return [
            hourly(1, c.hours, c.price(network ? "nlbHour" : "albHour"), `${network ? "Network" : "Application"} Load Balancer hours (${lb.name})`, "load balancer-hour", `plus $${c.price("lcuHour")}/LCU-hour with traffic (none at idle)`),
            ...(ips > 0 ? [hourly(ips, c.hours, c.price("publicIpv4Hour"), `public IPv4 addresses: ${ips} of the internet-facing load balancer (one per subnet)`, "address-hour")] : []),
        ];
    }),
    "aws:ecs/service:Service": (rs, c) => rs.flatMap((s) => [...fargate(s, c), ...publicTaskAddresses(s, c)]),
    "aws:ecs/cluster:Cluster": (rs) => rs.map((cluster) => {
        const insights = ((cluster.inputs.settings ?? []) as { name: string; value: string }[]).some((s) => s.name === "containerInsights" && s.value !== "disabled");
        return insights
            ? { driver: `Container Insights on ${cluster.name}`, quantity: 0, unit: "metric-month", unitPrice: null, monthly: 0, note: "billed as custom metrics per cluster, service and task plus performance log events: usage-based, not estimated (a few dollars a month for a small stack)" }
            : { driver: `ECS cluster ${cluster.name}`, quantity: 0, unit: "cluster", unitPrice: 0, monthly: 0, note: "no charge for the cluster (its tasks are billed under their services)" };
    }),
    "aws:rds/instance:Instance": (rs, c) => rs.flatMap((db) => {
        const copies = db.inputs.multiAz === true ? 2 : 1;
        const az = copies === 2 ? "Multi-AZ" : "Single-AZ";
        const hour = String(db.inputs.engine).startsWith("postgres") ? c.rdsHour(String(db.inputs.instanceClass)) : undefined;
        const storage = Number(db.inputs.allocatedStorage ?? 20);
        const gp = ["gp2", "gp3", undefined].includes(db.inputs.storageType);
        return [
            hour === undefined
                ? { driver: `RDS ${db.inputs.engine} ${db.inputs.instanceClass} ${az}`, quantity: 0, unit: "instance-hour", unitPrice: null, monthly: 0, note: `no price for this class or engine in prices.json: estimate incomplete` }
                : hourly(copies, c.hours, hour, `RDS ${db.inputs.instanceClass} ${az} (${copies} instance${copies === 2 ? "s: primary and standby" : ""})`, "instance-hour"),
            gp
                ? { driver: `RDS ${db.inputs.storageType ?? "gp2"} storage ${storage} GB ${az}`, quantity: storage * copies, unit: "GB-month", unitPrice: c.price("rdsGp3GbMonth"), monthly: storage * copies * c.price("rdsGp3GbMonth"), note: `backups free up to ${storage} GB, then $${c.price("rdsBackupGbMonth")}/GB-month` }
                : { driver: `RDS ${db.inputs.storageType} storage ${storage} GB`, quantity: 0, unit: "GB-month", unitPrice: null, monthly: 0, note: "no price for this storage type in prices.json: estimate incomplete" },
        ];
    }),
    "aws:ssm/parameter:Parameter": (rs, c) => {
        // Intelligent-Tiering stays standard up to 4 KB; above it SSM makes the parameter advanced.
        const advanced = rs.filter((p) => p.inputs.tier === "Advanced" || (p.inputs.tier === "Intelligent-Tiering" && Buffer.byteLength(String(p.inputs.insecureValue ?? p.inputs.value ?? "")) > 4096));
        return [
            { driver: `SSM parameters: ${rs.length - advanced.length} standard`, quantity: rs.length - advanced.length, unit: "parameter", unitPrice: 0, monthly: 0, note: "standard parameters are free (up to 10,000 per account and region); each release adds its own, kept" },
            ...(advanced.length > 0 ? [{ driver: `SSM parameters: ${advanced.length} advanced`, quantity: advanced.length, unit: "parameter-month", unitPrice: c.price("ssmAdvancedParameterMonth"), monthly: advanced.length * c.price("ssmAdvancedParameterMonth") }] : []),
        ];
    },
    "aws:cloudwatch/logGroup:LogGroup": (rs, c) => [{ driver: `CloudWatch Logs: ${rs.length} log group${rs.length === 1 ? "" : "s"}`, quantity: 0, unit: "GB", unitPrice: c.price("logsIngestGb"), monthly: 0, note: `$${c.price("logsIngestGb")}/GB ingested, $${c.price("logsStoreGbMonth")}/GB-month stored (none at idle)` }],
    "aws:cloudwatch/metricAlarm:MetricAlarm": (rs, c) => {
        const metrics = (r: Recorded) => Math.max(1, ((r.inputs.metricQueries ?? []) as { metric?: unknown }[]).filter((q) => q.metric !== undefined).length);
        const high = rs.filter((r) => Number(r.inputs.period ?? 60) < 60);
        const standard = rs.filter((r) => !high.includes(r));
        const n = (group: Recorded[]) => group.reduce((sum, r) => sum + metrics(r), 0);
        return [
            ...(standard.length > 0 ? [{ driver: `CloudWatch alarms: ${standard.length} (${n(standard)} metrics)`, quantity: n(standard), unit: "alarm metric-month", unitPrice: c.price("alarmMonth"), monthly: n(standard) * c.price("alarmMonth") }] : []),
            ...(high.length > 0 ? [{ driver: `CloudWatch high-resolution alarms: ${high.length}`, quantity: n(high), unit: "alarm metric-month", unitPrice: c.price("highResolutionAlarmMonth"), monthly: n(high) * c.price("highResolutionAlarmMonth") }] : []),
        ];
    },
    "aws:appautoscaling/policy:Policy": (rs, c) => {
        // Target tracking creates its own CloudWatch alarms: one to scale out and, unless scale-in is off, one to scale in.
        const tracking = rs.filter((r) => (r.inputs.policyType ?? "StepScaling") === "TargetTrackingScaling");
        const alarms = tracking.reduce((n, r) => n + (r.inputs.targetTrackingScalingPolicyConfiguration?.disableScaleIn === true ? 1 : 2), 0);
        return [{ driver: `auto scaling policies: ${rs.length} (${alarms} alarms they create)`, quantity: alarms, unit: "alarm metric-month", unitPrice: c.price("alarmMonth"), monthly: alarms * c.price("alarmMonth"), note: "the alarms Application Auto Scaling creates for target tracking are billed as CloudWatch alarms" }];
    },
    "aws:ecr/repository:Repository": (rs, c) => [{ driver: `ECR repositories: ${rs.length}`, quantity: 0, unit: "GB-month", unitPrice: c.price("ecrStorageGbMonth"), monthly: 0, note: `$${c.price("ecrStorageGbMonth")}/GB-month for the images kept (every release's)` }],
    "aws:kms/key:Key": (rs, c) => [{ driver: `KMS customer managed keys: ${rs.length}`, quantity: rs.length, unit: "key-month", unitPrice: c.price("kmsKeyMonth"), monthly: rs.length * c.price("kmsKeyMonth"), note: "plus $0.03 per 10,000 requests beyond the free tier" }],
    "aws:s3/bucket:Bucket": (rs, c) => [{ driver: `S3 buckets: ${rs.length}`, quantity: 0, unit: "GB-month", unitPrice: c.price("s3StandardGbMonth"), monthly: 0, note: `$${c.price("s3StandardGbMonth")}/GB-month stored (empty at idle; access logs grow with traffic)` }],
    "aws:s3/bucketV2:BucketV2": (rs, c) => rules["aws:s3/bucket:Bucket"](rs, c),
    "aws:route53/zone:Zone": (rs, c) => [{ driver: `Route 53 hosted zones: ${rs.length}`, quantity: rs.length, unit: "zone-month", unitPrice: c.price("route53ZoneMonth"), monthly: rs.length * c.price("route53ZoneMonth") }],
    "aws:secretsmanager/secret:Secret": (rs, c) => [{ driver: `Secrets Manager secrets: ${rs.length}`, quantity: rs.length, unit: "secret-month", unitPrice: c.price("secretsManagerSecretMonth"), monthly: rs.length * c.price("secretsManagerSecretMonth") }],
};

/** A service's tasks at idle: Application Auto Scaling's minimum when it scales the service, else its desired count. */
function idleTasks(service: Recorded, all: Recorded[]): number {
    const name = String(service.outputs.name ?? "");
    const target = all.find((r) => r.type === "aws:appautoscaling/target:Target" && name !== "" && String(r.inputs.resourceId ?? "").endsWith(`/${name}`));
    return Number(target?.inputs.minCapacity ?? service.inputs.desiredCount ?? 0);
}

/** vCPU and memory lines of one service, split between Fargate and Fargate Spot by its capacity provider strategy. */
function fargate(service: Recorded, c: Ctx): Omit<CostLine, "type">[] {
    const td = c.all.find((r) => r.type === "aws:ecs/taskDefinition:TaskDefinition" && r.outputs.arn === service.inputs.taskDefinition);
    if (td === undefined) return [{ driver: `ECS service ${service.name}`, quantity: 0, unit: "task", unitPrice: null, monthly: 0, note: "task definition not found: estimate incomplete" }];
    const process = String(td.inputs.tags?.process ?? service.name);
    const vcpu = Number(td.inputs.cpu) / 1024;
    const gb = Number(td.inputs.memory) / 1024;
    const arm = td.inputs.runtimePlatform?.cpuArchitecture === "ARM64";
    const tasks = idleTasks(service, c.all);
    const strategies = (service.inputs.capacityProviderStrategies ?? []) as { capacityProvider: string; weight?: number; base?: number }[];
    const split = splitTasks(tasks, strategies);
    const lines: Omit<CostLine, "type">[] = [];
    for (const [spot, count] of [[false, split.onDemand], [true, split.spot]] as const) {
        if (count === 0 && (spot || split.spot > 0)) continue;
        const kind = spot ? "Fargate Spot" : "Fargate";
        const [cpuKey, memKey]: [PriceKey, PriceKey] = spot ? ["fargateSpotVcpuHour", "fargateSpotGbHour"] : arm ? ["fargateArmVcpuHour", "fargateArmGbHour"] : ["fargateVcpuHour", "fargateGbHour"];
        const arch = arm ? "ARM" : "x86";
        const note = spot && arm ? "Spot on ARM priced at the x86 Spot figure (prices.json has no other)" : spot ? "Spot prices move with spare capacity" : undefined;
        lines.push(hourly(count * vcpu, c.hours, c.price(cpuKey), `${kind} vCPU: ${process} ${vcpu} vCPU × ${count} task${count === 1 ? "" : "s"} (${arch})`, "vCPU-hour", note));
        lines.push(hourly(count * gb, c.hours, c.price(memKey), `${kind} memory: ${process} ${gb} GB × ${count} task${count === 1 ? "" : "s"} (${arch})`, "GB-hour", note));
    }
    return lines;
}

/** Tasks with a public IP (no NAT gateway): each holds a public IPv4 address while it runs. */
function publicTaskAddresses(service: Recorded, c: Ctx): Omit<CostLine, "type">[] {
    if (service.inputs.networkConfiguration?.assignPublicIp !== true) return [];
    const tasks = idleTasks(service, c.all);
    const process = String(service.name).split("-").pop();
    return tasks === 0 ? [] : [hourly(tasks, c.hours, c.price("publicIpv4Hour"), `public IPv4 addresses: ${tasks} of ${process}'s task${tasks === 1 ? "" : "s"} (public subnets, no NAT)`, "address-hour")];
}

/** How ECS places `tasks` over a capacity provider strategy: each provider's base first, the rest by weight. */
export function splitTasks(tasks: number, strategies: { capacityProvider: string; weight?: number; base?: number }[]): { onDemand: number; spot: number } {
    if (strategies.length === 0) return { onDemand: tasks, spot: 0 };
    const isSpot = (s: { capacityProvider: string }) => s.capacityProvider === "FARGATE_SPOT";
    let spot = 0;
    let left = tasks;
    for (const s of strategies) {
        const base = Math.min(left, s.base ?? 0);
        if (isSpot(s)) spot += base;
        left -= base;
    }
    const weights = strategies.reduce((w, s) => w + (s.weight ?? 0), 0);
    const spotWeight = strategies.filter(isSpot).reduce((w, s) => w + (s.weight ?? 0), 0);
    // ECS rounds toward the ratio; at idle counts this is the expected split.
    if (weights > 0) spot += Math.round((left * spotWeight) / weights);
    return { onDemand: tasks - spot, spot };
}

/** To the cent, half up as on paper (16.425 → 16.43, which binary floating point would round down). */
const cents = (usd: number) => Math.round(Number((usd * 100).toPrecision(12))) / 100;

export function estimateCost(resources: Recorded[], region: string): CostReport {
    const declared = resources.filter((r) => r.custom && !r.type.startsWith("pulumi:pulumi:"));
    const types = [...new Set(declared.map((r) => r.type))];
    const table = (prices.regions as Record<string, (typeof prices.regions)["eu-west-1"] | undefined>)[region];
    const unpriced = types.filter((t) => rules[t] === undefined && free[t] === undefined).sort();
    const lines: CostLine[] = [];
    if (table === undefined) {
        for (const type of types) lines.push({ type, driver: `${declared.filter((r) => r.type === type).length} declared`, quantity: 0, unit: "", unitPrice: null, monthly: 0, note: `no prices for ${region} in check/prices.json` });
        return { region, currency: "USD", known: false, hoursPerMonth: prices.hoursPerMonth, monthlyTotal: null, lines, unpriced };
    }
    const ctx: Ctx = {
        price: (key) => (table.prices[key] as { usd: number }).usd,
        rdsHour: (instanceClass) => (table.prices.rdsPostgresHour.byClass as Record<string, number | undefined>)[instanceClass],
        hours: prices.hoursPerMonth,
        all: resources,
    };
    for (const type of types) {
        const ofType = declared.filter((r) => r.type === type);
        if (rules[type] !== undefined) for (const line of rules[type](ofType, ctx)) lines.push({ type, ...line, monthly: cents(line.monthly) });
        else lines.push({ type, driver: `${ofType.length} declared`, quantity: ofType.length, unit: "resource", unitPrice: null, monthly: 0, note: free[type] ?? "no cost rule in check/cost.ts: estimate incomplete" });
    }
    const total = cents(lines.reduce((sum, l) => sum + l.monthly, 0));
    return { region, currency: "USD", known: true, pricesAsOf: table.asOf, hoursPerMonth: prices.hoursPerMonth, monthlyTotal: total, lines, unpriced };
}
