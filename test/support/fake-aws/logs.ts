import { AwsError, type FakeAws } from "./server";

export interface StoredEvent {
    timestamp: number;
    message: string;
    ingestionTime: number;
    eventId: string;
}

/** CloudWatch Logs: groups of streams of events, read with FilterLogEvents and GetLogEvents. */
export class LogsFake {
    readonly groups = new Map<string, Map<string, StoredEvent[]>>();
    private nextId = 1;

    constructor(private readonly aws: FakeAws) {}

    addGroup(group: string): void {
        if (!this.groups.has(group)) this.groups.set(group, new Map());
    }

    write(group: string, stream: string, message: string, timestamp = Date.now()): void {
        this.addGroup(group);
        const streams = this.groups.get(group)!;
        if (!streams.has(stream)) streams.set(stream, []);
        streams.get(stream)!.push({ timestamp, message, ingestionTime: timestamp + 5, eventId: String(this.nextId++).padStart(20, "0") });
    }

    private group(name: unknown): Map<string, StoredEvent[]> {
        const g = this.groups.get(String(name));
        if (g === undefined) throw new AwsError("ResourceNotFoundException", "The specified log group does not exist.");
        return g;
    }

    FilterLogEvents(input: Record<string, any>) {
        const streams = this.group(input.logGroupName);
        if (input.logStreamNames !== undefined && input.logStreamNamePrefix !== undefined) throw new AwsError("InvalidParameterException", "Cannot specify both logStreamNames and logStreamNamePrefix");
        if (input.limit !== undefined && (input.limit < 1 || input.limit > 10000)) throw new AwsError("InvalidParameterException", "1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000");
        const events = [...streams].filter(([name]) => (input.logStreamNames === undefined || input.logStreamNames.includes(name)) && (input.logStreamNamePrefix === undefined || name.startsWith(input.logStreamNamePrefix)))
            .flatMap(([name, list]) => list.map((e) => ({ ...e, logStreamName: name })))
            .filter((e) => (input.startTime === undefined || e.timestamp >= input.startTime) && (input.endTime === undefined || e.timestamp <= input.endTime))
            .sort((a, b) => a.timestamp - b.timestamp || (a.eventId < b.eventId ? -1 : 1));
        const page = this.aws.page(events, { MaxResults: input.limit === undefined ? undefined : Math.min(input.limit, 10), NextToken: input.nextToken }, 10);
        return { events: page.items, nextToken: page.token, searchedLogStreams: [] };
    }

    GetLogEvents(input: Record<string, any>) {
        const list = this.group(input.logGroupName).get(String(input.logStreamName));
        if (list === undefined) throw new AwsError("ResourceNotFoundException", "The specified log stream does not exist.");
        if (input.startFromHead !== true && input.nextToken === undefined) throw new AwsError("InvalidParameterException", "the fake reads from the head only (startFromHead: true)");
        const at = input.nextToken === undefined ? 0 : Number(/^f\/(\d+)$/.exec(String(input.nextToken))?.[1] ?? NaN);
        if (Number.isNaN(at)) throw new AwsError("InvalidParameterException", "The specified nextToken is invalid.");
        const page = this.aws.page(list.slice(at), { MaxResults: input.limit === undefined ? undefined : Math.min(input.limit, 10) }, 10);
        const next = at + page.items.length;
        // At the end of the stream AWS hands back the token it was given.
        return { events: page.items.map(({ timestamp, message, ingestionTime }) => ({ timestamp, message, ingestionTime })), nextForwardToken: `f/${next}`, nextBackwardToken: `b/${at}` };
    }
}
