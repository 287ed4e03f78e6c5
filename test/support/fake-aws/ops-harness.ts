import { ConfiguredRetryStrategy } from "@smithy/core/retry";
import { mkdtempSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { main } from "../../../ops/cli";
import type { Deployer } from "../../../ops/deployer";
import type { Io } from "../../../ops/io";
import { FakeAws } from "./server";

/**
 * Runs the real operator commands in-process against the fake endpoint: the SDK clients are
 * the real ones, configured by the standard environment (AWS_ENDPOINT_URL, static keys); only
 * the retry backoff is shortened (a client option), so throttling costs no real seconds.
 */

const projectRoot = path.join(__dirname, "..", "..", "..");

export async function startFake(): Promise<FakeAws> {
    const fake = new FakeAws();
    const url = await fake.start();
    Object.assign(process.env, {
        AWS_ENDPOINT_URL: url,
        AWS_ACCESS_KEY_ID: "AKIAFAKEFAKEFAKE0001",
        AWS_SECRET_ACCESS_KEY: "fake-secret-key",
        // Never the instance metadata service: these tests reach 127.0.0.1 only.
        AWS_EC2_METADATA_DISABLED: "true",
        AWS_CONFIG_FILE: "/nonexistent/aws-config",
        AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/aws-credentials",
    });
    delete process.env.AWS_PROFILE;
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_REGION;
    return fake;
}

/** A project directory with Pulumi.yaml and the given stack files (default: a copy of the real dev file). */
export function project(stacks: Record<string, string> = { dev: readFileSync(path.join(projectRoot, "Pulumi.dev.yaml"), "utf8") }): string {
    const dir = mkdtempSync(path.join(tmpdir(), "ops-project-"));
    writeFileSync(path.join(dir, "Pulumi.yaml"), "name: twelve-factor\nruntime: nodejs\n");
    for (const [stack, text] of Object.entries(stacks)) writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), text);
    return dir;
}

export interface Result {
    code: number;
    out: string;
    err: string;
}

export interface RunOptions {
    answers?: boolean[];
    deployer?: Deployer;
    which?: (command: string) => string | undefined;
    spawned?: { command: string; args: string[] }[];
    /** Aborts (Ctrl-C) once this many sleeps happened. */
    abortAfterSleeps?: number;
    /** Called at each sleep (between polls), with how many happened. */
    onSleep?: (n: number) => void;
    now?: () => Date;
}

export async function ops(cwd: string, argv: string[], options: RunOptions = {}): Promise<Result & { questions: string[] }> {
    let out = "";
    let err = "";
    const questions: string[] = [];
    const controller = new AbortController();
    let sleeps = 0;
    const io: Io = {
        out: (t) => { out += t; },
        err: (t) => { err += t; },
        cwd,
        now: options.now ?? (() => new Date()),
        sleep: async () => {
            sleeps++;
            options.onSleep?.(sleeps);
            if (options.abortAfterSleeps !== undefined && sleeps >= options.abortAfterSleeps) controller.abort();
            await new Promise((r) => setImmediate(r));
        },
        confirm: async (q) => { questions.push(q); return options.answers?.shift() ?? false; },
        pollMs: 1,
        signal: controller.signal,
        deployer: () => options.deployer ?? { up: async () => { throw new Error("no deployer in this test"); } },
        spawn: async (command, args) => { options.spawned?.push({ command, args }); return 0; },
        which: options.which ?? (() => undefined),
        clientConfig: { retryStrategy: new ConfiguredRetryStrategy(4, 1) },
    };
    const code = await main(argv, io);
    return { code, out, err, questions };
}
