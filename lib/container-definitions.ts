import { logStreamPrefix } from "./ops-record";
import type { ProcessSpec } from "./process";

/** An ECS container secret: the variable name and the SSM parameter it is read from. */
export interface ContainerSecret {
    name: string;
    valueFrom: string;
}

/** Where an app writes at run time; the root filesystem is read-only. */
export const scratchVolume = { name: "tmp", containerPath: "/tmp" } as const;

/**
 * Where the ECS Exec (SSM) agent writes: its state, its logs, and the directory ECS places the
 * managed agent in. AWS documents ECS Exec as unsupported on a read-only root filesystem and
 * names no paths; these three, as task-scoped writable volumes, are the workaround reported to
 * work (aws/containers-roadmap#1359, amazon-ecs-exec-checker#71). Exec is on in dev only.
 */
export const execAgentVolumes = [
    { name: "ssm-agent-state", containerPath: "/var/lib/amazon/ssm" },
    { name: "ssm-agent-logs", containerPath: "/var/log/amazon/ssm" },
    { name: "ecs-managed-agents", containerPath: "/managed-agents" },
] as const;

/** The task definition's volumes: the scratch /tmp, and the exec agent's paths when exec is on. */
export function taskVolumes(exec: boolean): { name: string }[] {
    return [scratchVolume, ...(exec ? execAgentVolumes : [])].map(({ name }) => ({ name }));
}

/** Seconds ECS waits after SIGTERM before SIGKILL; the app drains within it. */
const stopTimeoutSeconds = 30;

export interface ContainerInputs {
    image: string;
    /** Every config key of the release, as SSM parameter references. */
    secrets: ContainerSecret[];
    logGroupName: string;
    region: string;
    /** ECS Exec is on: the exec agent's paths are mounted writable. */
    exec?: boolean;
    /** The release these containers run: log streams carry it (`<process>/<release>/<container>/<task-id>`). */
    releaseId: string;
}

/** One container of a process, as ECS expects it in `containerDefinitions`. */
function container(processName: string, spec: ProcessSpec, inputs: ContainerInputs, essential: boolean) {
    return {
        name: processName,
        image: inputs.image,
        command: spec.command,
        essential,
        readonlyRootFilesystem: true,
        mountPoints: [scratchVolume, ...(inputs.exec === true ? execAgentVolumes : [])].map((v) => ({ sourceVolume: v.name, containerPath: v.containerPath, readOnly: false })),
        portMappings: spec.port === undefined ? [] : [{ containerPort: spec.port, protocol: "tcp" }],
        // Only the port is plain: every config value, secret or not, comes from the release's parameters.
        environment: spec.port === undefined ? [] : [{ name: "PORT", value: String(spec.port) }],
        secrets: inputs.secrets,
        stopTimeout: stopTimeoutSeconds,
        linuxParameters: { initProcessEnabled: true },
        healthCheck: spec.healthCheckCommand === undefined ? undefined : {
            command: ["CMD", ...spec.healthCheckCommand],
            interval: 15,
            timeout: 5,
            retries: 3,
            startPeriod: 30,
        },
        logConfiguration: {
            logDriver: "awslogs",
            options: {
                "awslogs-group": inputs.logGroupName,
                "awslogs-region": inputs.region,
                "awslogs-stream-prefix": logStreamPrefix(processName, inputs.releaseId),
                // Logs are an event stream: never block the app when CloudWatch is slow.
                "mode": "non-blocking",
                "max-buffer-size": "4m",
            },
        },
    };
}

/**
 * The containers of one task: the process itself and, when the app has a release-phase
 * process (migrations), that process first; the main container starts only after it exits 0.
 */
export function taskContainers(processName: string, spec: ProcessSpec, inputs: ContainerInputs, releasePhase?: { name: string; spec: ProcessSpec }) {
    const main = container(processName, spec, inputs, true);
    if (releasePhase === undefined || spec.phase === "release") return [main];
    const init = container(releasePhase.name, releasePhase.spec, inputs, false);
    return [init, { ...main, dependsOn: [{ containerName: releasePhase.name, condition: "SUCCESS" }] }];
}
