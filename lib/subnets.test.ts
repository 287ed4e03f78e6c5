import { expect, it } from "vitest";
import { subnetCidrs } from "./subnets";

it.each([["10.0.0.0/16", ["10.0.0.0/24", "10.0.1.0/24"], ["10.0.16.0/20", "10.0.32.0/20"]], ["10.42.0.0/16", ["10.42.0.0/24", "10.42.1.0/24"], ["10.42.16.0/20", "10.42.32.0/20"]]])("carves %s into non-overlapping subnets", (vpc, pub, priv) => {
    expect(subnetCidrs(vpc)).toEqual({ public: pub, private: priv });
});
