/**
 * A process type as the release and run stages see it. How it runs (command, port, health
 * checks, phase) belongs to the release and is hashed into it; how much of it runs (cpu,
 * memory, count) is the formation, taken from today's config even when an earlier release is
 * pinned.
 */
export interface ProcessSpec {
    command: string[];
    /** Fargate CPU units (1024 = 1 vCPU). */
    cpu: number;
    /** MiB. */
    memory: number;
    count: number;
    /** Container port; only the web process has one. */
    port?: number;
    healthCheckPath: string;
    healthCheckCommand?: string[];
    /** "release": runs to completion before every task of the release starts (migrations). */
    phase: "run" | "release";
}

export type ProcessDefinition = Pick<ProcessSpec, "command" | "port" | "healthCheckPath" | "healthCheckCommand" | "phase">;

export function releaseDefinitions(processes: Record<string, ProcessSpec>): Record<string, ProcessDefinition> {
    return Object.fromEntries(Object.entries(processes).map(([name, p]) => [name, {
        command: p.command,
        port: p.port,
        healthCheckPath: p.healthCheckPath,
        healthCheckCommand: p.healthCheckCommand,
        phase: p.phase,
    }]));
}

/** A release's process definitions sized by today's formation. */
export function withFormation(releaseId: string, definitions: Record<string, ProcessDefinition>, formation: Record<string, ProcessSpec>): Record<string, ProcessSpec> {
    return Object.fromEntries(Object.entries(definitions).map(([name, definition]) => {
        const sized = formation[name];
        if (sized === undefined) {
            throw new Error(`twelve-factor:processes.${name}: release ${releaseId} runs process "${name}"; expected its cpu, memory and count in config, got nothing`);
        }
        return [name, { ...definition, cpu: sized.cpu, memory: sized.memory, count: sized.count }];
    }));
}
