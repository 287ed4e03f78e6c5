import { createHash } from "crypto";
import { accountId, outputsFor, region, type AccountState, type Inputs } from "./account";
import { checkParameter, DeployError, physicalName, ssmLimits, ssmType } from "./aws-rules";

/**
 * An AWS account and a Pulumi backend that outlive one evaluation, for sequence tests: each
 * `deploy` applies what an evaluation declared the way the engine would (create, update, delete,
 * retainOnDelete, protect) and enforces the AWS rules that bite on a second or a failed deploy:
 * immutable ECR tags, names that must be unique (SSM parameters without overwrite, RDS
 * identifiers, final snapshots, log groups), SSM's value and quota limits, and subnets that
 * cannot be deleted while something kept still sits in them.
 */

/** One declared resource, as an evaluation recorded it (a subset of the harness's Recorded). */
export interface Declared {
    type: string;
    name: string;
    inputs: Inputs;
    outputs: Inputs;
    custom: boolean;
    retainOnDelete: boolean;
    protect: boolean;
}

/** What a deploy needs of an evaluation. */
export interface Deployable {
    stack: string;
    resources: Declared[];
    outputs: Record<string, unknown>;
    /** Per stack output, the logical names of the resources it depends on. */
    outputDependencies: Record<string, string[]>;
}

interface StateEntry {
    type: string;
    name: string;
    inputs: Inputs;
    outputs: Inputs;
    retainOnDelete: boolean;
    protect: boolean;
}

interface AwsObject {
    type: string;
    inputs: Inputs;
    outputs: Inputs;
}

const imageType = "docker:index/image:Image";

const key = (type: string, name: string) => `${type}::${name}`;
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const digestOf = (text: string) => createHash("sha256").update(text).digest("hex");

export class SimulatedAccount {
    /** What exists in AWS, by type and physical name. */
    private readonly objects = new Map<string, AwsObject>();
    /** Pulumi state per stack: logical resources and the last saved outputs. */
    private readonly stacks = new Map<string, { state: Map<string, StateEntry>; outputs: Record<string, unknown> }>();
    /** ECR: repository path → tag → digest. */
    private readonly registry = new Map<string, Map<string, string>>();
    /** RDS final snapshots by name. */
    readonly snapshots = new Set<string>();
    /** How often each logical resource was created, so a re-created one gets a new physical name. */
    private readonly generations = new Map<string, number>();
    private builds = 0;
    /** Writes that changed the value of an existing release parameter or ledger entry (must stay empty). */
    readonly rewrites: string[] = [];
    /** Every AWS write, in order: `create|update|delete|retain <type> <physical name>`. */
    readonly log: string[] = [];

    /** The account as the program's data sources read it. */
    view(): AccountState {
        const ssm: Record<string, string> = {};
        const rdsInstances: NonNullable<AccountState["rdsInstances"]> = {};
        for (const o of this.objects.values()) {
            if (o.type === ssmType) ssm[o.inputs.name] = String(o.inputs.insecureValue ?? o.inputs.value);
            if (o.type === "aws:rds/instance:Instance") {
                rdsInstances[o.inputs.identifier] = { engine: o.inputs.engine, engineVersion: String(o.inputs.engineVersion).includes(".") ? String(o.inputs.engineVersion) : `${o.inputs.engineVersion}.7`, address: o.outputs.address, port: 5432 };
            }
        }
        const ecrImages = Object.fromEntries([...this.registry].map(([url, tags]) => [url, Object.fromEntries(tags)]));
        return { ssm, rdsInstances, ecrImages };
    }

    /** The outputs the backend holds for a stack (what `pulumi stack output` and StackReference read). */
    outputsOf(stack: string): Record<string, unknown> {
        return this.stack(stack).outputs;
    }

    /** What the engine hands back to the program for a resource: its state when unchanged, fresh values otherwise. */
    outputsFor(stack: string, type: string, name: string, inputs: Inputs, preview: boolean): Inputs {
        const prev = this.stack(stack).state.get(key(type, name));
        if (prev && same(prev.inputs, inputs)) return prev.outputs;
        const generation = prev ? 0 : this.generations.get(key(type, name)) ?? 0;
        const physical = generation === 0 ? name : `${name}-g${generation}`;
        const fresh = outputsFor(type, physical, inputs, preview);
        if (preview) return fresh;
        // An update keeps the resource's identity; a create after a delete gets a new one.
        if (prev) Object.assign(fresh, pick(prev.outputs, ["id", "arn", "name", "repositoryUrl", "registryId", "dnsName"]));
        if (type === imageType) {
            // No two builds are byte-identical: each push of a rebuild is a new digest.
            const repo = String(inputs.imageName).replace(/:[^:/]+$/, "");
            fresh.repoDigest = `${repo}@sha256:${digestOf(`${inputs.imageName}#${this.builds + 1}`)}`;
        }
        return fresh;
    }

    /** Applies an evaluation as `pulumi up` would; `fail` names resources whose step fails (e.g. a circuit-breaker rollback). */
    deploy(run: Deployable, options: { fail?: (r: Declared) => string | undefined } = {}): void {
        const stack = this.stack(run.stack);
        const declared = run.resources.filter((r) => r.custom);
        const applied = new Set<string>();
        try {
            for (const r of declared) {
                const k = key(r.type, r.name);
                const prev = stack.state.get(k);
                if (prev && same(prev.inputs, r.inputs)) {
                    stack.state.set(k, { ...prev, retainOnDelete: r.retainOnDelete, protect: r.protect });
                    applied.add(r.name);
                    continue;
                }
                const failure = options.fail?.(r);
                if (failure !== undefined) throw new DeployError(`${r.type} ${r.name}: ${failure}`);
                if (prev && this.replaces(prev, r)) {
                    this.remove(prev);
                    this.create(r);
                } else if (prev) this.update(prev, r);
                else this.create(r);
                stack.state.set(k, { type: r.type, name: r.name, inputs: r.inputs, outputs: r.outputs, retainOnDelete: r.retainOnDelete, protect: r.protect });
                applied.add(r.name);
            }
            const names = new Set(declared.map((r) => key(r.type, r.name)));
            const gone = [...stack.state.entries()].filter(([k]) => !names.has(k)).reverse();
            for (const [k, entry] of gone) {
                if (entry.protect) throw new DeployError(`unable to delete resource ${entry.name}: it is protected; unprotect it first`);
                this.remove(entry);
                stack.state.delete(k);
            }
            stack.outputs = { ...run.outputs };
        } catch (e) {
            // Pulumi saves the outputs that resolved: those whose resources were all written.
            for (const [name, value] of Object.entries(run.outputs)) {
                if ((run.outputDependencies[name] ?? []).every((d) => applied.has(d))) stack.outputs[name] = value;
            }
            throw e;
        }
    }

    /**
     * `pulumi destroy`: runs no program code, so only resource options decide. Its preview
     * refuses a protected resource before anything is deleted; with `--skip-preview` (as the
     * Automation API and CI actions run it) the engine deletes dependents first and stops at it.
     */
    destroy(stackName: string, options: { skipPreview?: boolean } = {}): void {
        const stack = this.stack(stackName);
        const protectedOnes = [...stack.state.values()].filter((e) => e.protect).map((e) => e.name);
        if (protectedOnes.length > 0 && !options.skipPreview) throw new DeployError(`refusing to destroy: ${protectedOnes.join(", ")} protected`);
        for (const entry of [...stack.state.values()].reverse()) {
            if (entry.protect) throw new DeployError(`unable to delete resource ${entry.name}: it is protected`);
            this.remove(entry);
            stack.state.delete(key(entry.type, entry.name));
        }
        stack.outputs = {};
    }

    /** Lost state (`pulumi state delete`, an interrupted create): AWS keeps the resources. */
    forgetState(stackName: string, names: string[]): void {
        const state = this.stack(stackName).state;
        for (const [k, e] of state) if (names.includes(e.name)) state.delete(k);
    }

    /** Deletes parameters below a path by hand (or by a prune), outside any stack. */
    deleteParameters(prefix: string): string[] {
        const gone = [...this.objects.entries()].filter(([, o]) => o.type === ssmType && String(o.inputs.name).startsWith(prefix));
        for (const [k] of gone) this.objects.delete(k);
        return gone.map(([, o]) => String(o.inputs.name));
    }

    /** An RDS instance that exists outside any stack's state (kept by an earlier destroy or taken out of a stack). */
    addInstance(identifier: string, engineVersion: string): void {
        const inputs = { identifier, engine: "postgres", engineVersion };
        this.objects.set(key("aws:rds/instance:Instance", identifier), { type: "aws:rds/instance:Instance", inputs, outputs: { address: `${identifier}.c0ffee123456.${region}.rds.amazonaws.com`, port: 5432 } });
    }

    /** Resources the stack's state holds, by logical name. */
    stateOf(stackName: string): string[] {
        return [...this.stack(stackName).state.values()].map((e) => e.name);
    }

    /** Tags in an ECR repository (by repository URL). */
    tagsIn(repositoryUrl: string): Record<string, string> {
        return Object.fromEntries(this.registry.get(repositoryUrl) ?? []);
    }

    private stack(name: string) {
        let s = this.stacks.get(name);
        if (s === undefined) this.stacks.set(name, (s = { state: new Map(), outputs: {} }));
        return s;
    }

    private replaces(prev: StateEntry, next: Declared): boolean {
        const forceNew: Record<string, string[]> = {
            [ssmType]: ["name"],
            "aws:rds/instance:Instance": ["identifier", "dbName", "username", "storageEncrypted"],
            "random:index/randomPassword:RandomPassword": ["keepers", "length", "special"],
            "aws:ecs/taskDefinition:TaskDefinition": ["containerDefinitions", "cpu", "memory", "family"],
        };
        return (forceNew[prev.type] ?? []).some((p) => !same(prev.inputs[p], next.inputs[p]));
    }

    private create(r: Declared): void {
        const physical = physicalName(r.type, r.inputs, r.outputs);
        const existing = this.objects.get(key(r.type, physical));
        if (r.type === ssmType) {
            checkParameter(r.inputs);
            if (existing && r.inputs.overwrite !== true) throw new DeployError(`ParameterAlreadyExists: The parameter ${physical} already exists. To overwrite this value, set the overwrite option in the request to true.`);
            if (existing) this.noteRewrite(existing, r.inputs);
            if (!existing && [...this.objects.values()].filter((o) => o.type === ssmType && o.inputs.tier !== "Advanced").length >= ssmLimits.standardParameters) {
                throw new DeployError(`ParameterLimitExceeded: ${ssmLimits.standardParameters} standard parameters per account and region`);
            }
        } else if (r.type === imageType) {
            this.push(r.inputs.imageName);
        } else if (existing) {
            throw new DeployError(`${r.type} ${physical} already exists (AlreadyExists)`);
        }
        if (r.type !== imageType) this.objects.set(key(r.type, physical), { type: r.type, inputs: r.inputs, outputs: r.outputs });
        this.generations.set(key(r.type, r.name), (this.generations.get(key(r.type, r.name)) ?? 0) + 1);
        if (r.type === "aws:ecr/repository:Repository") this.registry.set(r.outputs.repositoryUrl, new Map());
        this.log.push(`create ${r.type} ${physical}`);
    }

    private update(prev: StateEntry, r: Declared): void {
        const physical = physicalName(prev.type, prev.inputs, prev.outputs);
        if (r.type === ssmType) {
            checkParameter(r.inputs);
            const existing = this.objects.get(key(r.type, physical));
            if (existing) this.noteRewrite(existing, r.inputs);
        }
        if (r.type === imageType) this.push(r.inputs.imageName);
        if (r.type === "aws:rds/instance:Instance") {
            const [was, now] = [Number(prev.inputs.engineVersion), Number(r.inputs.engineVersion)];
            if (now < was) throw new DeployError(`InvalidParameterCombination: cannot upgrade postgres from ${was} to ${now}`);
            if (now > was && r.inputs.allowMajorVersionUpgrade !== true) throw new DeployError("InvalidParameterCombination: the AllowMajorVersionUpgrade flag must be present when upgrading to a new major version");
        }
        if (r.type !== imageType) this.objects.set(key(r.type, physical), { type: r.type, inputs: r.inputs, outputs: r.outputs });
        this.log.push(`update ${r.type} ${physical}`);
    }

    private remove(entry: StateEntry): void {
        const physical = physicalName(entry.type, entry.inputs, entry.outputs);
        if (entry.retainOnDelete) {
            this.log.push(`retain ${entry.type} ${physical}`);
            return;
        }
        // The Docker provider's delete is a no-op: the pushed tag stays in the registry.
        if (entry.type === imageType) return;
        if (entry.type === "aws:rds/instance:Instance") {
            if (entry.inputs.deletionProtection === true) throw new DeployError(`InvalidParameterCombination: cannot delete ${physical}: deletion protection is enabled`);
            if (entry.inputs.skipFinalSnapshot !== true) {
                const snapshot = entry.inputs.finalSnapshotIdentifier;
                if (!snapshot) throw new DeployError(`deleting RDS DB Instance ${physical}: final_snapshot_identifier is required when skip_final_snapshot is false`);
                if (this.snapshots.has(snapshot)) throw new DeployError(`DBSnapshotAlreadyExists: Cannot create the snapshot because a snapshot with the identifier ${snapshot} already exists.`);
                this.snapshots.add(snapshot);
            }
        }
        const id = entry.outputs.id;
        const holders = [...this.objects.entries()].filter(([k, o]) => k !== key(entry.type, physical) && typeof id === "string" && JSON.stringify(o.inputs).includes(`"${id}"`));
        if (["aws:ec2/subnet:Subnet", "aws:ec2/securityGroup:SecurityGroup", "aws:ec2/vpc:Vpc"].includes(entry.type) && holders.length > 0) {
            throw new DeployError(`DependencyViolation: ${entry.type} ${id} has dependencies and cannot be deleted (${holders.map(([k]) => k).join(", ")})`);
        }
        this.objects.delete(key(entry.type, physical));
        this.log.push(`delete ${entry.type} ${physical}`);
    }

    private push(imageName: string): void {
        const at = imageName.lastIndexOf(":");
        const [repo, tag] = [imageName.slice(0, at), imageName.slice(at + 1)];
        const tags = this.registry.get(repo);
        if (tags === undefined) throw new DeployError(`RepositoryNotFoundException: ${repo}`);
        // ECR refuses an existing tag in an IMMUTABLE repository, even for the same digest.
        if (tags.has(tag)) throw new DeployError(`tag invalid: The image tag '${tag}' already exists in the '${repo}' repository and cannot be overwritten because the repository is immutable.`);
        this.builds++;
        tags.set(tag, digestOf(`${imageName}#${this.builds}`));
    }

    private noteRewrite(existing: AwsObject, inputs: Inputs): void {
        const before = existing.inputs.insecureValue ?? existing.inputs.value;
        const after = inputs.insecureValue ?? inputs.value;
        if (/\/(releases|ledger)\//.test(inputs.name) && before !== after) this.rewrites.push(inputs.name);
    }
}

function pick(from: Inputs, keys: string[]): Inputs {
    return Object.fromEntries(keys.filter((k) => from[k] !== undefined).map((k) => [k, from[k]]));
}

export { accountId, DeployError, region, ssmLimits };
