import type { Inputs } from "./account";

/** The AWS rules the simulated account enforces on single writes (the rules across deploys live in ./simulated-account.ts). */

export const ssmType = "aws:ssm/parameter:Parameter";

/** An error AWS (or the engine) would report; the deploy stops there, as `pulumi up` does. */
export class DeployError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "DeployError";
    }
}

/** SSM standard tier: parameters per account and region, and bytes per value. */
export const ssmLimits = { standardParameters: 10_000, standardValueBytes: 4096, advancedValueBytes: 8192, nameLength: 1011, levels: 15 } as const;

export function physicalName(type: string, inputs: Inputs, outputs: Inputs): string {
    if (type === ssmType || type === "aws:cloudwatch/logGroup:LogGroup") return String(inputs.name);
    if (type === "aws:rds/instance:Instance") return String(inputs.identifier);
    if (type === "aws:ecr/repository:Repository") return String(outputs.repositoryUrl);
    return String(outputs.id);
}

/** What SSM's PutParameter validates. */
export function checkParameter(inputs: Inputs): void {
    const name = String(inputs.name);
    const value = String(inputs.insecureValue ?? inputs.value ?? "");
    if (/^\/?(aws|ssm)/i.test(name)) throw new DeployError(`ValidationException: parameter name ${name} must not begin with aws or ssm`);
    if (name.length > ssmLimits.nameLength || name.split("/").length - 1 > ssmLimits.levels) throw new DeployError(`ValidationException: parameter name ${name} is too long or too deep`);
    if (!/^[a-zA-Z0-9_.\-/]+$/.test(name)) throw new DeployError(`ValidationException: parameter name ${name} has characters SSM does not allow`);
    if (value.length === 0) throw new DeployError(`ValidationException: 1 validation error detected: Value '' at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1 (${name})`);
    const limit = inputs.tier === "Standard" ? ssmLimits.standardValueBytes : ssmLimits.advancedValueBytes;
    if (Buffer.byteLength(value) > limit) throw new DeployError(`ValidationException: value of ${name} is ${Buffer.byteLength(value)} bytes, over ${limit}`);
}

