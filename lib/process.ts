/**
 * A process type as the release and run stages see it. How it runs (command, port, health
 * checks, phase) belongs to the release and is hashed into it; how much of it runs and when
 * (cpu, memory, count, scaling, schedule, capacity) is the formation, taken from today's
 * config even when an earlier release is pinned.
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
    /** Application Auto Scaling bounds and targets; `count` is then the starting size. */
    scaling?: { min: number; max: number; cpuPercent?: number; requestsPerTarget?: number };
    /** An EventBridge Scheduler expression: the process runs as a scheduled task, not a service. */
    schedule?: string;
    /** Fargate or Fargate Spot. @default "fargate" */
    capacity?: "fargate" | "spot";
}

/** How much of a process runs and where: today's config decides it, whichever release runs. */
export type Formation = Pick<ProcessSpec, "cpu" | "memory" | "count" | "scaling" | "schedule" | "capacity">;

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
        const today: Formation = { cpu: sized.cpu, memory: sized.memory, count: sized.count, scaling: sized.scaling, schedule: sized.schedule, capacity: sized.capacity };
        return [name, { ...definition, ...today }];
    }));
}

/** Whether a process runs as an ECS service: run phase and not scheduled (a scheduled one runs as tasks of its schedule). */
export function hasService(spec: Pick<ProcessSpec, "phase" | "schedule">): boolean {
    return spec.phase === "run" && spec.schedule === undefined;
}
