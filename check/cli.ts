import * as path from "path";
import { readLedgerFile, readStackOutputsFile } from "./inputs";
import { render, type Format } from "./report";
import { checkStack } from "./stack";
import { projectDirectory, stacksIn, UsageError } from "./stack-input";
import type { CheckDocument, StackReport } from "./types";

/**
 * `npm run check -- --stack <name> | --all`: what a stack declares, what it costs and which
 * policies it breaks, offline (no AWS credentials, network or Pulumi CLI). The contract (flags,
 * exit codes, JSON fields) is documented in README.md "Offline check"; CI relies on it.
 */

export const usage = `usage: npm run check -- (--stack <name> … | --all) [options]
  --stack <name>               check the stack of Pulumi.<name>.yaml (repeatable)
  --all                        check every Pulumi.<name>.yaml of the project
  --strict                     a required secret missing from the stack file is an error, not a warning
  --json                       print one JSON document (README.md "Offline check")
  --markdown                   print Markdown for a GitHub job summary (long sections folded)
  --ledger [<stack>=]<file>    the stack's SSM parameters: the JSON that
                               aws ssm get-parameters-by-path --path /<app>/<stack> --recursive prints
  --stack-outputs <stack>=<file>
                               another stack's outputs (promotion): the JSON that
                               pulumi stack output --json --stack <stack> prints
  --cwd <dir>                  the project directory (default: where Pulumi.yaml is, from here up)
exit codes: 0 clean; 1 config error, program refusal or mandatory policy violation; 2 usage`;

export interface CliOptions {
    stacks: string[];
    all: boolean;
    strict: boolean;
    format: Format | "json";
    ledgers: Map<string | undefined, string>;
    stackOutputs: Map<string, string>;
    cwd: string;
}

/** Parses the arguments; throws UsageError (exit 2) on anything it does not understand. */
export function parseArgs(argv: string[]): CliOptions | "help" {
    const o: CliOptions = { stacks: [], all: false, strict: false, format: "text", ledgers: new Map(), stackOutputs: new Map(), cwd: process.cwd() };
    const formats: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        const [flag, inline] = arg.startsWith("--") && arg.includes("=") && !arg.startsWith("--ledger=") && !arg.startsWith("--stack-outputs=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
        const value = () => {
            const v = inline ?? argv[++i];
            if (v === undefined || (inline === undefined && v.startsWith("--"))) throw new UsageError(`${flag} needs a value`);
            return v;
        };
        switch (flag) {
            case "-h":
            case "--help":
                return "help";
            case "--stack":
                o.stacks.push(value());
                break;
            case "--all":
                o.all = true;
                break;
            case "--strict":
                o.strict = true;
                break;
            case "--json":
            case "--markdown":
                formats.push(flag.slice(2));
                break;
            case "--cwd":
                o.cwd = path.resolve(value());
                break;
            case "--ledger": {
                const v = value();
                const m = /^([a-z][a-z0-9-]*)=(.+)$/.exec(v);
                o.ledgers.set(m?.[1], m ? m[2] : v);
                break;
            }
            case "--stack-outputs": {
                const m = /^([a-z][a-z0-9-]*)=(.+)$/.exec(value());
                if (!m) throw new UsageError("--stack-outputs takes <stack>=<file> (the stack whose outputs the file holds)");
                o.stackOutputs.set(m[1], m[2]);
                break;
            }
            default:
                throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
        }
    }
    if (formats.length > 1) throw new UsageError("--json and --markdown exclude each other");
    o.format = (formats[0] as "json" | "markdown" | undefined) ?? "text";
    if (o.all === (o.stacks.length > 0)) throw new UsageError("give --stack <name> or --all (one of them)");
    if (o.ledgers.has(undefined) && (o.all || o.stacks.length > 1)) throw new UsageError("with several stacks, name the stack of each ledger: --ledger <stack>=<file>");
    return o;
}

export async function main(argv: string[]): Promise<{ output: string; exitCode: number; toStderr?: boolean }> {
    let options: CliOptions | "help";
    let stacks: string[];
    let projectDir: string;
    try {
        options = parseArgs(argv);
        if (options === "help") return { output: `${usage}\n`, exitCode: 0 };
        projectDir = projectDirectory(options.cwd);
        const available = stacksIn(projectDir);
        stacks = options.all ? available : [...new Set(options.stacks)];
        for (const stack of stacks) if (!available.includes(stack)) throw new UsageError(`no stack file Pulumi.${stack}.yaml in ${projectDir} (stacks there: ${available.join(", ") || "none"})`);
        for (const named of [...options.ledgers.keys(), ...options.stackOutputs.keys()]) if (named !== undefined && !available.includes(named)) throw new UsageError(`no stack ${named} in ${projectDir} (stacks there: ${available.join(", ")})`);
    } catch (e) {
        if (e instanceof UsageError) return { output: `check: ${e.message}\n${usage}\n`, exitCode: 2, toStderr: true };
        throw e;
    }
    const opts = options;
    const resolveIn = (file: string) => path.resolve(opts.cwd, file);
    let stackOutputs: Record<string, Record<string, unknown>>;
    const ledgers = new Map<string, Record<string, string>>();
    try {
        stackOutputs = Object.fromEntries([...opts.stackOutputs].map(([stack, file]) => [stack, readStackOutputsFile(resolveIn(file))]));
        for (const [stack, file] of opts.ledgers) ledgers.set(stack ?? stacks[0], readLedgerFile(resolveIn(file)));
    } catch (e) {
        if (e instanceof UsageError) return { output: `check: ${e.message}\n`, exitCode: 2, toStderr: true };
        throw e;
    }
    const reports: StackReport[] = [];
    for (const stack of stacks) {
        try {
            reports.push(await checkStack({ projectDir, stack, strict: opts.strict, ssm: ledgers.get(stack), stackOutputs }));
        } catch (e) {
            if (e instanceof UsageError) return { output: `check: ${e.message}\n`, exitCode: 2, toStderr: true };
            throw e;
        }
    }
    const ok = reports.every((r) => r.ok);
    const doc: CheckDocument = { schemaVersion: 1, ok, exitCode: ok ? 0 : 1, strict: opts.strict, stacks: reports };
    const output = opts.format === "json" ? `${JSON.stringify(doc, null, 2)}\n` : render(doc, opts.format);
    return { output, exitCode: doc.exitCode };
}
