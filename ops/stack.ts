import { existsSync, readdirSync, readFileSync } from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { OpsError } from "./io";

/**
 * What the commands know offline: the app, region and pin from `Pulumi.<stack>.yaml`, and the
 * SSM path the program keeps the stack's records under (`/<app>/<stack>`).
 */
export interface StackRef {
    stack: string;
    app: string;
    /** From `aws:region` in the stack file; else the SDK's own (AWS_REGION, the profile). */
    region?: string;
    /** `/<app>/<stack>` */
    path: string;
    /** The stack file, and the project's config namespace (`twelve-factor`). */
    stackFile: string;
    namespace: string;
    /** `release.pin` as the stack file says now. */
    pin?: string;
}

export function readStack(cwd: string, stackName: string | undefined): StackRef {
    if (stackName === undefined || stackName === "") throw new OpsError("no stack named", "pass --stack <name> (the stack file Pulumi.<name>.yaml is read for the app and region)", 2);
    // An org-qualified name (org/project/dev) selects the same stack file.
    const stack = stackName.split("/").pop()!;
    const projectFile = path.join(cwd, "Pulumi.yaml");
    const stackFile = path.join(cwd, `Pulumi.${stack}.yaml`);
    if (!existsSync(stackFile)) {
        throw new OpsError(`no stack file ${path.relative(process.cwd(), stackFile) || stackFile}`, `run from the project root (where Pulumi.yaml is) and name an existing stack: ${listStacks(cwd).join(", ") || "none found"}`, 2);
    }
    const project = existsSync(projectFile) ? (yaml.load(readFileSync(projectFile, "utf8")) as { name?: string } | undefined) : undefined;
    const namespace = project?.name ?? "twelve-factor";
    const config = ((yaml.load(readFileSync(stackFile, "utf8")) as { config?: Record<string, unknown> } | undefined)?.config) ?? {};
    const app = config[`${namespace}:app`];
    if (typeof app !== "string") throw new OpsError(`${path.basename(stackFile)} sets no ${namespace}:app`, "the app name decides where the stack's releases live in SSM (/<app>/<stack>)", 2);
    const region = config["aws:region"];
    const release = config[`${namespace}:release`] as { pin?: unknown } | undefined;
    return {
        stack,
        app,
        region: typeof region === "string" ? region : undefined,
        path: `/${app}/${stack}`,
        stackFile,
        namespace,
        pin: typeof release?.pin === "string" ? release.pin : undefined,
    };
}

function listStacks(cwd: string): string[] {
    try {
        return readdirSync(cwd).flatMap((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1] ?? []);
    } catch {
        return [];
    }
}
