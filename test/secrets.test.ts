import { describe, expect, it } from "vitest";
import { readStackConfig, Recorded, Evaluation, evaluateStack } from "./harness";
import { SimulatedAccount } from "./support/simulated-account";

/**
 * Secrets never appear in plain text on a successful deploy either: canary values of several
 * shapes, in every place a secret may legitimately sit, are scanned for in every stack output,
 * every input the engine does not hold as a secret, the provider's answers, and everything the
 * program prints — over a sequence (new release, rollback), since a pinned run takes another path.
 */

const canaries = {
    text: "canary text with spaces, \"double\" and 'single' quotes",
    numeric: "73519046",
    json: '{"canary":"json-7f3a"}',
    lines: "first canary line\nsecond canary line",
};
const devDatabase = readStackConfig("dev").config["twelve-factor:database"] as Record<string, unknown>;

/** The forms a value could take when serialised: itself, JSON-escaped, and URL-encoded. */
const forms = (value: string) => [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)];

/** Inputs without the paths the engine holds as secrets (encrypted in state, masked in previews). */
function plainInputs(r: Recorded): string {
    const strip = (value: unknown, at: string): unknown => {
        if (r.secretInputs.includes(at)) return "[secret]";
        if (Array.isArray(value)) return value.map((v, i) => strip(v, at ? `${at}.${i}` : String(i)));
        if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strip(v, at ? `${at}.${k}` : k)]));
        return value;
    };
    return JSON.stringify(strip(r.inputs, ""));
}

/** Captures what the program writes to stdout and stderr while it runs. */
async function printed<T>(f: () => Promise<T>): Promise<{ result: T; text: string }> {
    const chunks: string[] = [];
    const [out, err] = [process.stdout.write.bind(process.stdout), process.stderr.write.bind(process.stderr)];
    const capture = (chunk: unknown) => {
        chunks.push(String(chunk));
        return true;
    };
    process.stdout.write = capture as typeof process.stdout.write;
    process.stderr.write = capture as typeof process.stderr.write;
    try {
        return { result: await f(), text: chunks.join("") };
    } finally {
        process.stdout.write = out;
        process.stderr.write = err;
    }
}

function expectNoCanary(run: Evaluation, logs: string, values: string[]): void {
    for (const value of values.flatMap(forms)) {
        expect(JSON.stringify(run.outputs), "stack outputs").not.toContain(value);
        expect(logs, "program output").not.toContain(value);
        for (const r of run.resources) expect(plainInputs(r), `${r.type} ${r.name}`).not.toContain(value);
    }
}

describe("secrets on a successful deploy", () => {
    const secretKeys = Object.keys(canaries).map((shape) => `${shape.toUpperCase()}_SECRET`);
    const secrets = Object.fromEntries(Object.values(canaries).map((canary, i) => [secretKeys[i], canary]));

    it("secrets of every shape are only ever secret inputs: releases, rollback and promotion", async () => {
        const account = new SimulatedAccount();
        const runs: { run: Evaluation; logs: string }[] = [];
        for (const config of [{ secretKeys }, { secretKeys, env: { LOG_LEVEL: "info", WORKER_POLL_MS: "2000" } }, { secretKeys, release: { pin: "v1" } }]) {
            const { result: run, text } = await printed(() => evaluateStack({ stack: "dev", account, config, secrets }));
            account.deploy(run);
            runs.push({ run, logs: text });
        }
        const { result: prod, text } = await printed(() => evaluateStack({ stack: "prod", account, config: { secretKeys }, secrets }));
        runs.push({ run: prod, logs: text });

        for (const { run, logs } of runs) {
            const password = run.ofType("aws:rds/instance:Instance")[0].inputs.password as string;
            expectNoCanary(run, logs, [...Object.values(canaries), password]);
            for (const p of run.ofType("aws:ssm/parameter:Parameter").filter((p) => p.inputs.type === "SecureString")) expect(p.secretInputs, p.name).toEqual(["value"]);
        }
        // Secret parameters are SecureString, never String, and their values reach AWS as sent.
        const stored = runs[0].run.ofType("aws:ssm/parameter:Parameter").filter((p) => p.inputs.name.endsWith("_SECRET"));
        expect(Object.fromEntries(stored.map((p) => [p.inputs.name.split("/").pop(), [p.inputs.type, p.inputs.value]]))).toEqual(
            Object.fromEntries(secretKeys.map((key) => [key, ["SecureString", secrets[key]]])));
    });

    // Each shape once, the two kinds alternating: existing gets text and JSON, external numeric and lines.
    it.each(Object.entries(canaries).map(([shape, canary], i) => [shape, canary, i % 2 === 0 ? "existing" : "external"] as const))("a %s database secret (%s kind) stays secret", async (_, canary, kind) => {
        const database = kind === "existing"
            ? { ...devDatabase, kind, existing: { identifier: "legacy-shop", username: "shop_app", dbName: "shop", password: canary } }
            : { ...devDatabase, kind, external: { url: `postgresql://app:${encodeURIComponent(canary)}@pg.example.net:5432/shop` } };
        const rdsInstances = { "legacy-shop": { engine: "postgres", engineVersion: "15.8", address: "legacy-shop.c0ffee.eu-west-1.rds.amazonaws.com", port: 5432 } };
        const { result: run, text } = await printed(() => evaluateStack({ stack: "dev", config: { database }, rdsInstances }));
        expectNoCanary(run, text, [canary]);
        const url = run.ofType("aws:ssm/parameter:Parameter").find((p) => p.inputs.name.endsWith("/DATABASE_URL"))!;
        expect(url.inputs.type).toBe("SecureString");
        expect(String(url.inputs.value)).toContain(encodeURIComponent(canary));
    });
});
