/** Fargate task sizes: CPU units (1024 = 1 vCPU) and memory in MiB. */
export const fargateCpus = [256, 512, 1024, 2048, 4096, 8192, 16384] as const;
export type FargateCpu = (typeof fargateCpus)[number];

function range(from: number, to: number, step: number): number[] {
    const values: number[] = [];
    for (let v = from; v <= to; v += step) values.push(v);
    return values;
}

/** The memory sizes AWS accepts for each CPU size (ECS task definition rules for Fargate). */
export const fargateMemoryByCpu: Readonly<Record<FargateCpu, readonly number[]>> = {
    256: [512, 1024, 2048],
    512: range(1024, 4096, 1024),
    1024: range(2048, 8192, 1024),
    2048: range(4096, 16384, 1024),
    4096: range(8192, 30720, 1024),
    8192: range(16384, 61440, 4096),
    16384: range(32768, 122880, 8192),
};

export function isFargateCpu(cpu: number): cpu is FargateCpu {
    return (fargateCpus as readonly number[]).includes(cpu);
}

export function isValidFargateSize(cpu: number, memory: number): boolean {
    return isFargateCpu(cpu) && fargateMemoryByCpu[cpu].includes(memory);
}

/** A human-readable list of the accepted memory sizes, for error messages. */
export function describeMemoryFor(cpu: FargateCpu): string {
    const sizes = fargateMemoryByCpu[cpu];
    return sizes.length <= 4 ? sizes.join(", ") : `${sizes[0]}–${sizes[sizes.length - 1]} in steps of ${sizes[1] - sizes[0]}`;
}
