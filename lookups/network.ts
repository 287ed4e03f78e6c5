import * as aws from "@pulumi/aws";

/** An adopted network as config names it. */
export interface AdoptedNetwork {
    vpcId: string;
    publicSubnetIds: string[];
    privateSubnetIds: string[];
}

/** What the stack needs to know of a subnet it adopts. */
export interface AdoptedSubnet {
    id: string;
    vpcId: string;
    availabilityZone: string;
}

/** Two availability zones for a created network (the subnet count must not depend on an Output). */
export async function availabilityZones(): Promise<string[]> {
    const zones = await aws.getAvailabilityZones({ state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] });
    return [...zones.names].sort().slice(0, 2);
}

/** Looks the adopted subnets up and checks them. */
export async function checkAdoptedNetwork(network: AdoptedNetwork): Promise<void> {
    const ids = [...new Set([...network.publicSubnetIds, ...network.privateSubnetIds])];
    const subnets = await Promise.all(ids.map(async (id) => {
        const found = await aws.ec2.getSubnet({ id });
        return { id, vpcId: found.vpcId, availabilityZone: found.availabilityZone };
    }));
    checkAdoptedSubnets(network, subnets);
}

/**
 * An adopted network must hold what a created one guarantees: every subnet in the named VPC,
 * and each tier across two availability zones (ALBs and RDS subnet groups require it).
 */
export function checkAdoptedSubnets(network: AdoptedNetwork, subnets: AdoptedSubnet[]): void {
    const byId = new Map(subnets.map((s) => [s.id, s]));
    for (const tier of ["publicSubnetIds", "privateSubnetIds"] as const) {
        const found = network[tier].map((id) => byId.get(id)!);
        const outside = found.filter((s) => s.vpcId !== network.vpcId).map((s) => s.id);
        if (outside.length > 0) throw new Error(`twelve-factor:network.${tier}: expected subnets of ${network.vpcId}, got ${outside.join(", ")} from another VPC`);
        const zones = new Set(found.map((s) => s.availabilityZone));
        if (zones.size < 2) throw new Error(`twelve-factor:network.${tier}: expected subnets in two availability zones, got only ${[...zones].join(", ")}`);
    }
}
