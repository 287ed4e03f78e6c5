import { DescribeTasksCommand, ExecuteCommandCommand, ListTasksCommand } from "@aws-sdk/client-ecs";
import type { Invocation } from "../cli";
import { OpsError } from "../io";
import { readOpsRecord } from "../state";
import { processOf } from "./run";

const plugin = "session-manager-plugin";

/**
 * ECS Exec: checks what would make the session fail (exec off on the stack or the task, the
 * agent not running, no plugin), opens it with ExecuteCommand and hands it to AWS's
 * session-manager-plugin, as `aws ecs execute-command` does.
 */
export async function exec({ ref, clients, positionals, options, rest, io }: Invocation): Promise<number> {
    const record = await readOpsRecord(clients, ref);
    const proc = processOf(record, positionals[0], ref.stack);
    if (!record.execEnabled) {
        throw new OpsError(`ECS Exec is not enabled on stack ${ref.stack}`, `set twelve-factor:exec: true in Pulumi.${ref.stack}.yaml and deploy (the services' tasks are replaced with exec on). For a one-off command without exec: npm run ops -- run ${positionals[0]} --stack ${ref.stack} -- <command>`, 4);
    }
    if (proc.service === undefined) throw new OpsError(`process ${positionals[0]} has no service, so no task of it keeps running`, `run it as a one-off task: npm run ops -- run ${positionals[0]} --stack ${ref.stack}`, 4);
    const pluginPath = io.which(plugin);
    if (pluginPath === undefined) {
        throw new OpsError(`${plugin} is not on PATH`, "install AWS's Session Manager plugin for the AWS CLI (package session-manager-plugin, from AWS's Session Manager documentation), then run this again", 2);
    }
    let taskArn = options.task as string | undefined;
    if (taskArn === undefined) {
        const listed = await clients.ecs.send(new ListTasksCommand({ cluster: record.cluster, serviceName: proc.service, desiredStatus: "RUNNING", maxResults: 10 }));
        taskArn = listed.taskArns?.[0];
        if (taskArn === undefined) throw new OpsError(`no running task of ${positionals[0]} (service ${proc.service})`, `npm run ops -- logs ${positionals[0]} --stack ${ref.stack} shows why; or run a one-off task with npm run ops -- run`, 3);
    }
    const task = (await clients.ecs.send(new DescribeTasksCommand({ cluster: record.cluster, tasks: [taskArn] }))).tasks?.[0];
    if (task === undefined || task.lastStatus !== "RUNNING") throw new OpsError(`task ${taskArn} is not running (${task?.lastStatus ?? "not found"})`, undefined, 3);
    if (task.enableExecuteCommand !== true) throw new OpsError(`task ${taskArn.split("/").pop()} was started before exec was enabled`, `force a new deployment of service ${proc.service} (or deploy again), then retry`, 4);
    const container = task.containers?.find((c) => c.name === proc.container);
    const agent = container?.managedAgents?.find((a) => a.name === "ExecuteCommandAgent");
    if (agent?.lastStatus !== "RUNNING") throw new OpsError(`the exec agent of ${proc.container} in task ${taskArn.split("/").pop()} is ${agent?.lastStatus ?? "absent"}`, "wait until the task is fully started, then retry", 4);
    const command = rest.length === 0 ? "/bin/sh" : rest.map(shellQuote).join(" ");
    const response = await clients.ecs.send(new ExecuteCommandCommand({ cluster: record.cluster, task: taskArn, container: proc.container, command, interactive: true }));
    const clusterName = (response.clusterArn ?? record.cluster).split("/").pop();
    const target = `ecs:${clusterName}_${taskArn.split("/").pop()}_${container!.runtimeId}`;
    const endpoint = process.env.AWS_ENDPOINT_URL_ECS ?? process.env.AWS_ENDPOINT_URL ?? `https://ecs.${clients.region}.amazonaws.com`;
    io.err(`Session ${response.session?.sessionId} to ${proc.container} in task ${taskArn.split("/").pop()}: ${command}\n`);
    // The arguments `aws ecs execute-command` hands the plugin.
    return io.spawn(pluginPath, [JSON.stringify(response.session), clients.region, "StartSession", process.env.AWS_PROFILE ?? "", JSON.stringify({ Target: target }), endpoint]);
}

function shellQuote(word: string): string {
    return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}
