import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import { readFileSync } from "fs";
import * as yaml from "js-yaml";
import * as path from "path";

/**
 * Runs the real program (index.ts) under Pulumi's mocks with a real Pulumi.<stack>.yaml and
 * records what AWS would receive: every registered resource with its resolved inputs, its
 * parent and the options that matter (retainOnDelete, protect, dependsOn).
 */

export const projectRoot = path.resolve(__dirname, "..");
export const project = "twelve-factor";
export const accountId = "123456789012";
export const region = "eu-west-1";

/** Provider inputs are untyped JSON; tests index into them freely. */
export type Inputs = Record<string, any>;

export interface Recorded {
    type: string;
    name: string;
    inputs: Inputs;
    /** What the (mock) provider returned: inputs plus computed values such as `arn`. */
    outputs: Inputs;
    /** Logical name of the parent resource (undefined for the stack's direct children). */
    parent?: string;
    parentType?: string;
    custom: boolean;
    retainOnDelete: boolean;
    protect: boolean;
    dependsOn: string[];
    /** Dotted paths of inputs Pulumi holds as secrets (encrypted in state, masked in previews). */
    secretInputs: string[];
}

export interface RunOptions {
    stack: string;
    /** Config overrides by key (`app`, `database`, `aws:region`); `undefined` removes a key. */
    config?: Record<string, unknown>;
    /** Values for `secrets`; default: a fake value for each name in secretKeys. */
    secrets?: Record<string, string>;
    /** SSM parameters that already exist in the account (ledger entries, running pointer). */
    ssm?: Record<string, string>;
    /** Outputs of other stacks, for StackReference (promotion). */
    stackOutputs?: Record<string, Record<string, unknown>>;
    /** Existing subnets by id, for an adopted network. */
    subnets?: Record<string, { vpcId: string; availabilityZone: string }>;
    /** Existing RDS instances by identifier, for the `existing` database kind. */
    rdsInstances?: Record<string, { engine: string; engineVersion: string; address: string; port: number }>;
    /** Hand secrets to the program as plain config, as if set without --secret. */
    plaintextConfig?: boolean;
    /** Preview mode: computed outputs (ARNs, digests, endpoints) are unknown. */
    preview?: boolean;
}

export interface RunResult {
    /** What the program threw, if it failed (see runStackFailure). */
    error?: Error;
    resources: Recorded[];
    outputs: Record<string, unknown>;
    ofType(type: string): Recorded[];
    named(name: string): Recorded;
}

/** Pulumi.yaml defaults + Pulumi.<stack>.yaml, as the engine hands them to the program. */
export function readStackConfig(stack: string): { config: Record<string, unknown>; secretKeys: string[] } {
    const projectFile = yaml.load(readFileSync(path.join(projectRoot, "Pulumi.yaml"), "utf8")) as { config?: Record<string, { default?: unknown }> };
    const stackFile = yaml.load(readFileSync(path.join(projectRoot, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Record<string, unknown> };
    const config: Record<string, unknown> = {};
    const secretKeys: string[] = [];
    for (const [key, decl] of Object.entries(projectFile.config ?? {})) {
        const full = `${project}:${key}`;
        if (decl.default !== undefined) config[full] = decl.default;
        // The engine refuses to run a stack that lacks a declared key without a default.
        else if (!(full in (stackFile.config ?? {}))) throw new Error(`Stack '${stack}' is missing configuration value '${key}' (declared in Pulumi.yaml without a default)`);
    }
    for (const [key, value] of Object.entries(stackFile.config ?? {})) {
        const { value: plain, secret } = replaceSecure(value, key);
        config[key] = plain;
        if (secret) secretKeys.push(key);
    }
    return { config, secretKeys };
}

/** `secure:` leaves become fake plain values; the key is then a secret, as Pulumi marks it. */
function replaceSecure(value: unknown, pathSoFar: string): { value: unknown; secret: boolean } {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        const obj = value as Record<string, unknown>;
        if (Object.keys(obj).length === 1 && typeof obj.secure === "string") return { value: `fake-secret-${pathSoFar}`, secret: true };
        let secret = false;
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(obj)) {
            const r = replaceSecure(v, `${pathSoFar}.${k}`);
            out[k] = r.value;
            secret ||= r.secret;
        }
        return { value: out, secret };
    }
    return { value, secret: false };
}

export function fakeSecret(key: string): string {
    return `fake-${key.toLowerCase()}-${createHash("sha256").update(key).digest("hex").slice(0, 24)}`;
}

function digestOf(text: string): string {
    return createHash("sha256").update(text).digest("hex");
}

/** Realistic provider outputs for the resources this program declares. */
function outputsFor(type: string, name: string, inputs: Inputs, preview: boolean): Inputs {
    const arnBase = `arn:aws:${type.split(":")[1].split("/")[0]}:${region}:${accountId}`;
    const computed: Inputs = { arn: `${arnBase}:${name}`, id: `${name}-id` };
    switch (type) {
        case "aws:ecr/repository:Repository":
            Object.assign(computed, { arn: `arn:aws:ecr:${region}:${accountId}:repository/${name}`, name, registryId: accountId, repositoryUrl: `${accountId}.dkr.ecr.${region}.amazonaws.com/${name}` });
            break;
        case "docker:index/image:Image": {
            const repo = String(inputs.imageName).replace(/:[^:/]+$/, "");
            computed.repoDigest = `${repo}@sha256:${digestOf(String(inputs.imageName))}`;
            break;
        }
        case "aws:ecs/taskDefinition:TaskDefinition":
        {
            // A revision number that follows the content, so equal task definitions get equal ARNs.
            const revision = parseInt(digestOf(String(inputs.containerDefinitions)).slice(0, 4), 16);
            Object.assign(computed, { arn: `arn:aws:ecs:${region}:${accountId}:task-definition/${inputs.family}:${revision}`, revision });
        }
            break;
        case "aws:iam/role:Role":
            Object.assign(computed, { arn: `arn:aws:iam::${accountId}:role/${name}`, name });
            break;
        case "aws:cloudwatch/logGroup:LogGroup":
            computed.arn = `arn:aws:logs:${region}:${accountId}:log-group:${inputs.name}`;
            break;
        case "aws:lb/loadBalancer:LoadBalancer":
            Object.assign(computed, { arn: `arn:aws:elasticloadbalancing:${region}:${accountId}:loadbalancer/app/${name}/0123456789abcdef`, dnsName: `${name}-1234567890.${region}.elb.amazonaws.com` });
            break;
        case "aws:lb/targetGroup:TargetGroup":
            computed.arn = `arn:aws:elasticloadbalancing:${region}:${accountId}:targetgroup/${name}/0123456789abcdef`;
            break;
        case "aws:rds/instance:Instance":
            Object.assign(computed, { address: `${inputs.identifier}.c0ffee123456.${region}.rds.amazonaws.com`, port: 5432 });
            break;
        case "aws:rds/subnetGroup:SubnetGroup":
            computed.name = `${name}-abc1234`;
            break;
        case "random:index/randomPassword:RandomPassword":
            computed.result = `Pw${digestOf(name).slice(0, 38)}`;
            break;
        case "aws:ssm/parameter:Parameter":
            computed.arn = `arn:aws:ssm:${region}:${accountId}:parameter${inputs.name}`;
            break;
        case "aws:ecs/cluster:Cluster":
            Object.assign(computed, { arn: `arn:aws:ecs:${region}:${accountId}:cluster/${name}`, name });
            break;
    }
    // In a preview, what the provider computes is unknown; inputs are known.
    return preview ? { ...inputs } : { ...inputs, ...computed };
}

/** The AWS data sources the program reads, answered from the test's simulated account. */
function invokeResult(token: string, args: Inputs, options: RunOptions): Inputs {
    switch (token) {
        case "aws:ssm/getParametersByPath:getParametersByPath": {
            const prefix = `${String(args.path).replace(/\/$/, "")}/`;
            const names = Object.keys(options.ssm ?? {}).filter((n) => n.startsWith(prefix) && (args.recursive || !n.slice(prefix.length).includes("/"))).sort();
            return { id: args.path, path: args.path, names, values: names.map((n) => options.ssm![n]), types: names.map(() => "String"), arns: names.map((n) => `arn:aws:ssm:${region}:${accountId}:parameter${n}`) };
        }
        case "aws:index/getAvailabilityZones:getAvailabilityZones":
            return { id: region, names: [`${region}c`, `${region}a`, `${region}b`], zoneIds: ["euw1-az3", "euw1-az1", "euw1-az2"], groupNames: [region] };
        case "aws:index/getCallerIdentity:getCallerIdentity":
            return { id: accountId, accountId, arn: `arn:aws:iam::${accountId}:user/deployer`, userId: "AIDEXAMPLE" };
        case "aws:index/getPartition:getPartition":
            return { id: "aws", partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
        case "aws:ecr/getAuthorizationToken:getAuthorizationToken":
            return { id: accountId, userName: "AWS", password: "ecr-token", authorizationToken: "QVdTOmVjci10b2tlbg==", proxyEndpoint: `https://${accountId}.dkr.ecr.${region}.amazonaws.com` };
        case "aws:ec2/getSubnet:getSubnet": {
            const found = options.subnets?.[String(args.id)];
            if (!found) throw new Error(`InvalidSubnetID.NotFound: ${args.id}`);
            return { id: args.id, ...found };
        }
        case "aws:rds/getInstance:getInstance": {
            const found = options.rdsInstances?.[String(args.dbInstanceIdentifier)];
            if (!found) throw new Error(`DBInstanceNotFound: ${args.dbInstanceIdentifier}`);
            return { id: args.dbInstanceIdentifier, ...found };
        }
    }
    throw new Error(`The test account does not answer ${token}`);
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

/** Evaluates a stack once and fails the test if the program throws. */
export async function runStack(options: RunOptions): Promise<RunResult> {
    const run = await evaluate(options);
    if (run.error) throw run.error;
    return run;
}

/** Evaluates a stack that must fail; returns the error and what was registered before it. */
export async function runStackFailure(options: RunOptions): Promise<{ error: Error; resources: Recorded[] }> {
    const run = await evaluate(options);
    if (!run.error) throw new Error("Expected the program to fail, but it succeeded");
    // The stack itself and stack references are reads, not declarations.
    return { error: run.error, resources: run.resources.filter((r) => !r.type.startsWith("pulumi:pulumi:")) };
}

/** Each test file runs in its own process (forks pool); runs in one file are sequential. */
async function evaluate(options: RunOptions): Promise<RunResult> {
    const { config, secretKeys } = readStackConfig(options.stack);
    for (const [key, value] of Object.entries(options.config ?? {})) {
        const full = key.includes(":") ? key : `${project}:${key}`;
        if (value === undefined) delete config[full];
        else config[full] = value;
        // `pulumi config set --secret --path database.external.url …` marks the whole key secret.
        if (full === `${project}:database` && options.plaintextConfig !== true && /"(password|url)"/.test(JSON.stringify(value))) secretKeys.push(full);
    }
    const declared = config[`${project}:secretKeys`];
    const secrets = options.secrets ?? Object.fromEntries((Array.isArray(declared) ? declared : []).map((k: string) => [k, fakeSecret(k)]));
    if (Object.keys(secrets).length > 0) {
        config[`${project}:secrets`] = secrets;
        if (options.plaintextConfig !== true) secretKeys.push(`${project}:secrets`);
    }
    const serialized = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));

    const mockInputs = new Map<string, Inputs>();
    const mockOutputs = new Map<string, Inputs>();
    const pending: Promise<unknown>[] = [];
    await pulumi.runtime.setMocks({
        newResource(args) {
            mockInputs.set(`${args.type}::${args.name}`, args.inputs);
            if (args.type === "pulumi:pulumi:StackReference") {
                const stackName = String(args.inputs.name).split("/").pop()!;
                const outputs = options.stackOutputs?.[stackName];
                if (outputs === undefined) throw new Error(`Stack ${args.inputs.name} does not exist`);
                return { id: String(args.inputs.name), state: { name: args.inputs.name, outputs, secretOutputNames: [] } };
            }
            const state = outputsFor(args.type, args.name, args.inputs, options.preview ?? false);
            mockOutputs.set(`${args.type}::${args.name}`, state);
            return { id: `${args.name}-id`, state };
        },
        call(args) {
            return invokeResult(args.token, args.inputs, options);
        },
    }, project, options.stack, options.preview ?? false, "organization");
    pulumi.runtime.setAllConfig(serialized, secretKeys);

    const seen: { type: string; name: string; opts: pulumi.ResourceOptions; resource: pulumi.Resource }[] = [];
    const names = new Map<pulumi.Resource, { type: string; name: string }>();
    // index.ts uses `export =`; vitest's import hands it over as the module's default.
    type Program = () => Promise<Record<string, unknown>>;
    const imported = (await import("../index")) as unknown as Program | { default: Program };
    const main = typeof imported === "function" ? imported : imported.default;

    let failure: Error | undefined;
    let rawOutputs: Record<string, unknown> = {};
    await pulumi.runtime.runInPulumiStack(async () => {
        pulumi.runtime.registerStackTransformation((args) => {
            seen.push({ type: args.type, name: args.name, opts: args.opts, resource: args.resource });
            names.set(args.resource, { type: args.type, name: args.name });
            // The URN exists once the constructor that runs this transformation has returned.
            pending.push(Promise.resolve().then(() => new Promise((r) => args.resource.urn.apply(r))));
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
    // Wait until every declared resource has been registered with the (mock) engine.
    while (pending.length > 0) await Promise.all(pending.splice(0));

    const resources: Recorded[] = await Promise.all(seen.map(async (s) => {
        const parent = s.opts.parent ? names.get(s.opts.parent) : undefined;
        const dependsOn = ([] as pulumi.Input<pulumi.Resource>[]).concat((s.opts.dependsOn as pulumi.Input<pulumi.Resource>[] | undefined) ?? []);
        return {
            type: s.type,
            name: s.name,
            inputs: unwrapSecrets(mockInputs.get(`${s.type}::${s.name}`) ?? {}) as Inputs,
            outputs: unwrapSecrets(mockOutputs.get(`${s.type}::${s.name}`) ?? {}) as Inputs,
            parent: parent?.name,
            parentType: parent?.type,
            // Known only once the constructor has finished (CustomResource marks itself last).
            custom: pulumi.CustomResource.isInstance(s.resource),
            retainOnDelete: (s.opts as pulumi.CustomResourceOptions).retainOnDelete === true,
            protect: s.opts.protect === true,
            dependsOn: dependsOn.map((d) => (pulumi.Resource.isInstance(d) ? names.get(d)?.name ?? "?" : "?")),
            secretInputs: secretPaths(mockInputs.get(`${s.type}::${s.name}`) ?? {}, ""),
        };
    }));
    return {
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

/** The mock engine passes secret inputs wrapped in Pulumi's secret signature; tests read the value. */
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
export function ssmAfter(run: RunResult, before: Record<string, string> = {}): Record<string, string> {
    const after = { ...before };
    for (const p of run.ofType("aws:ssm/parameter:Parameter")) after[p.inputs.name] = String(p.inputs.insecureValue ?? p.inputs.value);
    return after;
}
