import { FilterLogEventsCommand, type FilteredLogEvent } from "@aws-sdk/client-cloudwatch-logs";
import type { Invocation } from "../cli";
import { OpsError } from "../io";
import { stringParameter } from "../aws";
import { opsRecordName, type OpsRecord } from "../../lib/ops-record";
import { parseDuration } from "../table";

/**
 * The stack's logs. Streams are `<process>/<release>/<container>/<task-id>`, so a process is
 * the prefix `<process>/` and a release `<process>/<release>/`; a release across processes is
 * one prefix per process, merged by time. `--follow` polls FilterLogEvents from the newest
 * event seen (events at that same millisecond are told apart by their id).
 */
export async function logs({ ref, clients, positionals, options, json, io }: Invocation): Promise<number> {
    const recordText = await stringParameter(clients.ssm, opsRecordName(ref.path));
    const record = recordText === undefined ? undefined : (JSON.parse(recordText) as OpsRecord);
    // Before the first deploy that wrote the ops record, the log group's name is the program's convention.
    const group = record?.logGroup ?? `/ecs/${ref.app}-${ref.stack}`;
    const processName = positionals[0];
    const releaseId = options.release as string | undefined;
    if (releaseId !== undefined && !/^v[1-9][0-9]*$/.test(releaseId)) throw new OpsError(`--release: expected a release id such as v42, got "${releaseId}"`, undefined, 2);
    if (processName !== undefined && record !== undefined && record.processes[processName] === undefined) {
        throw new OpsError(`stack ${ref.stack} has no process "${processName}"`, `its processes: ${Object.keys(record.processes).sort().join(", ")}`, 3);
    }
    let prefixes: (string | undefined)[];
    if (processName !== undefined) prefixes = [`${processName}/${releaseId === undefined ? "" : `${releaseId}/`}`];
    else if (releaseId !== undefined) {
        if (record === undefined) throw new OpsError(`--release without a process needs the stack's process list (${opsRecordName(ref.path)})`, "name the process: npm run ops -- logs web --release <id>", 3);
        prefixes = Object.keys(record.processes).sort().map((p) => `${p}/${releaseId}/`);
    } else prefixes = [undefined];
    const follow = options.follow === true;
    const limit = options.limit === undefined ? undefined : Number(options.limit);
    if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new OpsError(`--limit: expected a positive whole number, got "${options.limit}"`, undefined, 2);
    let since = io.now().getTime() - parseDuration((options.since as string | undefined) ?? "10m", "--since");
    // Ids of printed events at or after `since` (FilterLogEvents' startTime is inclusive).
    const seen = new Map<string, number>();
    let printed = 0;
    for (;;) {
        const events: FilteredLogEvent[] = [];
        for (const prefix of prefixes) events.push(...await filter(clients.logs, group, prefix, since, limit));
        events.sort((a, b) => (a.timestamp! - b.timestamp!) || (a.eventId! < b.eventId! ? -1 : 1));
        for (const e of events) {
            if (seen.has(e.eventId!)) continue;
            if (limit !== undefined && printed >= limit) break;
            seen.set(e.eventId!, e.timestamp!);
            printed++;
            io.out(json ? `${JSON.stringify({ timestamp: new Date(e.timestamp!).toISOString(), stream: e.logStreamName, message: e.message })}\n` : `${new Date(e.timestamp!).toISOString()} ${e.logStreamName} ${e.message}\n`);
            since = Math.max(since, e.timestamp!);
        }
        for (const [id, at] of seen) if (at < since) seen.delete(id);
        if (!follow || io.signal.aborted) break;
        await io.sleep(io.pollMs);
        if (io.signal.aborted) break;
    }
    if (printed === 0 && !follow) io.err(`No events in ${group}${prefixes[0] === undefined ? "" : ` under ${prefixes.join(", ")}`} since ${new Date(io.now().getTime() - parseDuration((options.since as string | undefined) ?? "10m", "--since")).toISOString()}.\n`);
    return 0;
}

async function filter(logs: Invocation["clients"]["logs"], group: string, prefix: string | undefined, since: number, limit: number | undefined): Promise<FilteredLogEvent[]> {
    const events: FilteredLogEvent[] = [];
    let token: string | undefined;
    do {
        let page;
        try {
            page = await logs.send(new FilterLogEventsCommand({ logGroupName: group, logStreamNamePrefix: prefix, startTime: since, nextToken: token }));
        } catch (e) {
            if ((e as Error).name === "ResourceNotFoundException") throw new OpsError(`log group ${group} does not exist`, "the stack was never deployed in this account and region, or was destroyed", 3);
            throw e;
        }
        events.push(...(page.events ?? []));
        token = page.nextToken;
    } while (token && (limit === undefined || events.length < limit));
    return events;
}
