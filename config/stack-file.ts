import { existsSync, readFileSync } from "fs";
import * as yaml from "js-yaml";
import * as path from "path";

/**
 * Finds and reads Pulumi.<stack>.yaml, the only place that tells which VALUES (not just which
 * top-level keys) were set with --secret. Reading is best effort: without the file (config from
 * a Pulumi ESC environment, from the service backend, or a --config-file elsewhere) the
 * per-top-level-key check applies (see ./secrets.ts).
 */

const projectFiles = ["Pulumi.yaml", "Pulumi.yml"];

/** The project directory: the first of the candidates (or a parent of one) that holds Pulumi.yaml. */
export function findProjectDirectory(candidates: (string | undefined)[], exists: (file: string) => boolean = existsSync): string | undefined {
    for (const start of candidates) {
        if (start === undefined || !path.isAbsolute(start)) continue;
        for (let dir = start; ; dir = path.dirname(dir)) {
            if (projectFiles.some((f) => exists(path.join(dir, f)))) return dir;
            if (path.dirname(dir) === dir) break;
        }
    }
    return undefined;
}

/** Where the stack files are: the project directory, or `stackConfigDir` of Pulumi.yaml. */
export function stackFilePaths(projectDir: string, projectFile: unknown, stack: string): string[] {
    const configured = (projectFile as { stackConfigDir?: unknown } | null)?.stackConfigDir;
    const dir = typeof configured === "string" && configured !== "" ? path.resolve(projectDir, configured) : projectDir;
    // A fully qualified stack name (org/project/stack) still uses the stack's own name for its file.
    const name = stack.split("/").pop()!;
    return [`Pulumi.${name}.yaml`, `Pulumi.${name}.yml`].map((f) => path.join(dir, f));
}

/**
 * Pulumi.<stack>.yaml as parsed YAML, or undefined when it cannot be found or read.
 * @param candidates directories to start from: Pulumi's root directory, the working
 *   directory (`pulumi up` starts the program in the project directory), this module's.
 */
export function readStackFile(stack: string, candidates: (string | undefined)[]): unknown {
    try {
        const projectDir = findProjectDirectory(candidates);
        if (projectDir === undefined) return undefined;
        const projectPath = projectFiles.map((f) => path.join(projectDir, f)).find((f) => existsSync(f))!;
        const projectFile = yaml.load(readFileSync(projectPath, "utf8"));
        const file = stackFilePaths(projectDir, projectFile, stack).find((f) => existsSync(f));
        return file === undefined ? undefined : yaml.load(readFileSync(file, "utf8"));
    } catch {
        // The engine has read the same files already; if this program cannot, it falls back to
        // the per-top-level-key check rather than failing.
        return undefined;
    }
}
