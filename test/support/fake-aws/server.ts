import { createServer, type IncomingMessage, type Server, type ServerResponse } from "http";
import type { AddressInfo } from "net";
import { EcsFake } from "./ecs";
import { LogsFake } from "./logs";
import { SsmFake } from "./ssm";

/**
 * A local AWS endpoint for the operator commands' tests: SSM, ECS and CloudWatch Logs over
 * the AWS JSON 1.1 protocol on 127.0.0.1, reached through AWS_ENDPOINT_URL by the real SDK
 * clients. It enforces the limits the commands must live with, so the tests prove the commands
 * and not the fake:
 *
 * - every request must be signed (SigV4 Authorization header) and carry
 *   `Content-Type: application/x-amz-json-1.1` and a known `X-Amz-Target`;
 * - list calls return pages shaped by `pageShape` (by default full, short, empty, short…),
 *   never more than the API's maximum, with a NextToken whenever items remain — also on
 *   short and empty pages; a MaxResults above the API's limit is a ValidationException;
 * - DeleteParameters and GetParameters take at most 10 names;
 * - every `throttleEvery`-th request fails with ThrottlingException, HTTP 400 and
 *   `{"__type":"ThrottlingException","message":"Rate exceeded"}`, as AWS answers.
 */

export class AwsError extends Error {
    constructor(public readonly type: string, message: string, public readonly status = 400) {
        super(message);
    }
}

export interface Call {
    target: string;
    /** Region and service from the request's SigV4 credential scope. */
    region: string;
    service: string;
    input: Record<string, unknown>;
    throttled: boolean;
}

export type Handler = (input: Record<string, any>) => unknown;

export class FakeAws {
    readonly ssm: SsmFake;
    readonly ecs: EcsFake;
    readonly logs: LogsFake;
    readonly calls: Call[] = [];
    /** Called before each request is answered (a test changes the account between a command's calls). */
    before?: (target: string, input: Record<string, any>) => void;
    /** Every Nth request is throttled (0: never). */
    throttleEvery = 0;
    /** Page sizes in turn, each capped by the API's maximum and the request's MaxResults (-1: the cap itself). */
    pageShape: number[] = [-1, 3, 0, 7, 1, 0];
    private shapeAt = 0;
    private counter = 0;
    private server?: Server;
    url = "";

    constructor() {
        this.ssm = new SsmFake(this);
        this.ecs = new EcsFake(this);
        this.logs = new LogsFake(this);
    }

    async start(): Promise<string> {
        this.server = createServer((req, res) => void this.handle(req, res));
        await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
        this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
        return this.url;
    }

    async stop(): Promise<void> {
        await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    }

    /** Calls to one operation (`AmazonSSM.DeleteParameters` or just `DeleteParameters`), throttled ones excluded. */
    callsTo(operation: string): Call[] {
        return this.calls.filter((c) => !c.throttled && (c.target === operation || c.target.endsWith(`.${operation}`)));
    }

    /** One page of `items` from the position in `token`, with the next token while items remain. */
    page<T>(items: T[], input: Record<string, any>, max: number, names = { max: "MaxResults", token: "NextToken" }): { items: T[]; token?: string } {
        const requested = input[names.max];
        if (requested !== undefined && (typeof requested !== "number" || requested < 1 || requested > max)) {
            throw new AwsError(names.max === "MaxResults" ? "ValidationException" : "InvalidParameterException", `1 validation error detected: Value '${requested}' at '${names.max.charAt(0).toLowerCase()}${names.max.slice(1)}' failed to satisfy constraint: Member must have value less than or equal to ${max}`);
        }
        const cap = Math.min(max, requested ?? max);
        const start = input[names.token] === undefined ? 0 : decodeToken(input[names.token]);
        const shape = this.pageShape[this.shapeAt++ % this.pageShape.length];
        const size = shape < 0 ? cap : Math.min(cap, shape);
        const end = Math.min(items.length, start + size);
        return { items: items.slice(start, end), token: end < items.length ? encodeToken(end) : undefined };
    }

    private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const target = String(req.headers["x-amz-target"] ?? "");
        const auth = String(req.headers.authorization ?? "");
        const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(auth);
        let input: Record<string, unknown> = {};
        const call: Call = { target, region: scope?.[1] ?? "", service: scope?.[2] ?? "", input, throttled: false };
        try {
            if (req.method !== "POST") throw new AwsError("UnknownOperationException", `expected POST, got ${req.method}`);
            if (req.headers["content-type"] !== "application/x-amz-json-1.1") throw new AwsError("SerializationException", `expected Content-Type application/x-amz-json-1.1, got ${req.headers["content-type"]}`);
            if (!scope) throw new AwsError("MissingAuthenticationTokenException", "Missing Authentication Token");
            input = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : {};
            call.input = input;
            this.calls.push(call);
            if (this.throttleEvery > 0 && ++this.counter % this.throttleEvery === 0) {
                call.throttled = true;
                throw new AwsError("ThrottlingException", "Rate exceeded");
            }
            this.before?.(target, input);
            const [prefix, operation] = target.split(".");
            const service = { AmazonSSM: this.ssm, AmazonEC2ContainerServiceV20141113: this.ecs, Logs_20140328: this.logs }[prefix] as unknown as Record<string, Handler> | undefined;
            const handler = service?.[operation];
            if (typeof handler !== "function" || operation === "constructor") throw new AwsError("UnknownOperationException", `the fake does not implement ${target}`);
            send(res, 200, handler.call(service, input) ?? {});
        } catch (e) {
            if (e instanceof AwsError) send(res, e.status, { __type: e.type, message: e.message });
            else send(res, 500, { __type: "InternalFailure", message: String((e as Error).stack ?? e) });
        }
    }
}

function send(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": `fake-${Math.random().toString(16).slice(2)}`, "content-length": Buffer.byteLength(text) });
    res.end(text);
}

function encodeToken(offset: number): string {
    return Buffer.from(JSON.stringify({ o: offset, pad: "opaque-token" })).toString("base64");
}

function decodeToken(token: unknown): number {
    try {
        const o = JSON.parse(Buffer.from(String(token), "base64").toString("utf8")).o;
        if (typeof o === "number") return o;
    } catch {
        // fall through
    }
    throw new AwsError("InvalidNextToken", "The nextToken is not valid.");
}

/** Epoch seconds with milliseconds, as the JSON protocol carries timestamps. */
export function epochSeconds(date: Date): number {
    return date.getTime() / 1000;
}
