import { describe, expect, it } from "vitest";
import { fargateMemoryByCpu, isValidFargateSize } from "./fargate";

describe("Fargate sizes", () => {
    it.each([
        [256, 512, true], [256, 2048, true], [256, 3072, false], [512, 4096, true], [1024, 8192, true], [1024, 9216, false],
        [2048, 16384, true], [4096, 30720, true], [4096, 31744, false], [8192, 20480, true], [8192, 18432, false],
        [16384, 122880, true], [16384, 36864, false], [300, 512, false],
    ])("cpu %i with %i MiB: %s", (cpu, memory, ok) => {
        expect(isValidFargateSize(cpu, memory)).toBe(ok);
    });

    it("lists every accepted size", () => {
        expect(Object.values(fargateMemoryByCpu).reduce((n, sizes) => n + sizes.length, 0)).toBe(3 + 4 + 7 + 13 + 23 + 12 + 12);
    });
});
