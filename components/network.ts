import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { NetworkConfig } from "../config";

export interface NetworkArgs {
    config: NetworkConfig;
    /** AWS region, for the S3 endpoint's service name. */
    region: string;
    /** Two availability zones, resolved before declaring (the subnet count must not depend on an Output). */
    availabilityZones: string[];
    tags: Record<string, string>;
}

/** Subnet blocks inside a `10.x.0.0/16`: small public subnets for the ALB and NAT, large private ones for tasks. */
export function subnetCidrs(vpcCidr: string): { public: string[]; private: string[] } {
    const second = vpcCidr.split(".")[1];
    return {
        public: [`10.${second}.0.0/24`, `10.${second}.1.0/24`],
        private: [`10.${second}.16.0/20`, `10.${second}.32.0/20`],
    };
}

/** What the stack needs to know of a subnet it adopts. */
export interface AdoptedSubnet {
    id: string;
    vpcId: string;
    availabilityZone: string;
}

/**
 * An adopted network must hold what a created one guarantees: every subnet in the named VPC,
 * and each tier across two availability zones (ALBs and RDS subnet groups require it).
 */
export function checkAdoptedSubnets(config: Extract<NetworkConfig, { mode: "existing" }>, subnets: AdoptedSubnet[]): void {
    const byId = new Map(subnets.map((s) => [s.id, s]));
    for (const tier of ["publicSubnetIds", "privateSubnetIds"] as const) {
        const found = config[tier].map((id) => byId.get(id)!);
        const outside = found.filter((s) => s.vpcId !== config.vpcId).map((s) => s.id);
        if (outside.length > 0) throw new Error(`twelve-factor:network.${tier}: expected subnets of ${config.vpcId}, got ${outside.join(", ")} from another VPC`);
        const zones = new Set(found.map((s) => s.availabilityZone));
        if (zones.size < 2) throw new Error(`twelve-factor:network.${tier}: expected subnets in two availability zones, got only ${[...zones].join(", ")}`);
    }
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
    /** Subnets for tasks and the database (no route from the internet). */
    public readonly privateSubnetIds: pulumi.Output<string[]>;
    /** Security group of the load balancer. */
    public readonly albSecurityGroupId: pulumi.Output<string>;
    /** Security group of every app task. */
    public readonly tasksSecurityGroupId: pulumi.Output<string>;
    /** Security-group rules the app tasks rely on (their way out to AWS APIs). */
    public readonly rules: pulumi.Resource[];

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("twelve-factor:network:Network", name, {}, opts);
        if (args.config.mode === "create" && args.availabilityZones.length < 2) {
            throw new Error(`Network ${name}: availabilityZones: expected two availability zones, got ${JSON.stringify(args.availabilityZones)}`);
        }

        const created = args.config.mode === "create" ? this.createVpc(name, args.config.cidr, args.config.natGateways, args.availabilityZones.slice(0, 2), args.region, args.tags) : undefined;
        this.vpcId = created ? created.vpcId : pulumi.output(args.config.mode === "existing" ? args.config.vpcId : "");
        this.publicSubnetIds = created ? created.publicSubnetIds : pulumi.output(args.config.mode === "existing" ? args.config.publicSubnetIds : []);
        this.privateSubnetIds = created ? created.privateSubnetIds : pulumi.output(args.config.mode === "existing" ? args.config.privateSubnetIds : []);

        const albSg = new aws.ec2.SecurityGroup(`${name}-alb-sg`, {
            vpcId: this.vpcId,
            description: "Load balancer: HTTP(S) from the internet, to web tasks only",
            tags: args.tags,
        }, { parent: this });
        const tasksSg = new aws.ec2.SecurityGroup(`${name}-tasks-sg`, {
            vpcId: this.vpcId,
            description: "App tasks: in from the load balancer, out to AWS APIs and the database",
            tags: args.tags,
        }, { parent: this });
        // Image pulls, SSM parameters and CloudWatch Logs are HTTPS calls to AWS endpoints.
        const httpsOut = new aws.vpc.SecurityGroupEgressRule(`${name}-tasks-https-out`, {
            securityGroupId: tasksSg.id,
            ipProtocol: "tcp",
            fromPort: 443,
            toPort: 443,
            cidrIpv4: "0.0.0.0/0",
            description: "AWS APIs (ECR, S3, SSM, CloudWatch Logs) through the NAT gateway",
        }, { parent: this });
        this.rules = [httpsOut];
        this.albSecurityGroupId = albSg.id;
        this.tasksSecurityGroupId = tasksSg.id;

        this.registerOutputs({
            vpcId: this.vpcId,
            publicSubnetIds: this.publicSubnetIds,
            privateSubnetIds: this.privateSubnetIds,
            albSecurityGroupId: this.albSecurityGroupId,
            tasksSecurityGroupId: this.tasksSecurityGroupId,
        });
    }

    private createVpc(name: string, cidr: string, natGateways: "single" | "perAz", zones: string[], region: string, tags: Record<string, string>) {
        const parent = this;
        const blocks = subnetCidrs(cidr);
        const vpc = new aws.ec2.Vpc(`${name}-vpc`, { cidrBlock: cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: { ...tags, Name: name } }, { parent });
        const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags }, { parent });

        const publicRt = new aws.ec2.RouteTable(`${name}-public-rt`, {
            vpcId: vpc.id,
            routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }],
            tags,
        }, { parent });
        const publicSubnets = zones.map((az, i) => {
            const subnet = new aws.ec2.Subnet(`${name}-public-${i + 1}`, {
                vpcId: vpc.id,
                availabilityZone: az,
                cidrBlock: blocks.public[i],
                mapPublicIpOnLaunch: false,
                tags: { ...tags, Name: `${name}-public-${az}`, tier: "public" },
            }, { parent });
            new aws.ec2.RouteTableAssociation(`${name}-public-${i + 1}-rta`, { subnetId: subnet.id, routeTableId: publicRt.id }, { parent });
            return subnet;
        });

        // Private tasks reach ECR, SSM and CloudWatch Logs through NAT; without a route out every
        // task fails with ResourceInitializationError. One NAT is cheaper, one per AZ survives an AZ outage.
        const natCount = natGateways === "perAz" ? zones.length : 1;
        const nats = Array.from({ length: natCount }, (_, i) => {
            const eip = new aws.ec2.Eip(`${name}-nat-${i + 1}-eip`, { domain: "vpc", tags }, { parent });
            return new aws.ec2.NatGateway(`${name}-nat-${i + 1}`, { allocationId: eip.id, subnetId: publicSubnets[i].id, tags }, { parent, dependsOn: [igw] });
        });
        const privateRts: aws.ec2.RouteTable[] = [];
        const privateSubnets = zones.map((az, i) => {
            const subnet = new aws.ec2.Subnet(`${name}-private-${i + 1}`, {
                vpcId: vpc.id,
                availabilityZone: az,
                cidrBlock: blocks.private[i],
                mapPublicIpOnLaunch: false,
                tags: { ...tags, Name: `${name}-private-${az}`, tier: "private" },
            }, { parent });
            const rt = new aws.ec2.RouteTable(`${name}-private-${i + 1}-rt`, {
                vpcId: vpc.id,
                routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nats[Math.min(i, nats.length - 1)].id }],
                tags,
            }, { parent });
            new aws.ec2.RouteTableAssociation(`${name}-private-${i + 1}-rta`, { subnetId: subnet.id, routeTableId: rt.id }, { parent });
            privateRts.push(rt);
            return subnet;
        });
        // Image layers come from S3; a gateway endpoint is free and keeps that traffic off the NAT bill.
        new aws.ec2.VpcEndpoint(`${name}-s3`, {
            vpcId: vpc.id,
            serviceName: `com.amazonaws.${region}.s3`,
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
}
