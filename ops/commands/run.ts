import { DescribeTaskDefinitionCommand, DescribeTasksCommand, ListTaskDefinitionsCommand, RunTaskCommand, StopTaskCommand, type Task, type TaskDefinition } from "@aws-sdk/client-ecs";
import type { OpsProcess, OpsRecord } from "../../lib/ops-record";
import type { Clients } from "../aws";
import type { Invocation } from "../cli";
import { OpsError } from "../io";
import { findRelease, readDeployedState, readOpsRecord, releaseParameters } from "../state";
import { parseDuration } from "../table";
import { drain, taskStreams } from "../task-logs";

/**
 * A one-off task: the process's task definition of the running release (or the one named),
 * in the stack's task network, its logs streamed, its container's exit code returned.
 */
export async function run({ ref, clients, positionals, options, rest, io }: Invocation): Promise<number> {
    const record = await readOpsRecord(clients, ref);
    const processName = positionals[0];
    const proc = processOf(record, processName, ref.stack);
    const timeoutMs = parseDuration((options.timeout as string | undefined) ?? "30m", "--timeout");
    const releaseId = (options.release as string | undefined) ?? record.release;
    let taskDefinition: TaskDefinition;
    if (releaseId === record.release) {
        taskDefinition = (await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: proc.taskDefinitionArn }))).taskDefinition!;
    } else {
        const state = await readDeployedState(clients, ref);
        const row = findRelease(state, releaseId);
        const { missing } = await releaseParameters(clients, ref, row.entry);
        if (missing.length > 0) throw new OpsError(`release ${releaseId} cannot run: its parameters ${missing.join(", ")} are gone (pruned or deleted)`, undefined, 4);
        taskDefinition = await taskDefinitionOf(clients, proc.family, releaseId);
    }
    const started = await clients.ecs.send(new RunTaskCommand({
        cluster: record.cluster,
        taskDefinition: taskDefinition.taskDefinitionArn,
        launchType: "FARGATE",
        platformVersion: "LATEST",
        count: 1,
        networkConfiguration: { awsvpcConfiguration: { subnets: record.network.subnets, securityGroups: record.network.securityGroups, assignPublicIp: record.network.assignPublicIp ? "ENABLED" : "DISABLED" } },
        ...(rest.length > 0 ? { overrides: { containerOverrides: [{ name: proc.container, command: rest }] } } : {}),
        startedBy: "ops-run",
        propagateTags: "TASK_DEFINITION",
    }));
    const failure = started.failures?.[0];
    const task = started.tasks?.[0];
    if (task?.taskArn === undefined) throw new OpsError(`ECS did not start the task: ${failure?.reason ?? "no task returned"}${failure?.detail ? ` (${failure.detail})` : ""}`, "check the cluster's capacity and the task definition (npm run ops -- logs)");
    const taskId = task.taskArn.split("/").pop()!;
    io.err(`Started ${processName} task ${taskId} (${releaseId}, ${taskDefinition.family}:${taskDefinition.revision})${rest.length ? `: ${rest.join(" ")}` : ""}\n`);
    const streams = taskStreams(taskDefinition.containerDefinitions ?? [], taskId);
    const multi = streams.length > 1;
    const print = (container: string, message: string) => io.out(`${multi ? `[${container}] ` : ""}${message}\n`);

    const deadline = io.now().getTime() + timeoutMs;
    let last: Task | undefined;
    let status = "";
    for (;;) {
        last = (await clients.ecs.send(new DescribeTasksCommand({ cluster: record.cluster, tasks: [task.taskArn] }))).tasks?.[0];
        if (last?.lastStatus !== status) {
            status = last?.lastStatus ?? "UNKNOWN";
            io.err(`  task ${status}${status === "STOPPED" && last?.stoppedReason ? `: ${last.stoppedReason}` : ""}\n`);
        }
        await drain(clients.logs, streams, print);
        if (status === "STOPPED") break;
        if (io.signal.aborted || io.now().getTime() >= deadline) {
            const why = io.signal.aborted ? "interrupted" : `timed out after ${options.timeout ?? "30m"}`;
            await clients.ecs.send(new StopTaskCommand({ cluster: record.cluster, task: task.taskArn, reason: `ops run: ${why}` }));
            io.err(`Stopped task ${taskId}: ${why}.\n`);
            return io.signal.aborted ? 130 : 124;
        }
        await io.sleep(io.pollMs);
    }
    // CloudWatch may deliver the last lines a moment after the task stops.
    for (let quiet = 0; quiet < 2;) {
        quiet = (await drain(clients.logs, streams, print)) === 0 ? quiet + 1 : 0;
        if (quiet < 2) await io.sleep(io.pollMs);
    }
    const container = last?.containers?.find((c) => c.name === proc.container);
    if (container?.exitCode === undefined || container.exitCode === null) {
        io.err(`${processName} exited without an exit code: ${container?.reason ?? last?.stoppedReason ?? "unknown reason"} (${last?.stopCode ?? "no stop code"})\n`);
        return 1;
    }
    io.err(`${processName} exited with ${container.exitCode}\n`);
    return container.exitCode;
}

export function processOf(record: OpsRecord, name: string, stack: string): OpsProcess {
    const proc = record.processes[name];
    if (proc === undefined) throw new OpsError(`stack ${stack} has no process "${name}"`, `its processes: ${Object.keys(record.processes).sort().join(", ")}`, 3);
    return proc;
}

/** The task definition of a family registered for a release (tagged `release: <id>`), newest revision first. */
export async function taskDefinitionOf(clients: Clients, family: string, releaseId: string): Promise<TaskDefinition> {
    let token: string | undefined;
    do {
        const page = await clients.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family, status: "ACTIVE", sort: "DESC", maxResults: 100, nextToken: token }));
        for (const arn of page.taskDefinitionArns ?? []) {
            const found = await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ["TAGS"] }));
            if (found.taskDefinition?.family === family && found.tags?.some((t) => t.key === "release" && t.value === releaseId)) return found.taskDefinition;
        }
        token = page.nextToken;
    } while (token);
    throw new OpsError(`no task definition of ${family} is registered for release ${releaseId}`, "only releases this stack ran have task definitions; npm run ops -- releases lists them", 3);
}

