import { readFileSync } from "fs";
import { UsageError } from "./stack-input";

/**
 * What the check reads instead of AWS and the Pulumi backend, each from an optional file:
 * - the stack's SSM parameters (ledger, running pointer, records), as
 *   `aws ssm get-parameters-by-path --path /<app>/<stack> --recursive` prints them (SecureString
 *   values stay encrypted: the program never reads them);
 * - another stack's outputs (promotion), as `pulumi stack output --json --stack <name>` prints them.
 */

function readJson(file: string, what: string): unknown {
    let text: string;
    try {
        text = readFileSync(file, "utf8");
    } catch (e) {
        throw new UsageError(`${what} ${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`);
    }
    try {
        return JSON.parse(text);
    } catch (e) {
        throw new UsageError(`${what} ${file}: not JSON (${(e as Error).message})`);
    }
}

/** Parameter name → value, from the JSON `aws ssm get-parameters-by-path` prints (one document, or a list of pages). */
export function readLedgerFile(file: string): Record<string, string> {
    const doc = readJson(file, "--ledger");
    const pages = Array.isArray(doc) ? doc : [doc];
    const parameters: Record<string, string> = {};
    for (const page of pages) {
        const list = (page as { Parameters?: unknown } | null)?.Parameters;
        if (!Array.isArray(list)) throw new UsageError(`--ledger ${file}: expected the output of aws ssm get-parameters-by-path --recursive ({"Parameters": [{"Name": …, "Value": …}, …]})`);
        for (const p of list as { Name?: unknown; Value?: unknown }[]) {
            if (typeof p?.Name !== "string" || typeof p.Value !== "string") throw new UsageError(`--ledger ${file}: every parameter needs a Name and a Value`);
            parameters[p.Name] = p.Value;
        }
    }
    return parameters;
}

/** A stack's outputs, from `pulumi stack output --json` (an object of output names). */
export function readStackOutputsFile(file: string): Record<string, unknown> {
    const doc = readJson(file, "--stack-outputs");
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) throw new UsageError(`--stack-outputs ${file}: expected the output of pulumi stack output --json (an object)`);
    return doc as Record<string, unknown>;
}
