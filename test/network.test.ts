import { describe, expect, it } from "vitest";
import { Evaluation, evaluateStack, evaluateStackFailure } from "./harness";

const devImage = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-dev-build-repo-1a2b3c4@sha256:${"a".repeat(64)}`;
const routesOf = (run: Evaluation, name: string) => run.named(name).inputs.routes;

describe("a created network", () => {
    it("spans two availability zones with private subnets for tasks and the database", async () => {
        // Dev's stack file has no NAT (natGateways none); the default, one NAT gateway:
        const dev = await evaluateStack({ stack: "dev", config: { network: { mode: "create", cidr: "10.10.0.0/16", natGateways: "single" } } });
        const subnets = dev.ofType("aws:ec2/subnet:Subnet").map((s) => [s.name, s.inputs.availabilityZone, s.inputs.cidrBlock, s.inputs.mapPublicIpOnLaunch]);
        expect(subnets).toEqual([
            ["shop-dev-net-public-1", "eu-west-1a", "10.10.0.0/24", false],
            ["shop-dev-net-public-2", "eu-west-1b", "10.10.1.0/24", false],
            ["shop-dev-net-private-1", "eu-west-1a", "10.10.16.0/20", false],
            ["shop-dev-net-private-2", "eu-west-1b", "10.10.32.0/20", false],
        ]);
        expect(routesOf(dev, "shop-dev-net-public-rt")).toEqual([{ cidrBlock: "0.0.0.0/0", gatewayId: "shop-dev-net-igw-id" }]);
        // Private subnets have no route from the internet, only out through NAT.
        for (const rt of ["shop-dev-net-private-1-rt", "shop-dev-net-private-2-rt"]) expect(routesOf(dev, rt)).toEqual([{ cidrBlock: "0.0.0.0/0", natGatewayId: "shop-dev-net-nat-1-id" }]);
        expect(dev.ofType("aws:ec2/natGateway:NatGateway").map((n) => n.inputs.subnetId)).toEqual(["shop-dev-net-public-1-id"]);
        expect(dev.named("shop-dev-net-s3").inputs).toMatchObject({ serviceName: "com.amazonaws.eu-west-1.s3", vpcEndpointType: "Gateway", routeTableIds: ["shop-dev-net-private-1-rt-id", "shop-dev-net-private-2-rt-id"] });
    });

    it("gives prod one NAT gateway per zone, so an AZ outage leaves the other zone's tasks online", async () => {
        const prod = await evaluateStack({ stack: "prod", stackOutputs: { dev: { image: devImage } } });
        expect(prod.ofType("aws:ec2/natGateway:NatGateway").map((n) => n.inputs.subnetId)).toEqual(["shop-prod-net-public-1-id", "shop-prod-net-public-2-id"]);
        expect(routesOf(prod, "shop-prod-net-private-2-rt")).toEqual([{ cidrBlock: "0.0.0.0/0", natGatewayId: "shop-prod-net-nat-2-id" }]);
    });
});

describe("an existing network", () => {
    const network = { mode: "existing", vpcId: "vpc-0123456789abcdef0", publicSubnetIds: ["subnet-0a000001", "subnet-0a000002"], privateSubnetIds: ["subnet-0b000001", "subnet-0b000002"] };
    const subnets = {
        "subnet-0a000001": { vpcId: network.vpcId, availabilityZone: "eu-west-1a" },
        "subnet-0a000002": { vpcId: network.vpcId, availabilityZone: "eu-west-1b" },
        "subnet-0b000001": { vpcId: network.vpcId, availabilityZone: "eu-west-1a" },
        "subnet-0b000002": { vpcId: network.vpcId, availabilityZone: "eu-west-1b" },
    };

    it.each([
        ["private subnets in one zone", { "subnet-0b000002": { vpcId: network.vpcId, availabilityZone: "eu-west-1a" } }, "twelve-factor:network.privateSubnetIds: expected subnets in two availability zones, got only eu-west-1a"],
        ["a subnet of another VPC", { "subnet-0a000002": { vpcId: "vpc-0fedcba9876543210", availabilityZone: "eu-west-1b" } }, "twelve-factor:network.publicSubnetIds: expected subnets of vpc-0123456789abcdef0, got subnet-0a000002 from another VPC"],
    ])("is refused with %s, before anything is declared", async (_, patch, message) => {
        const { error, resources } = await evaluateStackFailure({ stack: "dev", config: { network }, subnets: { ...subnets, ...patch } });
        expect(error.message).toBe(message);
        expect(resources.filter((r) => r.custom)).toEqual([]);
    });

    it("is adopted as configured: no VPC, subnets or NAT declared", async () => {
        const run = await evaluateStack({ stack: "dev", config: { network }, subnets });
        for (const type of ["aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/natGateway:NatGateway"]) expect(run.ofType(type)).toEqual([]);
        expect(run.named("shop-dev-net-tasks-sg").inputs.vpcId).toBe("vpc-0123456789abcdef0");
        expect(run.named("shop-dev-alb").inputs.subnets).toEqual(network.publicSubnetIds);
        expect(run.named("shop-dev-web").inputs.networkConfiguration.subnets).toEqual(network.privateSubnetIds);
        expect(run.named("shop-dev-db-subnets").inputs.subnetIds).toEqual(network.privateSubnetIds);
    });
});
