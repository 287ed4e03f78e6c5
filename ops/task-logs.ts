import { GetLogEventsCommand, type CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import type { ContainerDefinition } from "@aws-sdk/client-ecs";

/** Where awslogs writes a container of a task: `<stream-prefix>/<container>/<task-id>` in its group. */
export interface TaskStream {
    container: string;
    group: string;
    stream: string;
    token?: string;
}

export function taskStreams(containers: ContainerDefinition[], taskId: string): TaskStream[] {
    return containers.flatMap((c) => {
        const o = c.logConfiguration?.logDriver === "awslogs" ? c.logConfiguration.options ?? {} : undefined;
        if (o === undefined || o["awslogs-group"] === undefined || o["awslogs-stream-prefix"] === undefined) return [];
        return [{ container: c.name!, group: o["awslogs-group"], stream: `${o["awslogs-stream-prefix"]}/${c.name}/${taskId}` }];
    });
}

/**
 * Reads what is new in each stream since the last call (GetLogEvents from the head, following
 * nextForwardToken; AWS hands back the same token when nothing is new). A stream that does not
 * exist yet (the container has not started) is simply empty.
 */
export async function drain(logs: CloudWatchLogsClient, streams: TaskStream[], print: (container: string, message: string) => void): Promise<number> {
    let count = 0;
    for (const s of streams) {
        for (;;) {
            let page;
            try {
                page = await logs.send(new GetLogEventsCommand({ logGroupName: s.group, logStreamName: s.stream, startFromHead: true, nextToken: s.token }));
            } catch (e) {
                if ((e as Error).name === "ResourceNotFoundException") break;
                throw e;
            }
            for (const event of page.events ?? []) {
                print(s.container, event.message ?? "");
                count++;
            }
            const same = page.nextForwardToken === undefined || page.nextForwardToken === s.token;
            s.token = page.nextForwardToken ?? s.token;
            if (same || (page.events ?? []).length === 0) break;
        }
    }
    return count;
}
