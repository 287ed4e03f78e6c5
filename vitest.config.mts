import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        // Unit tests sit beside their modules; program-level and sequence tests live in test/.
        include: ["test/**/*.test.ts", "{config,lib,release,lookups,components,ops}/**/*.test.ts"],
        // Pulumi keeps its runtime state (mocks, config, resource registry) per process.
        pool: "forks",
        // One fork per core (vitest leaves one core free by default): the program's tests are CPU-bound.
        maxWorkers: availableParallelism(),
        testTimeout: 60_000,
        hookTimeout: 600_000,
    },
});
