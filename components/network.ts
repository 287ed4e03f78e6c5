import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { subnetCidrs } from "../lib/subnets";

/** Create a VPC, or adopt one (its subnets were looked up and checked before declaring). */
export type NetworkSettings =
    | {
        mode: "create";
        /** A `10.x.0.0/16` block. */
        cidr: string;
        /**
         * "single": one NAT gateway (cheaper); "perAz": one per availability zone (survives an AZ
         * outage); "none": no NAT, tasks run in the public subnets with public IPs.
         */
        natGateways: "single" | "perAz" | "none";
    }
    | { mode: "existing"; vpcId: string; publicSubnetIds: string[]; privateSubnetIds: string[] };

export interface NetworkArgs {
    settings: NetworkSettings;
    /** AWS region, for the S3 endpoint's service name. */
    region: string;
    /** Two availability zones for a created VPC, resolved before declaring (the subnet count must not depend on an Output). */
    availabilityZones: string[];
    tags: Record<string, string>;
}

/**
 * Where everything runs: public subnets hold only the load balancer and NAT; tasks and the
 * database sit in private subnets the internet cannot reach. Either creates a VPC across two
 * availability zones or adopts an existing one. Also owns the two security groups the other
 * components add their rules to.
 */
export class Network extends pulumi.ComponentResource {
    /** The VPC id. */
    public readonly vpcId: pulumi.Output<string>;
    /** Subnets for the internet-facing load balancer. */
    public readonly publicSubnetIds: pulumi.Output<string[]>;
    /** Subnets for the database, and for tasks unless natGateways is none (no route from the internet). */
    public readonly privateSubnetIds: pulumi.Output<string[]>;
    /** Where tasks run: the private subnets, or the public ones when there is no NAT (natGateways none). */
    public readonly taskSubnetIds: pulumi.Output<string[]>;
    /** Tasks in public subnets need a public IP to reach ECR, SSM and CloudWatch Logs. */
    public readonly taskPublicIp: boolean;
    /** Security group of the load balancer. */
    public readonly albSecurityGroupId: pulumi.Output<string>;
    /** Security group of every app task. */
    public readonly tasksSecurityGroupId: pulumi.Output<string>;
    /** Security-group rules the app tasks rely on (their way out to AWS APIs). */
    public readonly rules: pulumi.Resource[];

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("twelve-factor:network:Network", name, {}, opts);
        const parent = this;
        const { settings, tags } = args;
        if (settings.mode === "create" && args.availabilityZones.length < 2) {
            throw new Error(`Network ${name}: availabilityZones: expected two availability zones, got ${JSON.stringify(args.availabilityZones)}`);
        }

        const vpc = settings.mode === "create" ? createVpc(settings, args.availabilityZones.slice(0, 2)) : adoptVpc(settings);
        const groups = createSecurityGroups(vpc.vpcId);

        this.vpcId = vpc.vpcId;
        this.publicSubnetIds = vpc.publicSubnetIds;
        this.privateSubnetIds = vpc.privateSubnetIds;
        // No NAT: tasks go where the internet gateway is; their security group still admits only the load balancer.
        this.taskPublicIp = settings.mode === "create" && settings.natGateways === "none";
        this.taskSubnetIds = this.taskPublicIp ? vpc.publicSubnetIds : vpc.privateSubnetIds;
        this.albSecurityGroupId = groups.alb.id;
        this.tasksSecurityGroupId = groups.tasks.id;
        this.rules = groups.rules;
        this.registerOutputs({
            vpcId: this.vpcId,
            publicSubnetIds: this.publicSubnetIds,
            privateSubnetIds: this.privateSubnetIds,
            albSecurityGroupId: this.albSecurityGroupId,
            tasksSecurityGroupId: this.tasksSecurityGroupId,
        });

        function adoptVpc(adopted: Extract<NetworkSettings, { mode: "existing" }>) {
            return { vpcId: pulumi.output(adopted.vpcId), publicSubnetIds: pulumi.output(adopted.publicSubnetIds), privateSubnetIds: pulumi.output(adopted.privateSubnetIds) };
        }

        function createVpc(created: Extract<NetworkSettings, { mode: "create" }>, zones: string[]) {
            const blocks = subnetCidrs(created.cidr);
            const vpc = new aws.ec2.Vpc(`${name}-vpc`, { cidrBlock: created.cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: { ...tags, Name: name } }, { parent });
            const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags }, { parent });
            const publicRt = new aws.ec2.RouteTable(`${name}-public-rt`, { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags }, { parent });
            const publicSubnets = zones.map((az, i) => createSubnet(vpc, "public", i, az, blocks.public[i], publicRt));

            // Private tasks reach ECR, SSM and CloudWatch Logs through NAT; without a route out every
            // task fails with ResourceInitializationError. One NAT is cheaper, one per AZ survives an AZ outage;
            // with none, tasks run in the public subnets and the private ones (the database's) have no route out.
            const natCount = { perAz: zones.length, single: 1, none: 0 }[created.natGateways];
            const nats = Array.from({ length: natCount }, (_, i) => {
                const eip = new aws.ec2.Eip(`${name}-nat-${i + 1}-eip`, { domain: "vpc", tags }, { parent });
                return new aws.ec2.NatGateway(`${name}-nat-${i + 1}`, { allocationId: eip.id, subnetId: publicSubnets[i].id, tags }, { parent, dependsOn: [igw] });
            });
            const privateRts = zones.map((_, i) => new aws.ec2.RouteTable(`${name}-private-${i + 1}-rt`, {
                vpcId: vpc.id,
                routes: nats.length === 0 ? [] : [{ cidrBlock: "0.0.0.0/0", natGatewayId: nats[Math.min(i, nats.length - 1)].id }],
                tags,
            }, { parent }));
            const privateSubnets = zones.map((az, i) => createSubnet(vpc, "private", i, az, blocks.private[i], privateRts[i]));
            // Image layers come from S3; a gateway endpoint is free and keeps that traffic off the NAT bill.
            new aws.ec2.VpcEndpoint(`${name}-s3`, {
                vpcId: vpc.id,
                serviceName: `com.amazonaws.${args.region}.s3`,
                vpcEndpointType: "Gateway",
                routeTableIds: privateRts.map((rt) => rt.id),
                tags,
            }, { parent });
            return {
                vpcId: vpc.id,
                publicSubnetIds: pulumi.all(publicSubnets.map((s) => s.id)),
                privateSubnetIds: pulumi.all(privateSubnets.map((s) => s.id)),
            };
        }

        function createSubnet(vpc: aws.ec2.Vpc, tier: "public" | "private", i: number, az: string, cidrBlock: string, routeTable: aws.ec2.RouteTable): aws.ec2.Subnet {
            const subnet = new aws.ec2.Subnet(`${name}-${tier}-${i + 1}`, {
                vpcId: vpc.id,
                availabilityZone: az,
                cidrBlock,
                mapPublicIpOnLaunch: false,
                tags: { ...tags, Name: `${name}-${tier}-${az}`, tier },
            }, { parent });
            new aws.ec2.RouteTableAssociation(`${name}-${tier}-${i + 1}-rta`, { subnetId: subnet.id, routeTableId: routeTable.id }, { parent });
            return subnet;
        }

        function createSecurityGroups(vpcId: pulumi.Output<string>) {
            const alb = new aws.ec2.SecurityGroup(`${name}-alb-sg`, {
                vpcId,
                description: "Load balancer: HTTP(S) from the internet, to web tasks only",
                tags,
            }, { parent });
            const tasks = new aws.ec2.SecurityGroup(`${name}-tasks-sg`, {
                vpcId,
                description: "App tasks: in from the load balancer, out to AWS APIs and the database",
                tags,
            }, { parent });
            // Image pulls, SSM parameters and CloudWatch Logs are HTTPS calls to AWS endpoints.
            const httpsOut = new aws.vpc.SecurityGroupEgressRule(`${name}-tasks-https-out`, {
                securityGroupId: tasks.id,
                ipProtocol: "tcp",
                fromPort: 443,
                toPort: 443,
                cidrIpv4: "0.0.0.0/0",
                description: "AWS APIs (ECR, S3, SSM, CloudWatch Logs) through the NAT gateway",
            }, { parent });
            return { alb, tasks, rules: [httpsOut] };
        }
    }
}
