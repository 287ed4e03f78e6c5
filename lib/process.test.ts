import { expect, it } from "vitest";
import { releaseDefinitions, withFormation } from "./process";

it("sizes a release's processes by today's formation, and names a process today's config lacks", () => {
    const formation = { web: { command: ["new"], cpu: 512, memory: 1024, count: 3, port: 8080, healthCheckPath: "/healthz", phase: "run" as const } };
    const old = { web: { command: ["old"], port: 8080, healthCheckPath: "/health", phase: "run" as const }, cron: { command: ["cron"], healthCheckPath: "/healthz", phase: "run" as const } };
    expect(() => withFormation("v3", old, formation)).toThrow('twelve-factor:processes.cron: release v3 runs process "cron"; expected its cpu, memory and count in config, got nothing');
    expect(withFormation("v3", { web: old.web }, formation)).toEqual({ web: { command: ["old"], port: 8080, healthCheckPath: "/health", phase: "run", cpu: 512, memory: 1024, count: 3 } });
    expect(releaseDefinitions(formation)).toEqual({ web: { command: ["new"], port: 8080, healthCheckPath: "/healthz", healthCheckCommand: undefined, phase: "run" } });
});
