import type { ProcessConfig } from "../config";

/**
 * A process type splits in two: how it runs (command, port, health checks, phase) belongs to
 * the release and is hashed into it; how much of it runs (cpu, memory, count) is the
 * formation, taken from today's config even when an earlier release is pinned.
 */
export type ProcessDefinition = Pick<ProcessConfig, "command" | "port" | "healthCheckPath" | "healthCheckCommand" | "phase">;

export function releaseDefinitions(processes: Record<string, ProcessConfig>): Record<string, ProcessDefinition> {
    return Object.fromEntries(Object.entries(processes).map(([name, p]) => [name, {
        command: p.command,
        port: p.port,
        healthCheckPath: p.healthCheckPath,
        healthCheckCommand: p.healthCheckCommand,
        phase: p.phase,
    }]));
}

/** A release's process definitions sized by today's formation. */
export function withFormation(releaseId: string, definitions: Record<string, ProcessDefinition>, formation: Record<string, ProcessConfig>): Record<string, ProcessConfig> {
    return Object.fromEntries(Object.entries(definitions).map(([name, definition]) => {
        const sized = formation[name];
        if (sized === undefined) {
            throw new Error(`twelve-factor:processes.${name}: release ${releaseId} runs process "${name}"; expected its cpu, memory and count in config, got nothing`);
        }
        return [name, { ...definition, cpu: sized.cpu, memory: sized.memory, count: sized.count }];
    }));
}
