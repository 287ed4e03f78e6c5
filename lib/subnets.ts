/** Subnet blocks inside a `10.x.0.0/16`: small public subnets for the ALB and NAT, large private ones for tasks. */
export function subnetCidrs(vpcCidr: string): { public: string[]; private: string[] } {
    const second = vpcCidr.split(".")[1];
    return {
        public: [`10.${second}.0.0/24`, `10.${second}.1.0/24`],
        private: [`10.${second}.16.0/20`, `10.${second}.32.0/20`],
    };
}
