import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsAccount } from "../lib/account";
import type { ContainerSecret } from "../lib/container-definitions";
import type { ProcessDefinition } from "../lib/process";
import { ledgerEntryName, parameterName, serialiseEntry, type LedgerEntry } from "./ledger";
import type { KeyChanges, PlannedHead, ReleasePlan } from "./plan";

/** One config key of the newest release, with its value (an Output when known only after deploying). */
export interface ReleaseValue {
    key: string;
    value: pulumi.Input<string>;
    secret: boolean;
}

export interface ReleaseArgs {
    /** SSM path of this stack, `/<app>/<stack>`. */
    parameterPath: string;
    /** The stack's region, where its parameters live. */
    region: string;
    /** The account and partition of the parameters' ARNs. */
    account: AwsAccount;
    /** The plan computed before declaring anything. */
    plan: ReleasePlan;
    /** The newest release's values; not needed while pinned. */
    values: ReleaseValue[];
    /** The newest release's image, pinned by digest; not needed while pinned. */
    image?: pulumi.Input<string>;
    tags: Record<string, string>;
}

/**
 * The release stage: build + config = an immutable release with its own SSM parameter set
 * (`<path>/releases/<id>/<KEY>`) and a ledger entry (`<path>/ledger/<id>`). Both are kept in
 * AWS when they leave the stack, so the ledger is append-only and any entry can run again.
 * Declares the newest release (unchanged inputs when it exists already); nothing while pinned.
 */
export class Release extends pulumi.ComponentResource {
    /** Id of the release the services run (`v42`): the newest, or the pinned one. */
    public readonly runningId: string;
    /** Id of the newest release in the ledger after this run. */
    public readonly newestId: string;
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
    /** The running release's migration head, when recorded. */
    public readonly migrationHead: string | undefined;
    /** Image of the running release, pinned by digest. */
    public readonly image: pulumi.Output<string>;
    /** The running release's parameters, sorted by key, in ECS `secrets` form. */
    public readonly secrets: pulumi.Output<ContainerSecret[]>;
    /** ARN pattern of every release parameter of this stack (`…:parameter/<app>/<stack>/releases/*`). */
    public readonly parametersArn: pulumi.Output<string>;

    constructor(name: string, args: ReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("twelve-factor:release:Release", name, {}, opts);
        const parent = this;
        const { plan } = args;
        this.runningId = plan.runningId;
        this.newestId = plan.newestId;
        this.previousId = plan.previousId;
        this.digest = plan.digest;
        this.changes = plan.changes;
        this.changedProcesses = plan.changedProcesses;
        this.processes = plan.processes;
        this.migrationHead = plan.migrationHead;

        const arnPrefix = pulumi.interpolate`arn:${args.account.partition}:ssm:${args.region}:${args.account.id}:parameter`;
        this.parametersArn = pulumi.interpolate`${arnPrefix}${args.parameterPath}/releases/*`;

        const running = plan.pinned ? referencePinned(plan.pinned) : declareNewest(plan.head!);
        this.image = running.image;
        this.secrets = running.secrets;
        this.registerOutputs({ image: this.image, secrets: this.secrets });

        /** A pinned release's parameters exist already (checked before declaring): by name. */
        function referencePinned(pinned: LedgerEntry) {
            const secrets = arnPrefix.apply((prefix) => Object.keys(pinned.keys).sort().map((key) => ({ name: key, valueFrom: `${prefix}${parameterName(args.parameterPath, pinned.id, key)}` })));
            return { image: pulumi.output(pinned.image), secrets };
        }

        /**
         * The newest release's parameters and ledger entry. A re-declared one keeps exactly what
         * its ledger entry recorded (its image included), so vN is never rewritten; the task
         * definitions take its ARNs from the parameter resources, so they wait until every
         * parameter exists.
         */
        function declareNewest(head: PlannedHead) {
            const id = head.entry.id;
            const tags = { ...args.tags, release: id };
            const values = [...args.values].sort((a, b) => (a.key < b.key ? -1 : 1));
            const parameters = values.map((v) => new aws.ssm.Parameter(`${name}-${id}-${v.key}`, {
                name: parameterName(args.parameterPath, id, v.key),
                type: v.secret ? "SecureString" : "String",
                ...(v.secret ? { value: pulumi.secret(v.value) } : { insecureValue: v.value }),
                tier: "Standard",
                // Only a re-declared newest release (same digest, so the same values) meets an
                // existing name: after it left the state (a pin) it is taken back, not refused.
                overwrite: true,
                tags,
            }, { parent, retainOnDelete: true }));
            const image = head.isNew ? pulumi.output(args.image!) : pulumi.output(head.entry.image!);
            new aws.ssm.Parameter(`${name}-${id}-ledger`, {
                name: ledgerEntryName(args.parameterPath, id),
                type: "String",
                insecureValue: image.apply((ref) => serialiseEntry({ ...head.entry, image: ref })),
                // Above 4 KB (many keys) SSM needs the advanced tier; below it this stays standard.
                tier: "Intelligent-Tiering",
                overwrite: true,
                tags,
                description: `Release ${id} of ${args.parameterPath}: image, keys and value hashes (no values)`,
            }, { parent, retainOnDelete: true, dependsOn: parameters });
            const secrets = pulumi.all(parameters.map((p) => p.arn)).apply((arns) => values.map((v, i) => ({ name: v.key, valueFrom: arns[i] })));
            return { image, secrets };
        }
    }
}
