import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { databaseRecordName, portOf, postgresUrl, rdsTls, type DatabaseSettings, type OwnedInstanceRecord } from "../lib/database";
import type { Network } from "./network";

export interface DatabaseArgs {
    /** The selected kind's settings. */
    settings: DatabaseSettings;
    /** Database name inside an owned server. */
    dbName: string;
    /** Private subnets for an owned instance, and the tasks' security group it lets in. */
    network: Network;
    /** For kind `existing`: the instance as looked up before declaring anything. */
    existingInstance?: { address: string; port: number };
    /** SSM path of this stack, `/<app>/<stack>`: an owned instance is recorded below it. */
    parameterPath: string;
    tags: Record<string, string>;
}

/**
 * The backing database as an attached resource. Stack config alone chooses an RDS instance
 * the stack owns, an existing RDS instance, or a third-party URL; every kind yields the same
 * handle, a secret DATABASE_URL, so the app and the run stage never know which is in use.
 */
export class Database extends pulumi.ComponentResource {
    /** DATABASE_URL (secret). */
    public readonly url: pulumi.Output<string>;
    /** Which kind of backing service is attached. */
    public readonly kind: DatabaseSettings["kind"];
    /** Security-group rules the app tasks rely on to reach the database. */
    public readonly rules: pulumi.Resource[];
    /** The RDS instance, when the stack owns it (its alarms watch it). */
    public readonly instance?: aws.rds.Instance;

    constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("twelve-factor:database:Database", name, {}, opts);
        const parent = this;
        const { settings, network, tags } = args;
        const rules: pulumi.Resource[] = [];
        let ownedInstance: aws.rds.Instance | undefined;
        this.kind = settings.kind;
        this.url = settings.kind === "owned" ? createInstance(settings)
            : settings.kind === "existing" ? attachExisting(settings)
            : attachExternal(settings);
        this.rules = rules;
        this.instance = ownedInstance;
        this.registerOutputs({ url: this.url });

        function createInstance(owned: Extract<DatabaseSettings, { kind: "owned" }>): pulumi.Output<string> {
            const password = new random.RandomPassword(`${name}-password`, {
                length: 40,
                // RDS rejects / @ " and spaces; letters and digits need no escaping anywhere.
                special: false,
                // Rotation is a config change: bumping the version makes a new password (and a new
                // release). Version 1 sets no keeper, so stacks deployed before it existed keep theirs.
                keepers: owned.passwordVersion > 1 ? { version: String(owned.passwordVersion) } : undefined,
            }, { parent });
            // A final snapshot name unique per instance: the suffix changes whenever a setting that
            // replaces the instance does, so no destroy or replacement ever meets an existing snapshot.
            const snapshotSuffix = new random.RandomId(`${name}-snapshot-id`, {
                byteLength: 4,
                keepers: { identifier: name, username: owned.username, dbName: args.dbName },
            }, { parent });
            // Written before the instance and deleted after it: whenever the instance exists, so
            // does the record that tells the next deploy this stack holds it.
            const record = recordInstance({ identifier: name, protected: !owned.allowDelete });
            const sg = new aws.ec2.SecurityGroup(`${name}-sg`, {
                vpcId: network.vpcId,
                description: "Database: PostgreSQL from the app tasks of this stack only",
                tags,
            }, { parent });
            rules.push(new aws.vpc.SecurityGroupIngressRule(`${name}-from-tasks`, {
                securityGroupId: sg.id,
                referencedSecurityGroupId: network.tasksSecurityGroupId,
                ipProtocol: "tcp",
                fromPort: 5432,
                toPort: 5432,
                description: "App tasks",
            }, { parent }));
            const subnets = new aws.rds.SubnetGroup(`${name}-subnets`, {
                subnetIds: network.privateSubnetIds,
                description: "Private subnets in two availability zones",
                tags,
            }, { parent });
            const instance = new aws.rds.Instance(`${name}-instance`, {
                identifier: name,
                engine: "postgres",
                engineVersion: String(owned.majorVersion),
                autoMinorVersionUpgrade: true,
                // Raising majorVersion upgrades in place (RDS keeps the endpoint and the data); a
                // lower one is refused before declaring (lookups/database.ts).
                allowMajorVersionUpgrade: true,
                instanceClass: owned.instanceClass,
                allocatedStorage: owned.allocatedStorage,
                storageType: "gp3",
                storageEncrypted: true,
                dbName: args.dbName,
                username: owned.username,
                password: password.result,
                dbSubnetGroupName: subnets.name,
                vpcSecurityGroupIds: [sg.id],
                publiclyAccessible: false,
                multiAz: owned.multiAz,
                backupRetentionPeriod: owned.backupRetentionDays,
                copyTagsToSnapshot: true,
                deletionProtection: owned.deletionProtection,
                skipFinalSnapshot: false,
                finalSnapshotIdentifier: pulumi.interpolate`${name}-final-${snapshotSuffix.hex}`,
                tags,
            }, {
                parent,
                dependsOn: [record],
                // Destroy runs no program code, so only an option can stop it: while allowDelete is
                // false, `pulumi destroy` (or a swap away) refuses before deleting anything, instead
                // of keeping the instance in subnets the destroy then cannot delete.
                protect: !owned.allowDelete,
            });
            ownedInstance = instance;
            allowTasksOut({ referencedSecurityGroupId: sg.id, port: 5432 });
            return pulumi.secret(pulumi.all([instance.address, instance.port, password.result]).apply(([host, port, pw]) =>
                postgresUrl(owned.username, pw, host, port, args.dbName, rdsTls)));
        }

        function recordInstance(record: OwnedInstanceRecord): aws.ssm.Parameter {
            return new aws.ssm.Parameter(`${name}-record`, {
                name: databaseRecordName(args.parameterPath),
                type: "String",
                insecureValue: JSON.stringify(record),
                // After lost state the record may still exist: take it back instead of failing.
                overwrite: true,
                description: "The RDS instance this stack owns (read before each deploy)",
                tags,
            }, { parent });
        }

        function attachExisting(existing: Extract<DatabaseSettings, { kind: "existing" }>): pulumi.Output<string> {
            const found = args.existingInstance;
            if (found === undefined) throw new Error(`Database ${name}: existingInstance: expected the looked-up RDS instance ${existing.identifier}, got nothing`);
            if (existing.securityGroupId !== undefined) {
                rules.push(new aws.vpc.SecurityGroupIngressRule(`${name}-from-tasks`, {
                    securityGroupId: existing.securityGroupId,
                    referencedSecurityGroupId: network.tasksSecurityGroupId,
                    ipProtocol: "tcp",
                    fromPort: found.port,
                    toPort: found.port,
                    description: "App tasks of this stack",
                }, { parent }));
            }
            allowTasksOut({ cidrIpv4: "0.0.0.0/0", port: found.port });
            return pulumi.secret(postgresUrl(existing.username, existing.password, found.address, found.port, existing.dbName, rdsTls));
        }

        function attachExternal(external: Extract<DatabaseSettings, { kind: "external" }>): pulumi.Output<string> {
            allowTasksOut({ cidrIpv4: "0.0.0.0/0", port: portOf(external.url) });
            return pulumi.secret(external.url);
        }

        function allowTasksOut(to: { port: number; cidrIpv4?: string; referencedSecurityGroupId?: pulumi.Input<string> }): void {
            rules.push(new aws.vpc.SecurityGroupEgressRule(`${name}-tasks-out`, {
                securityGroupId: network.tasksSecurityGroupId,
                ipProtocol: "tcp",
                fromPort: to.port,
                toPort: to.port,
                cidrIpv4: to.cidrIpv4,
                referencedSecurityGroupId: to.referencedSecurityGroupId,
                description: "App tasks to the database",
            }, { parent }));
        }
    }
}
