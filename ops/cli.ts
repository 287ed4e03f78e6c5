import { spawn } from "child_process";
import { existsSync } from "fs";
import * as path from "path";
import { createInterface } from "readline";
import { parseArgs } from "util";
import { explainAwsError, makeClients, type Clients } from "./aws";
import { exec } from "./commands/exec";
import { logs } from "./commands/logs";
import { prune } from "./commands/prune";
import { release, releases } from "./commands/releases";
import { rollback } from "./commands/rollback";
import { run } from "./commands/run";
import { automationDeployer } from "./deployer";
import { commands, overview } from "./help";
import { OpsError, type Io } from "./io";
import { readStack, type StackRef } from "./stack";

/** What a command gets: the stack, its AWS clients, the parsed options and what follows `--`. */
export interface Invocation {
    ref: StackRef;
    clients: Clients;
    positionals: string[];
    options: Record<string, string | boolean | undefined>;
    /** Words after `--` (a command for run and exec). */
    rest: string[];
    json: boolean;
    io: Io;
}

type Option = { type: "string" | "boolean"; short?: string };
const common: Record<string, Option> = { stack: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } };
const spec: Record<string, { options: Record<string, Option>; positionals: [number, number]; handler: (i: Invocation) => Promise<number> }> = {
    releases: { options: {}, positionals: [0, 0], handler: releases },
    release: { options: {}, positionals: [1, 1], handler: release },
    rollback: { options: { deploy: { type: "boolean" }, "dry-run": { type: "boolean" }, clear: { type: "boolean" }, yes: { type: "boolean", short: "y" } }, positionals: [0, 1], handler: rollback },
    run: { options: { release: { type: "string" }, timeout: { type: "string" } }, positionals: [1, 1], handler: run },
    logs: { options: { release: { type: "string" }, since: { type: "string" }, follow: { type: "boolean", short: "f" }, limit: { type: "string" } }, positionals: [0, 1], handler: logs },
    exec: { options: { task: { type: "string" } }, positionals: [1, 1], handler: exec },
    prune: { options: { keep: { type: "string" }, "older-than": { type: "string" }, yes: { type: "boolean", short: "y" }, "no-count": { type: "boolean" } }, positionals: [0, 0], handler: prune },
};

/** Runs one command; resolves with the process exit code. Errors are printed with what to do. */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
    const split = argv.indexOf("--");
    const words = split < 0 ? argv : argv.slice(0, split);
    const rest = split < 0 ? [] : argv.slice(split + 1);
    const allOptions = Object.assign({}, common, ...Object.values(spec).map((c) => c.options)) as Record<string, Option>;
    const name = parseArgs({ args: words, options: allOptions, allowPositionals: true, strict: false }).positionals[0];
    if (name === undefined) {
        if (words.includes("--help") || words.includes("-h") || words.length === 0) {
            io.out(overview);
            return words.length === 0 ? 2 : 0;
        }
    }
    const command = name === undefined ? undefined : spec[name];
    if (command === undefined) {
        io.err(`ops: unknown command${name ? ` "${name}"` : ""}\n\n${overview}`);
        return 2;
    }
    let parsed: ReturnType<typeof parseArgs>;
    try {
        parsed = parseArgs({ args: words, options: { ...common, ...command.options }, allowPositionals: true, strict: true });
        parsed.positionals.shift();
    } catch (e) {
        io.err(`ops ${name}: ${(e as Error).message}\n\n${commands[name!]}`);
        return 2;
    }
    if (parsed.values.help) {
        io.out(commands[name!]);
        return 0;
    }
    const [min, max] = command.positionals;
    if (parsed.positionals.length < min || parsed.positionals.length > max) {
        io.err(`ops ${name}: expected ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? "" : "s"}, got ${parsed.positionals.length}${parsed.positionals.length ? ` (${parsed.positionals.join(" ")})` : ""}\n\n${commands[name!]}`);
        return 2;
    }
    if (rest.length > 0 && name !== "run" && name !== "exec") {
        io.err(`ops ${name}: takes no command after --\n\n${commands[name!]}`);
        return 2;
    }
    try {
        const ref = readStack(io.cwd, parsed.values.stack as string | undefined);
        const clients = await makeClients(ref, io.clientConfig);
        return await command.handler({ ref, clients, positionals: parsed.positionals, options: parsed.values as Invocation["options"], rest, json: parsed.values.json === true, io });
    } catch (e) {
        const error = e instanceof OpsError ? e : explainAwsError(e);
        if (error === undefined) throw e;
        io.err(`ops ${name}: ${error.message}\n${error.hint ? `  → ${error.hint}\n` : ""}`);
        return error.exitCode;
    }
}

/** The real terminal, clock and programs. */
export function processIo(): Io {
    const controller = new AbortController();
    process.once("SIGINT", () => controller.abort());
    return {
        out: (t) => process.stdout.write(t),
        err: (t) => process.stderr.write(t),
        cwd: process.cwd(),
        now: () => new Date(),
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        confirm: async (question) => {
            if (!process.stdin.isTTY) {
                process.stderr.write(`${question}\n  no terminal to answer on: pass --yes to confirm\n`);
                return false;
            }
            const rl = createInterface({ input: process.stdin, output: process.stderr });
            const answer = await new Promise<string>((resolve) => rl.question(`${question} [y/N] `, resolve));
            rl.close();
            return /^y(es)?$/i.test(answer.trim());
        },
        pollMs: 2000,
        signal: controller.signal,
        deployer: automationDeployer,
        spawn: (command, args) => new Promise((resolve, reject) => {
            const child = spawn(command, args, { stdio: "inherit" });
            // The plugin handles Ctrl-C itself (it forwards it into the session).
            const ignore = () => undefined;
            process.on("SIGINT", ignore);
            child.on("error", reject);
            child.on("exit", (code) => { process.off("SIGINT", ignore); resolve(code ?? 1); });
        }),
        which: (command) => (process.env.PATH ?? "").split(path.delimiter).map((dir) => path.join(dir, command)).find((p) => existsSync(p)),
    };
}
