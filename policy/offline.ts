import type { Policies, PolicyResource, PolicyResourceOptions, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import type { Level, PolicySettings } from "./enforcement";

/**
 * Runs the pack's policies offline against the resources an evaluation recorded, calling each
 * validateResource (with the resource's inputs, as `pulumi preview` does) and validateStack
 * (with every resource's outputs) the way @pulumi/policy's analyzer server calls them.
 */

/** What a policy needs of a recorded resource (offline/evaluate.ts's Recorded has it all). */
export interface PolicyTarget {
    type: string;
    name: string;
    urn: string;
    inputs: Record<string, any>;
    outputs: Record<string, any>;
    custom: boolean;
    protect: boolean;
    retainOnDelete: boolean;
    ignoreChanges: string[];
    aliases: string[];
    parentUrn?: string;
}

export interface Violation {
    /** The resource's logical name (absent for a stack-wide violation). */
    resource?: string;
    type?: string;
    message: string;
}

export interface PolicyResult {
    policy: string;
    description: string;
    enforcement: Level;
    violations: Violation[];
}

class NotApplicable extends Error {}

const isStackPolicy = (p: Policies[number]): p is StackValidationPolicy => typeof (p as StackValidationPolicy).validateStack === "function";

function options(r: PolicyTarget): PolicyResourceOptions & { retainOnDelete: boolean } {
    return {
        protect: r.protect,
        ignoreChanges: r.ignoreChanges,
        aliases: r.aliases,
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
        parent: r.parentUrn,
        // Not part of the analyzer protocol: the offline run knows it, the engine does not pass it.
        retainOnDelete: r.retainOnDelete,
    };
}

const typeOf = (resourceClass: unknown) => (resourceClass as { __pulumiType?: string }).__pulumiType;
const settingsOnly = ({ enforcementLevel: _level, ...rest }: PolicySettings) => rest;

export async function runPolicies(policies: Policies, resources: PolicyTarget[], settings: Record<string, PolicySettings>): Promise<PolicyResult[]> {
    const targets = resources.filter((r) => r.custom);
    const results: PolicyResult[] = [];
    for (const policy of policies) {
        const level = settings[policy.name]?.enforcementLevel ?? "advisory";
        const result: PolicyResult = { policy: policy.name, description: policy.description, enforcement: level, violations: [] };
        results.push(result);
        if (level === "disabled") continue;
        const getConfig = <T extends object>() => settingsOnly(settings[policy.name] ?? { enforcementLevel: level }) as T;
        const notApplicable = (reason?: string): never => {
            throw new NotApplicable(reason);
        };
        if (isStackPolicy(policy)) {
            const byUrn = new Map<string, PolicyResource>();
            const all: PolicyResource[] = targets.map((r) => {
                const resource: PolicyResource = {
                    type: r.type, name: r.name, urn: r.urn, props: r.outputs, opts: options(r), dependencies: [], propertyDependencies: {},
                    isType: (cls) => typeOf(cls) === r.type,
                    asType: (cls) => (typeOf(cls) === r.type ? (r.outputs as never) : undefined),
                };
                byUrn.set(r.urn, resource);
                return resource;
            });
            for (const resource of all) resource.parent = resource.opts.parent === undefined ? undefined : byUrn.get(resource.opts.parent);
            const report: ReportViolation = (message, urn) => {
                const r = targets.find((t) => t.urn === urn);
                result.violations.push({ resource: r?.name, type: r?.type, message });
            };
            const args: StackValidationArgs = { resources: all, stackTags: new Map(), getConfig, notApplicable };
            try {
                await policy.validateStack(args, report);
            } catch (e) {
                if (!(e instanceof NotApplicable)) throw e;
            }
            continue;
        }
        const validations = ([] as NonNullable<ResourceValidationPolicy["validateResource"]>[]).concat((policy as ResourceValidationPolicy).validateResource ?? []).flat();
        for (const r of targets) {
            const report: ReportViolation = (message) => result.violations.push({ resource: r.name, type: r.type, message });
            for (const validate of validations) {
                const only = (validate as { __pulumiType?: string }).__pulumiType;
                if (only !== undefined && only !== r.type) continue;
                const args: ResourceValidationArgs = {
                    type: r.type, name: r.name, urn: r.urn, props: r.inputs, opts: options(r), stackTags: new Map(),
                    isType: (cls) => typeOf(cls) === r.type,
                    asType: (cls) => (typeOf(cls) === r.type ? (r.inputs as never) : undefined),
                    getConfig, notApplicable,
                };
                try {
                    await validate(args, report);
                } catch (e) {
                    if (!(e instanceof NotApplicable)) throw e;
                }
            }
        }
    }
    return results;
}
