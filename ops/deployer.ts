/**
 * The one thing `rollback --deploy` needs of Pulumi: `pulumi up` of a stack of this project,
 * its progress streamed. Behind an interface, so the command is tested with a fake; the real
 * one is the Automation API over the project's own directory (a local program, as `pulumi up`
 * runs it, with `refresh` as Pulumi.yaml asks).
 */
export interface DeployResult {
    /** "succeeded" or what the engine reported. */
    result: string;
    /** Resource operations by kind (create, update, same…). */
    changes: Record<string, number>;
}

export interface Deployer {
    up(args: { stack: string; workDir: string; onOutput: (text: string) => void }): Promise<DeployResult>;
}

export function automationDeployer(): Deployer {
    return {
        async up({ stack, workDir, onOutput }) {
            // Loaded only here: the other commands never pay for the Pulumi SDK.
            const { LocalWorkspace } = require("@pulumi/pulumi/automation") as typeof import("@pulumi/pulumi/automation");
            const selected = await LocalWorkspace.selectStack({ stackName: stack, workDir });
            const result = await selected.up({ onOutput, refresh: true });
            return { result: result.summary.result, changes: { ...(result.summary.resourceChanges ?? {}) } as Record<string, number> };
        },
    };
}
