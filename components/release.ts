import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { diffKeys, hashValue, KeyChanges, LedgerEntry, planRelease, releaseDigest, RunningPointer, stableStringify } from "./ledger";
import type { ProcessDefinition } from "./processes";

/** One config key of a release. */
export interface ReleaseValue {
    key: string;
    value: pulumi.Input<string>;
    secret: boolean;
    /**
     * What determines the value when it is not known before deploying (an owned database's
     * URL). Hashed instead of the value; omit it for values known now.
     */
    identity?: string;
}

/** What a new release is made of: the build and this stack's config. */
export interface ReleaseContent {
    /** Build identity known before deploying (`source:<context hash>` or `image:<ref>`). */
    build: string;
    /** True when this run's Build declares the image (it builds and pushes it). */
    built: boolean;
    /** Image reference pinned by digest. */
    image: pulumi.Input<string>;
    values: ReleaseValue[];
    /** How each process type runs (commands, ports, health checks): part of the release. */
    processes: Record<string, ProcessDefinition>;
}

export interface ReleaseArgs {
    /** SSM path of this stack, `/<app>/<stack>`. */
    parameterPath: string;
    /** `arn:<partition>:ssm:<region>:<account>:parameter`, to build valueFrom ARNs. */
    parameterArnPrefix: pulumi.Input<string>;
    /** The ledger as read from SSM before declaring anything. */
    ledger: LedgerEntry[];
    /** `/<app>/<stack>/running` as read before declaring anything. */
    pointer?: RunningPointer;
    /** `release.pin`: run this earlier release and declare nothing new. */
    pin?: string;
    /** Build + config of the newest release; not needed (and not read) while pinned. */
    content?: ReleaseContent;
    /** The id number a new release gets: the first with no parameters in AWS yet. */
    nextNumber: number;
    tags: Record<string, string>;
}

/** An ECS container secret: the variable name and the SSM parameter it is read from. */
export interface ContainerSecret {
    name: string;
    valueFrom: string;
}

/**
 * The release stage: build + config = an immutable release with its own SSM parameter set
 * (`<path>/releases/<id>/<KEY>`) and a ledger entry (`<path>/ledger/<id>`). Both are kept in
 * AWS when they leave the stack, so the ledger is append-only and any entry can run again.
 */
export class Release extends pulumi.ComponentResource {
    /** Id of the release the services run (`v42`): the newest, or the pinned one. */
    public readonly runningId: string;
    /** Id of the newest release in the ledger after this run. */
    public readonly headId: string;
    /** Id of the release that ran before the running one. */
    public readonly previousId: string | undefined;
    /** Content digest of the running release. */
    public readonly digest: string;
    /** Keys whose values differ between the previous and the running release. */
    public readonly changes: KeyChanges;
    /** Process types whose definitions (command, port, health checks) differ between them. */
    public readonly changedProcesses: string[];
    /** Process definitions of the running release. */
    public readonly processes: Record<string, ProcessDefinition>;
    /** Image of the running release, pinned by digest. */
    public readonly image: pulumi.Output<string>;
    /** The running release's parameters, sorted by key, in ECS `secrets` form. */
    public readonly secrets: pulumi.Output<ContainerSecret[]>;
    /** The pointer to store once the running release is up (its image is filled in by then). */
    public readonly pointer: { running: string; previous?: string };

    constructor(name: string, args: ReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("twelve-factor:release:Release", name, {}, opts);

        const content = args.content;
        const values = content === undefined ? [] : [...content.values].sort((a, b) => (a.key < b.key ? -1 : 1));
        const keys = Object.fromEntries(values.map((v) => [v.key, fingerprint(v, args.parameterPath)]));
        const digest = content === undefined ? undefined : releaseDigest(content.build, keys, content.processes);
        const plan = planRelease(args.ledger, args.pointer, { digest, pin: args.pin, nextNumber: args.nextNumber });
        this.runningId = plan.runningId;
        this.previousId = plan.previousId;
        this.pointer = { running: plan.runningId, previous: plan.previousId };

        let running: Omit<LedgerEntry, "image">;
        let declared: aws.ssm.Parameter[] = [];
        if (plan.head === undefined) {
            running = plan.pinned!;
            this.headId = args.ledger[args.ledger.length - 1].id;
            this.image = pulumi.output(plan.pinned!.image);
        } else {
            // A re-declared head keeps exactly what its ledger entry recorded (its image included),
            // so vN is never rewritten; a new head records what this run builds or promotes.
            const recorded = plan.head.existing;
            const head: HeadEntry = recorded ?? { id: plan.head.id, digest: digest!, keys, secretKeys: values.filter((v) => v.secret).map((v) => v.key), processes: content!.processes, build: content!.build, built: content!.built };
            const image = recorded ? pulumi.output(recorded.image) : pulumi.output(content!.image);
            declared = declareParameters(this, name, args, head.id, values);
            declareLedgerEntry(this, name, { ...args, image }, head, declared);
            running = head;
            this.headId = head.id;
            this.image = image;
        }
        this.digest = running.digest;
        this.processes = running.processes;

        const previous = args.ledger.find((e) => e.id === plan.previousId);
        this.changes = diffKeys(previous?.keys ?? {}, running.keys);
        const definitions = (entry: Pick<LedgerEntry, "processes"> | undefined) =>
            Object.fromEntries(Object.entries(entry?.processes ?? {}).map(([processName, p]) => [processName, stableStringify(p)]));
        const { added, changed, removed } = diffKeys(definitions(previous), definitions(running));
        this.changedProcesses = [...added, ...changed, ...removed].sort();
        // The newest release's ARNs come from its parameter resources, so task definitions
        // (and the services) wait until every parameter exists; a pinned release's exist already.
        this.secrets = plan.pinned
            ? pulumi.output(args.parameterArnPrefix).apply((prefix) =>
                Object.keys(plan.pinned!.keys).sort().map((key) => ({ name: key, valueFrom: `${prefix}${parameterName(args.parameterPath, plan.runningId, key)}` })))
            : pulumi.all(declared.map((p) => p.arn)).apply((arns) => values.map((v, i) => ({ name: v.key, valueFrom: arns[i] })));

        this.registerOutputs({ image: this.image, secrets: this.secrets });
    }
}
export function parameterName(parameterPath: string, releaseId: string, key: string): string {
    return `${parameterPath}/releases/${releaseId}/${key}`;
}

export function ledgerEntryName(parameterPath: string, releaseId: string): string {
    return `${parameterPath}/ledger/${releaseId}`;
}

function fingerprint(v: ReleaseValue, parameterPath: string): string {
    const known = v.identity ?? (typeof v.value === "string" ? v.value : undefined);
    if (known === undefined) throw new Error(`Release value ${v.key} is not known before deploying and has no identity to hash`);
    return hashValue(known, v.secret, `${parameterPath}/${v.key}`);
}

/** Options that keep a release's records in AWS after they leave the stack (append-only ledger). */
const keepInAws: pulumi.CustomResourceOptions = { retainOnDelete: true };

function declareParameters(parent: Release, name: string, args: ReleaseArgs, id: string, values: ReleaseValue[]): aws.ssm.Parameter[] {
    return values.map((v) => new aws.ssm.Parameter(`${name}-${id}-${v.key}`, {
        name: parameterName(args.parameterPath, id, v.key),
        type: v.secret ? "SecureString" : "String",
        ...(v.secret ? { value: pulumi.secret(v.value) } : { insecureValue: v.value }),
        tier: "Standard",
        // Only a re-declared head (same digest, so the same values) can meet an existing name:
        // after `pulumi destroy` the kept parameters are taken back instead of failing to create.
        overwrite: true,
        tags: { ...args.tags, release: id },
    }, { ...keepInAws, parent }));
}

/** The newest release's ledger entry; its image is filled in once the build has a digest. */
type HeadEntry = Omit<LedgerEntry, "image"> & { image?: string };

function declareLedgerEntry(parent: Release, name: string, args: ReleaseArgs & { image: pulumi.Output<string> }, head: HeadEntry, parameters: aws.ssm.Parameter[]): aws.ssm.Parameter {
    const manifest = args.image.apply((image) => stableStringify({ ...head, image }));
    return new aws.ssm.Parameter(`${name}-${head.id}-ledger`, {
        name: ledgerEntryName(args.parameterPath, head.id),
        type: "String",
        insecureValue: manifest,
        // Above 4 KB (many keys) SSM needs the advanced tier; below it this stays standard.
        tier: "Intelligent-Tiering",
        overwrite: true,
        tags: { ...args.tags, release: head.id },
        description: `Release ${head.id} of ${args.parameterPath}: image, keys and value hashes (no values)`,
    }, { ...keepInAws, parent, dependsOn: parameters });
}
