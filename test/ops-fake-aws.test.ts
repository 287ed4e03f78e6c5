import { DeleteParametersCommand, DescribeParametersCommand, GetParametersByPathCommand, GetParametersCommand, SSMClient } from "@aws-sdk/client-ssm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFake } from "./support/fake-aws/ops-harness";
import type { FakeAws } from "./support/fake-aws/server";

/**
 * The fake endpoint holds the commands to AWS's real limits: asked through the real SDK (and
 * raw HTTP for the wire shape), it refuses what AWS refuses and pages as AWS may.
 */

let fake: FakeAws;
let ssm: SSMClient;
beforeAll(async () => {
    fake = await startFake();
    for (let i = 0; i < 23; i++) fake.ssm.put(`/shop/dev/ledger/v${i + 1}`, "{}");
    ssm = new SSMClient({ region: "eu-west-1", maxAttempts: 1 });
});
afterAll(() => fake.stop());

const names = (n: number) => Array.from({ length: n }, (_, i) => `/shop/dev/ledger/v${i + 1}`);

describe("the fake AWS endpoint", () => {
    it("answers the SDK through AWS_ENDPOINT_URL, signed, in the JSON 1.1 protocol", async () => {
        await ssm.send(new GetParametersCommand({ Names: ["/shop/dev/ledger/v1"] }));
        const call = fake.calls[fake.calls.length - 1];
        expect(call).toMatchObject({ target: "AmazonSSM.GetParameters", region: "eu-west-1", service: "ssm" });
        const unsigned = await fetch(fake.url, { method: "POST", headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AmazonSSM.GetParameters" }, body: "{}" });
        expect(unsigned.status).toBe(400);
        expect(await unsigned.json()).toEqual({ __type: "MissingAuthenticationTokenException", message: "Missing Authentication Token" });
    });

    it("pages GetParametersByPath at most 10 at a time, with short and empty pages that still carry a NextToken", async () => {
        const sizes: number[] = [];
        const tokens: boolean[] = [];
        let token: string | undefined;
        do {
            const page = await ssm.send(new GetParametersByPathCommand({ Path: "/shop/dev/ledger", MaxResults: 10, NextToken: token }));
            sizes.push(page.Parameters!.length);
            tokens.push(page.NextToken !== undefined);
            token = page.NextToken;
        } while (token);
        expect(sizes.reduce((a, b) => a + b)).toBe(23);
        expect(Math.max(...sizes)).toBe(10);
        expect(sizes).toContain(0);
        expect(sizes.slice(0, -1).some((s) => s > 0 && s < 10)).toBe(true);
        expect(tokens.slice(0, -1).every(Boolean)).toBe(true);
        await expect(ssm.send(new GetParametersByPathCommand({ Path: "/shop", MaxResults: 11 }))).rejects.toMatchObject({ name: "ValidationException" });
        await expect(ssm.send(new DescribeParametersCommand({ MaxResults: 51 }))).rejects.toMatchObject({ name: "ValidationException" });
        expect((await ssm.send(new DescribeParametersCommand({ MaxResults: 50 }))).Parameters!.length).toBeLessThanOrEqual(50);
    });

    it("takes at most 10 names per DeleteParameters and GetParameters", async () => {
        await expect(ssm.send(new DeleteParametersCommand({ Names: names(11) }))).rejects.toMatchObject({ name: "ValidationException", message: expect.stringContaining("less than or equal to 10") });
        await expect(ssm.send(new GetParametersCommand({ Names: names(11) }))).rejects.toMatchObject({ name: "ValidationException" });
        expect(fake.ssm.names()).toHaveLength(23);
        const deleted = await ssm.send(new DeleteParametersCommand({ Names: [...names(9), "/shop/dev/ledger/v99"] }));
        expect(deleted.DeletedParameters).toHaveLength(9);
        expect(deleted.InvalidParameters).toEqual(["/shop/dev/ledger/v99"]);
    });

    it("throttles every Nth call as AWS does (HTTP 400, ThrottlingException), which the SDK retries by itself", async () => {
        fake.throttleEvery = 2;
        await expect(ssm.send(new GetParametersCommand({ Names: ["/shop/dev/ledger/v10"] }))).resolves.toBeDefined();
        await expect(ssm.send(new GetParametersCommand({ Names: ["/shop/dev/ledger/v10"] }))).rejects.toMatchObject({ name: "ThrottlingException", message: "Rate exceeded", $metadata: { httpStatusCode: 400 } });
        // Its body, as the wire carries it (every other call: this one is the next throttled).
        await ssm.send(new GetParametersCommand({ Names: ["/shop/dev/ledger/v10"] }));
        const raw = await fetch(fake.url, { method: "POST", headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AmazonSSM.GetParameters", authorization: "AWS4-HMAC-SHA256 Credential=AKID/20261130/eu-west-1/ssm/aws4_request, SignedHeaders=host, Signature=0" }, body: JSON.stringify({ Names: ["/shop/dev/ledger/v10"] }) });
        expect(raw.status).toBe(400);
        expect(raw.headers.get("content-type")).toBe("application/x-amz-json-1.1");
        expect(await raw.json()).toEqual({ __type: "ThrottlingException", message: "Rate exceeded" });
        await ssm.send(new GetParametersCommand({ Names: ["/shop/dev/ledger/v10"] }));
        // The next call is throttled: the SDK's standard retry strategy tries again.
        const retrying = new SSMClient({ region: "eu-west-1", maxAttempts: 3 });
        await expect(retrying.send(new GetParametersCommand({ Names: ["/shop/dev/ledger/v10"] }))).resolves.toMatchObject({ Parameters: [expect.objectContaining({ Name: "/shop/dev/ledger/v10" })] });
        expect(fake.calls.slice(-2).map((c) => [c.target, c.throttled])).toEqual([["AmazonSSM.GetParameters", true], ["AmazonSSM.GetParameters", false]]);
        fake.throttleEvery = 0;
    });
});
