import { defineConfig } from "vitest/config";

// The benchmark reuses the test harness; each scenario runs in a process of its own.
export default defineConfig({
    test: {
        include: ["bench/*.case.ts"],
        pool: "forks",
        testTimeout: 300_000,
    },
});
