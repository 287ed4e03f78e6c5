import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { invokeResult, outputsFor, type AccountState, type Inputs } from "./account";
import type { SimulatedAccount } from "./simulated-account";
import { engineConfig, project, projectRoot, type ConfigOverrides } from "./stack-config";

/**
 * Evaluates the real program (index.ts) under Pulumi's mocks with a stack's config against the
 * simulated account, and records what AWS would receive: every registered resource with its
 * resolved inputs, its parent and the options that matter (retainOnDelete, protect, dependsOn).
 * The tests (test/harness.ts) and `npm run check` share it. Nothing here calls AWS.
 */

// The SDK's RPC queue and run-time store (not public API): the stack registers its outputs only
// once they resolve, and the engine tells the program its project directory through the store.
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
const { getStore } = require("@pulumi/pulumi/runtime/state") as { getStore(): { settings: { options: { rootDirectory?: string } } } };

export interface Recorded {
    type: string;
    name: string;
    inputs: Inputs;
    /** What the (mock) provider returned: inputs plus computed values such as `arn`. */
    outputs: Inputs;
    /** Logical name of the parent resource (undefined for the stack's direct children). */
    parent?: string;
    parentType?: string;
    /** The parent's URN (what policy packs see as `opts.parent`). */
    parentUrn?: string;
    custom: boolean;
    retainOnDelete: boolean;
    protect: boolean;
    dependsOn: string[];
    /** `ignoreChanges` as given. */
    ignoreChanges: string[];
    /** Dotted paths of inputs Pulumi holds as secrets (encrypted in state, masked in previews). */
    secretInputs: string[];
    /** The resource's URN: what Pulumi matches state by (a change means replace). */
    urn: string;
    /** URNs this resource was known by before (`aliases` given as URNs): a move that keeps one is no replacement. */
    aliases: string[];
}

export interface EvaluateOptions extends AccountState, ConfigOverrides {
    /** Outputs of other stacks, for StackReference (promotion); default: what the account's backend holds. */
    stackOutputs?: Record<string, Record<string, unknown>>;
    /** Evaluate the program of another checkout of this project (default: this one). */
    programDir?: string;
    /** An account and backend that outlive this evaluation (sequence tests); deploy the result with account.deploy(run). */
    account?: SimulatedAccount;
    /** Preview mode: computed outputs (ARNs, digests, endpoints) are unknown. */
    preview?: boolean;
    /** The config exactly as the engine hands it over (default: the stack file with `config` overrides, see engineConfig). */
    engine?: { config: Record<string, string>; secretKeys: string[] };
    /** The project directory the engine reports (where the program finds Pulumi.<stack>.yaml); default: this checkout. */
    projectDir?: string;
}

export interface Evaluation {
    stack: string;
    /** Per stack output, the logical names of the resources it depends on (it resolves only once they are written). */
    outputDependencies: Record<string, string[]>;
    /** What the program threw, if it failed. */
    error?: Error;
    resources: Recorded[];
    outputs: Record<string, unknown>;
    ofType(type: string): Recorded[];
    named(name: string): Recorded;
}

/** Resolves Outputs (and nested Outputs) to plain values; unknown values become undefined. */
export async function resolve(value: unknown): Promise<unknown> {
    if (pulumi.Output.isInstance(value)) {
        // Output's own promise (not public API): apply() never calls back for a value unknown in a preview.
        const settled = await (value as unknown as { promise(withUnknowns: boolean): Promise<unknown> }).promise(true);
        return pulumi.isUnknown(settled) ? undefined : resolve(settled);
    }
    if (value instanceof Promise) return resolve(await value);
    if (Array.isArray(value)) return Promise.all(value.map(resolve));
    if (value !== null && typeof value === "object") {
        const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolve(v)] as const));
        return Object.fromEntries(entries);
    }
    return value;
}

type Program = () => Promise<Record<string, unknown>>;

/** Evaluates a stack once; a program that throws is reported in `error`, with what it registered before. One evaluation at a time per process. */
export async function evaluate(options: EvaluateOptions): Promise<Evaluation> {
    const { config: serialized, secretKeys } = options.engine ?? engineConfig(options);
    const view = options.account?.view();
    const accountState: AccountState = view ? { ...options, ssm: { ...view.ssm, ...options.ssm }, rdsInstances: { ...view.rdsInstances, ...options.rdsInstances }, ecrImages: view.ecrImages } : options;

    const mockInputs = new Map<string, Inputs>();
    const mockOutputs = new Map<string, Inputs>();
    const pending: Promise<unknown>[] = [];
    await pulumi.runtime.setMocks({
        newResource(args) {
            mockInputs.set(`${args.type}::${args.name}`, args.inputs);
            if (args.type === "pulumi:pulumi:StackReference") {
                const stackName = String(args.inputs.name).split("/").pop()!;
                const outputs = options.stackOutputs?.[stackName] ?? options.account?.outputsOf(stackName);
                if (outputs === undefined) throw new Error(`Stack ${args.inputs.name} does not exist`);
                return { id: String(args.inputs.name), state: { name: args.inputs.name, outputs, secretOutputNames: [] } };
            }
            const state = options.account
                ? options.account.outputsFor(options.stack, args.type, args.name, args.inputs, options.preview ?? false)
                : outputsFor(args.type, args.name, args.inputs, options.preview ?? false);
            mockOutputs.set(`${args.type}::${args.name}`, state);
            return { id: `${args.name}-id`, state };
        },
        call(args) {
            return invokeResult(args.token, args.inputs, accountState);
        },
    }, project, options.stack, options.preview ?? false, "organization");
    pulumi.runtime.setAllConfig(serialized, secretKeys);
    getStore().settings.options.rootDirectory = options.projectDir ?? projectRoot;

    const seen: { type: string; name: string; opts: pulumi.ResourceOptions; resource: pulumi.Resource }[] = [];
    const names = new Map<pulumi.Resource, { type: string; name: string }>();
    const urns = new Map<pulumi.Resource, string>();
    // index.ts uses `export =`; an ES-module import hands it over as the module's default.
    const imported = (await (options.programDir ? import(path.join(options.programDir, "index")) : import("../index"))) as unknown as Program | { default: Program };
    const main = typeof imported === "function" ? imported : imported.default;

    let failure: Error | undefined;
    let rawOutputs: Record<string, unknown> = {};
    await pulumi.runtime.runInPulumiStack(async () => {
        pulumi.runtime.registerStackTransformation((args) => {
            seen.push({ type: args.type, name: args.name, opts: args.opts, resource: args.resource });
            names.set(args.resource, { type: args.type, name: args.name });
            // The URN exists once the constructor that runs this transformation has returned.
            pending.push(Promise.resolve().then(() => new Promise((r) => args.resource.urn.apply((urn) => r(urns.set(args.resource, urn))))));
            return undefined;
        });
        try {
            rawOutputs = await main();
            return rawOutputs;
        } catch (e) {
            failure = e as Error;
            return {};
        }
    });
    const outputs = (await resolve(rawOutputs)) as Record<string, unknown>;
    const outputDependencies: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(rawOutputs)) {
        // Output's own dependency set (not public API): what must be written before it resolves.
        const deps = pulumi.Output.isInstance(value) ? await (value as unknown as { resources(): Promise<Set<pulumi.Resource>> }).resources() : new Set<pulumi.Resource>();
        outputDependencies[name] = [...deps].map((d) => names.get(d)?.name ?? "?").sort();
    }
    // Wait until every declared resource has been registered with the (mock) engine, and the
    // stack's own outputs too, before the next evaluation replaces the mocks.
    while (pending.length > 0) await Promise.all(pending.splice(0));
    await waitForRPCs();

    const resources: Recorded[] = seen.map((s) => {
        const parent = s.opts.parent ? names.get(s.opts.parent) : undefined;
        const dependsOn = ([] as pulumi.Input<pulumi.Resource>[]).concat((s.opts.dependsOn as pulumi.Input<pulumi.Resource>[] | undefined) ?? []);
        const inputs = mockInputs.get(`${s.type}::${s.name}`) ?? {};
        return {
            type: s.type,
            name: s.name,
            inputs: unwrapSecrets(inputs) as Inputs,
            outputs: unwrapSecrets(mockOutputs.get(`${s.type}::${s.name}`) ?? {}) as Inputs,
            parent: parent?.name,
            parentType: parent?.type,
            parentUrn: s.opts.parent ? urns.get(s.opts.parent) : undefined,
            // Known only once the constructor has finished (CustomResource marks itself last).
            custom: pulumi.CustomResource.isInstance(s.resource),
            retainOnDelete: (s.opts as pulumi.CustomResourceOptions).retainOnDelete === true,
            protect: s.opts.protect === true,
            dependsOn: dependsOn.map((d) => (pulumi.Resource.isInstance(d) ? names.get(d)?.name ?? "?" : "?")),
            ignoreChanges: s.opts.ignoreChanges ?? [],
            secretInputs: secretPaths(inputs, ""),
            urn: urns.get(s.resource) ?? "?",
            // Only full URNs are recorded: the program gives aliases no other way.
            aliases: (s.opts.aliases ?? []).filter((a): a is string => typeof a === "string"),
        };
    });
    return {
        stack: options.stack,
        outputDependencies,
        error: failure,
        resources,
        outputs,
        ofType: (type) => resources.filter((r) => r.type === type),
        named: (name) => {
            const found = resources.find((r) => r.name === name);
            if (!found) throw new Error(`No resource named ${name}; have ${resources.map((r) => r.name).join(", ")}`);
            return found;
        },
    };
}

/** The mock engine passes secret inputs wrapped in Pulumi's secret signature; callers read the value. */
const secretSignature = { key: "4dabf18193072939515e22adb298388d", value: "1b47061264138c4ac30d75fd1eb44270" };
function unwrapSecrets(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (value !== null && typeof value === "object") {
        const obj = value as Record<string, unknown>;
        if (obj[secretSignature.key] === secretSignature.value) return unwrapSecrets(obj.value);
        return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}

/** Dotted paths of the inputs the engine received as secrets. */
function secretPaths(value: unknown, at: string): string[] {
    if (Array.isArray(value)) return value.flatMap((v, i) => secretPaths(v, `${at}${at ? "." : ""}${i}`));
    if (value === null || typeof value !== "object") return [];
    const obj = value as Record<string, unknown>;
    if (obj[secretSignature.key] === secretSignature.value) return [at];
    return Object.entries(obj).flatMap(([k, v]) => secretPaths(v, `${at}${at ? "." : ""}${k}`)).sort();
}

/** The parameters a run wrote (releases, ledger, pointer), as the next run's AWS account holds them. */
export function ssmAfter(run: Evaluation, before: Record<string, string> = {}): Record<string, string> {
    const after = { ...before };
    for (const p of run.ofType("aws:ssm/parameter:Parameter")) after[p.inputs.name] = String(p.inputs.insecureValue ?? p.inputs.value);
    return after;
}
