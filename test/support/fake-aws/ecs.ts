import { randomBytes } from "crypto";
import { AwsError, epochSeconds, type FakeAws } from "./server";

const account = "123456789012";
const region = "eu-west-1";

export interface FakeContainerDefinition {
    name: string;
    command?: string[];
    logConfiguration?: { logDriver: string; options: Record<string, string> };
}

interface StoredTaskDefinition {
    taskDefinitionArn: string;
    family: string;
    revision: number;
    containerDefinitions: FakeContainerDefinition[];
    tags: { key: string; value: string }[];
}

/** What a task does once it runs: its containers' log lines and exit codes. */
export interface TaskScript {
    logs?: Record<string, string[]>;
    exitCodes?: Record<string, number | undefined>;
    /** DescribeTasks calls it spends RUNNING before it stops (default 1). */
    runningPolls?: number;
    stoppedReason?: string;
}

interface StoredTask {
    task: Record<string, any>;
    script: TaskScript;
    definition: StoredTaskDefinition;
    polls: number;
}

const lifecycle = ["PROVISIONING", "PENDING", "RUNNING", "STOPPED"];

/** ECS as the commands use it: task definitions, one-off tasks that go through their states, service tasks, ECS Exec. */
export class EcsFake {
    readonly clusters = new Set<string>();
    readonly taskDefinitions: StoredTaskDefinition[] = [];
    readonly tasks = new Map<string, StoredTask>();
    /** How the next RunTask's task behaves. */
    script: TaskScript = {};

    constructor(private readonly aws: FakeAws) {}

    register(family: string, containerDefinitions: FakeContainerDefinition[], tags: Record<string, string> = {}): string {
        const revision = this.taskDefinitions.filter((t) => t.family === family).length + 1;
        const arn = `arn:aws:ecs:${region}:${account}:task-definition/${family}:${revision}`;
        this.taskDefinitions.push({ taskDefinitionArn: arn, family, revision, containerDefinitions, tags: Object.entries(tags).map(([key, value]) => ({ key, value })) });
        return arn;
    }

    /** A task a service keeps running. */
    addServiceTask(cluster: string, service: string, definitionArn: string, options: { exec: boolean; agent?: string }): string {
        const definition = this.definition(definitionArn);
        const arn = `arn:aws:ecs:${region}:${account}:task/${cluster}/${randomBytes(16).toString("hex")}`;
        this.tasks.set(arn, {
            definition, polls: 99, script: {},
            task: {
                taskArn: arn, clusterArn: this.clusterArn(cluster), taskDefinitionArn: definition.taskDefinitionArn, group: `service:${service}`, lastStatus: "RUNNING", desiredStatus: "RUNNING", enableExecuteCommand: options.exec, launchType: "FARGATE",
                containers: definition.containerDefinitions.map((c) => ({
                    name: c.name, lastStatus: "RUNNING", runtimeId: `${arn.split("/").pop()}-${randomBytes(4).toString("hex")}`, containerArn: `arn:aws:ecs:${region}:${account}:container/${cluster}/${randomBytes(8).toString("hex")}`,
                    managedAgents: options.exec ? [{ name: "ExecuteCommandAgent", lastStatus: options.agent ?? "RUNNING" }] : [],
                })),
            },
        });
        return arn;
    }

    clusterArn(name: string): string {
        return `arn:aws:ecs:${region}:${account}:cluster/${name}`;
    }

    private cluster(input: Record<string, any>): string {
        const name = String(input.cluster ?? "default").split("/").pop()!;
        if (!this.clusters.has(name)) throw new AwsError("ClusterNotFoundException", "Cluster not found.");
        return name;
    }

    private definition(ref: string): StoredTaskDefinition {
        const family = ref.split("/").pop()!;
        const found = this.taskDefinitions.find((t) => t.taskDefinitionArn === ref || `${t.family}:${t.revision}` === family)
            ?? this.taskDefinitions.filter((t) => t.family === family).pop();
        if (found === undefined) throw new AwsError("ClientException", "Unable to describe task definition.");
        return found;
    }

    /** Runs made, as ECS received them. */
    readonly runs: Record<string, any>[] = [];

    RunTask(input: Record<string, any>) {
        const cluster = this.cluster(input);
        let definition: StoredTaskDefinition;
        try {
            definition = this.definition(String(input.taskDefinition));
        } catch {
            throw new AwsError("InvalidParameterException", "TaskDefinition not found.");
        }
        const vpc = input.networkConfiguration?.awsvpcConfiguration;
        if (vpc === undefined) throw new AwsError("InvalidParameterException", "Network Configuration must be provided when networkMode 'awsvpc' is specified.");
        if (!Array.isArray(vpc.subnets) || vpc.subnets.length === 0 || vpc.subnets.length > 16) throw new AwsError("InvalidParameterException", "subnets can not be empty.");
        if ((vpc.securityGroups ?? []).length > 5) throw new AwsError("InvalidParameterException", "At most 5 security groups");
        if (!["ENABLED", "DISABLED", undefined].includes(vpc.assignPublicIp)) throw new AwsError("InvalidParameterException", "assignPublicIp must be ENABLED or DISABLED");
        for (const o of input.overrides?.containerOverrides ?? []) {
            if (!definition.containerDefinitions.some((c) => c.name === o.name)) throw new AwsError("InvalidParameterException", `Override for container named ${o.name} is not a container in the TaskDefinition.`);
        }
        this.runs.push(input);
        const arn = `arn:aws:ecs:${region}:${account}:task/${cluster}/${randomBytes(16).toString("hex")}`;
        const task = {
            taskArn: arn, clusterArn: this.clusterArn(cluster), taskDefinitionArn: definition.taskDefinitionArn, lastStatus: "PROVISIONING", desiredStatus: "RUNNING", startedBy: input.startedBy, launchType: "FARGATE",
            overrides: input.overrides ?? { containerOverrides: [] }, createdAt: epochSeconds(new Date()),
            containers: definition.containerDefinitions.map((c) => ({ name: c.name, lastStatus: "PENDING", runtimeId: `${arn.split("/").pop()}-${randomBytes(4).toString("hex")}` })),
        };
        this.tasks.set(arn, { task, script: this.script, definition, polls: 0 });
        return { tasks: [task], failures: [] };
    }

    DescribeTasks(input: Record<string, any>) {
        this.cluster(input);
        const arns = (input.tasks ?? []) as string[];
        if (arns.length === 0 || arns.length > 100) throw new AwsError("InvalidParameterException", "Tasks cannot be empty and at most 100.");
        const found = arns.map((a) => this.tasks.get(a)).filter((t): t is StoredTask => t !== undefined);
        // Each call shows the task as it is, then moves it one step on.
        const shown = found.map((t) => structuredClone(t.task));
        for (const t of found) this.advance(t);
        return { tasks: shown, failures: arns.filter((a) => !this.tasks.has(a)).map((arn) => ({ arn, reason: "MISSING" })) };
    }

    /** One step of a one-off task's life per DescribeTasks: it logs once RUNNING, then stops with its exit codes. */
    private advance(t: StoredTask): void {
        const status = t.task.lastStatus;
        if (status === "STOPPED" || t.task.group?.startsWith("service:")) return;
        if (status === "RUNNING") {
            if (++t.polls < (t.script.runningPolls ?? 1)) return;
            t.task.lastStatus = "STOPPED";
            t.task.desiredStatus = "STOPPED";
            t.task.stopCode = "EssentialContainerExited";
            t.task.stoppedReason = t.script.stoppedReason ?? "Essential container in task exited";
            for (const c of t.task.containers) {
                c.lastStatus = "STOPPED";
                const code = t.script.exitCodes?.[c.name];
                if (code !== undefined) c.exitCode = code;
            }
            return;
        }
        t.task.lastStatus = lifecycle[lifecycle.indexOf(status) + 1];
        if (t.task.lastStatus === "RUNNING") {
            const taskId = t.task.taskArn.split("/").pop();
            for (const c of t.task.containers) c.lastStatus = "RUNNING";
            for (const def of t.definition.containerDefinitions) {
                const o = def.logConfiguration?.options;
                if (o === undefined) continue;
                const stream = `${o["awslogs-stream-prefix"]}/${def.name}/${taskId}`;
                this.aws.logs.addGroup(o["awslogs-group"]);
                const streams = this.aws.logs.groups.get(o["awslogs-group"])!;
                if (!streams.has(stream)) streams.set(stream, []);
                for (const line of t.script.logs?.[def.name] ?? []) this.aws.logs.write(o["awslogs-group"], stream, line);
            }
        }
    }

    StopTask(input: Record<string, any>) {
        this.cluster(input);
        const t = this.tasks.get(String(input.task));
        if (t === undefined) throw new AwsError("InvalidParameterException", "The referenced task was not found.");
        Object.assign(t.task, { lastStatus: "STOPPED", desiredStatus: "STOPPED", stopCode: "UserInitiated", stoppedReason: input.reason ?? "Task stopped by user" });
        for (const c of t.task.containers) c.lastStatus = "STOPPED";
        return { task: t.task };
    }

    ListTasks(input: Record<string, any>) {
        const cluster = this.cluster(input);
        const arns = [...this.tasks.values()].filter((t) => t.task.clusterArn === this.clusterArn(cluster)
            && (input.serviceName === undefined || t.task.group === `service:${input.serviceName}`)
            && (input.desiredStatus === undefined || t.task.desiredStatus === input.desiredStatus)).map((t) => t.task.taskArn);
        const page = this.aws.page(arns, { MaxResults: input.maxResults, NextToken: input.nextToken }, 100);
        return { taskArns: page.items, nextToken: page.token };
    }

    DescribeTaskDefinition(input: Record<string, any>) {
        const d = this.definition(String(input.taskDefinition));
        const { tags, ...taskDefinition } = d;
        return { taskDefinition: { ...taskDefinition, status: "ACTIVE", networkMode: "awsvpc" }, ...((input.include ?? []).includes("TAGS") ? { tags } : {}) };
    }

    ListTaskDefinitions(input: Record<string, any>) {
        let list = this.taskDefinitions.filter((t) => input.familyPrefix === undefined || t.family.startsWith(input.familyPrefix)).map((t) => t.taskDefinitionArn);
        if (input.sort === "DESC") list = list.reverse();
        const page = this.aws.page(list, { MaxResults: input.maxResults, NextToken: input.nextToken }, 100);
        return { taskDefinitionArns: page.items, nextToken: page.token };
    }

    /** Sessions opened, as ECS received them. */
    readonly sessions: Record<string, any>[] = [];

    ExecuteCommand(input: Record<string, any>) {
        const cluster = this.cluster(input);
        if (input.interactive !== true) throw new AwsError("InvalidParameterException", "Interactive is the only mode supported currently.");
        const t = this.tasks.get(String(input.task));
        if (t === undefined) throw new AwsError("InvalidParameterException", "The referenced task was not found.");
        const container = t.task.containers.find((c: { name: string }) => c.name === input.container);
        const agent = container?.managedAgents?.find((a: { name: string }) => a.name === "ExecuteCommandAgent");
        if (t.task.enableExecuteCommand !== true || agent?.lastStatus !== "RUNNING") {
            throw new AwsError("InvalidParameterException", "The execute command failed because execute command was not enabled when the task was run or the execute command agent isn’t running. Wait and try again or run a new task with execute command enabled and try again.");
        }
        this.sessions.push(input);
        const sessionId = `ecs-execute-command-${randomBytes(8).toString("hex")}`;
        return {
            clusterArn: this.clusterArn(cluster), containerArn: container.containerArn, containerName: container.name, interactive: true, taskArn: t.task.taskArn,
            session: { sessionId, streamUrl: `wss://ssmmessages.${region}.amazonaws.com/v1/data-channel/${sessionId}?role=publish_subscribe`, tokenValue: `token-${randomBytes(8).toString("hex")}` },
        };
    }
}
