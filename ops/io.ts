import type { Deployer } from "./deployer";

/**
 * Everything a command touches outside AWS, so tests run the real commands in-process: where
 * output goes, the project directory, the clock, questions to the operator, and the few
 * things that cannot run here (a deploy, the Session Manager plugin).
 */
export interface Io {
    out(text: string): void;
    err(text: string): void;
    /** The project root, where Pulumi.<stack>.yaml lives. */
    cwd: string;
    now(): Date;
    sleep(ms: number): Promise<void>;
    /** Asks a yes/no question; false when nobody can answer (no terminal). */
    confirm(question: string): Promise<boolean>;
    /** Interval between polls of a task, a rollout or a followed log (ms). */
    pollMs: number;
    /** Aborted on Ctrl-C: a run stops its task, a followed log ends. */
    signal: AbortSignal;
    deployer(): Deployer;
    /** Starts a program with the terminal attached; resolves with its exit code (exec hands its session to the plugin). */
    spawn(command: string, args: string[]): Promise<number>;
    /** The full path of a program on PATH, if any. */
    which(command: string): string | undefined;
    /** Extra SDK client settings (tests shorten the retry backoff). */
    clientConfig?: Record<string, unknown>;
}

/** A failure the operator can act on: what went wrong and what to do. Printed without a stack. */
export class OpsError extends Error {
    constructor(message: string, public readonly hint?: string, public readonly exitCode = 1) {
        super(message);
    }
}
