import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts"],
        // Pulumi keeps its runtime state (mocks, config, resource registry) per process.
        pool: "forks",
        testTimeout: 60_000,
        hookTimeout: 600_000,
    },
});
