import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { DatabaseConfig } from "../config";

export interface DatabaseArgs {
    config: DatabaseConfig;
    /** Database name inside the server (owned instances). */
    dbName: string;
    vpcId: pulumi.Input<string>;
    privateSubnetIds: pulumi.Input<string[]>;
    /** The app tasks' security group: the only one let in, and the one let out to the database. */
    tasksSecurityGroupId: pulumi.Input<string>;
    /** For kind `existing`: the instance as looked up before declaring anything. */
    existingInstance?: ExistingInstance;
    /** SSM path of this stack, `/<app>/<stack>`: an owned instance is recorded below it. */
    parameterPath: string;
    tags: Record<string, string>;
}

/**
 * What the stack records of the instance it owns, at `/<app>/<stack>/database`, right after the
 * instance exists: read before declaring, it tells a kept instance from one this stack holds,
 * and whether the one it holds may be deleted.
 */
export interface OwnedInstanceRecord {
    identifier: string;
    /** True while the instance is protected (allowDelete false): Pulumi refuses to delete it. */
    protected: boolean;
}

export function databaseRecordName(parameterPath: string): string {
    return `${parameterPath}/database`;
}

/** What the stack needs to know of an RDS instance it does not own. */
export interface ExistingInstance {
    address: string;
    port: number;
    engine: string;
    engineVersion: string;
}

/** Dev and prod must run the same engine and major version, so an adopted instance must match config. */
export function checkExistingInstance(identifier: string, majorVersion: number, found: ExistingInstance): void {
    if (found.engine !== "postgres" || Number(found.engineVersion.split(".")[0]) !== majorVersion) {
        throw new Error(`twelve-factor:database: RDS instance ${identifier} runs ${found.engine} ${found.engineVersion}, expected postgres ${majorVersion} (the same engine and major version as every stack)`);
    }
}

/**
 * Before declaring an owned instance: one that exists in AWS while the stack records none and
 * has never run (destroyed, or kept outside the stack) would collide on its fixed identifier
 * half-way through a deploy; a lower major version than the instance runs cannot be applied.
 */
export function checkOwnedInstance(args: { identifier: string; majorVersion: number; found?: { engineVersion: string }; record?: OwnedInstanceRecord; stackHasRun: boolean }): void {
    const { identifier, found } = args;
    if (found === undefined) return;
    if (args.record === undefined && !args.stackHasRun) {
        throw new Error(`twelve-factor:database: RDS instance ${identifier} already exists, but this stack does not hold it (it was kept after a destroy, or taken out of the stack). ` +
            `Attach it: set database.kind to existing with database.existing.identifier ${identifier} (and its username, dbName and password); ` +
            `or adopt it as this stack's own: pulumi import aws:rds/instance:Instance ${identifier}-instance ${identifier}; or delete it in AWS first.`);
    }
    const running = Number(found.engineVersion.split(".")[0]);
    if (args.majorVersion < running) {
        throw new Error(`twelve-factor:database.majorVersion: expected ${running} or later, got ${args.majorVersion}: RDS instance ${identifier} runs PostgreSQL ${found.engineVersion}, and RDS cannot downgrade a major version (restore a snapshot into a new instance instead)`);
    }
}

/** Swapping away from an owned instance is refused while it is protected: it would fail half-way, after the services moved. */
export function checkSwapAway(kind: DatabaseConfig["kind"], record: OwnedInstanceRecord | undefined): void {
    if (kind === "owned" || record === undefined || !record.protected) return;
    throw new Error(`twelve-factor:database.kind: this stack owns RDS instance ${record.identifier}, protected against deletion, so swapping to ${kind} would fail half-way. ` +
        `To delete it (a final snapshot is taken): first pulumi up with database.owned.allowDelete: true and kind still owned, then swap. ` +
        `To keep it outside the stack: pulumi state unprotect and pulumi state delete its instance, then swap (attach it later as kind existing).`);
}

/** PostgreSQL's URL form; the password is percent-encoded so any character survives. */
export function postgresUrl(user: string, password: string, host: string, port: number, dbName: string, query = ""): string {
    return `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${dbName}${query}`;
}

/** The port of a postgres URL (5432 when it names none). */
export function portOf(url: string): number {
    const port = new URL(url.replace(/^postgres(ql)?:/, "http:")).port;
    return port === "" ? 5432 : Number(port);
}

/** RDS serves TLS with its own CA; the app encrypts without shipping that bundle. */
const rdsTls = "?sslmode=no-verify";

/**
 * The backing database as an attached resource. Stack config alone chooses an RDS instance
 * the stack owns, an existing RDS instance, or a third-party URL; every kind yields the same
 * handle, a secret DATABASE_URL, so the app and the run stage never know which is in use.
 */
export class Database extends pulumi.ComponentResource {
    /** DATABASE_URL (secret). */
    public readonly url: pulumi.Output<string>;
    /**
     * What determines the URL, known before deploying (the owned instance's URL is only known
     * after it exists). The release hashes it to tell whether DATABASE_URL changed.
     */
    public readonly identity: string;
    /** Which kind of backing service is attached. */
    public readonly kind: DatabaseConfig["kind"];
    /** Security-group rules the app tasks rely on to reach the database. */
    public readonly rules: pulumi.Resource[] = [];

    constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("twelve-factor:database:Database", name, {}, opts);
        const config = args.config;
        this.kind = config.kind;

        switch (config.kind) {
            case "owned": {
                const instance = this.createInstance(name, config, args);
                const password = instance.password;
                this.url = pulumi.secret(pulumi.all([instance.instance.address, instance.instance.port, password]).apply(([host, port, pw]) =>
                    postgresUrl(config.username, pw, host, port, args.dbName, rdsTls)));
                // Everything that decides DATABASE_URL: the identifier, user and database name (a change
                // replaces the instance, so a new endpoint), and the password's version (a bump makes a
                // new password). A change makes a new release instead of rewriting a running one's URL.
                this.identity = `owned:${name}:${config.username}@${args.dbName}:postgres${config.majorVersion}:password-v${config.passwordVersion}`;
                this.allowTasksOut(name, args.tasksSecurityGroupId, { referencedSecurityGroupId: instance.securityGroupId, port: 5432 });
                break;
            }
            case "existing": {
                const found = args.existingInstance;
                if (found === undefined) throw new Error(`Database ${name}: existingInstance: expected the looked-up RDS instance ${config.identifier}, got nothing`);
                this.url = pulumi.secret(postgresUrl(config.username, config.password, found.address, found.port, config.dbName, rdsTls));
                this.identity = `existing:${config.identifier}:${config.username}:${config.password}@${config.dbName}`;
                if (config.securityGroupId !== undefined) {
                    this.rules.push(new aws.vpc.SecurityGroupIngressRule(`${name}-from-tasks`, {
                        securityGroupId: config.securityGroupId,
                        referencedSecurityGroupId: args.tasksSecurityGroupId,
                        ipProtocol: "tcp",
                        fromPort: found.port,
                        toPort: found.port,
                        description: "App tasks of this stack",
                    }, { parent: this }));
                }
                this.allowTasksOut(name, args.tasksSecurityGroupId, { cidrIpv4: "0.0.0.0/0", port: found.port });
                break;
            }
            case "external": {
                this.url = pulumi.secret(config.url);
                this.identity = `external:${config.url}`;
                this.allowTasksOut(name, args.tasksSecurityGroupId, { cidrIpv4: "0.0.0.0/0", port: portOf(config.url) });
                break;
            }
        }
        this.registerOutputs({ url: this.url });
    }

    private createInstance(name: string, config: Extract<DatabaseConfig, { kind: "owned" }>, args: DatabaseArgs) {
        const parent = this;
        const password = new random.RandomPassword(`${name}-password`, {
            length: 40,
            // RDS rejects / @ " and spaces; letters and digits need no escaping anywhere.
            special: false,
            // Rotation is a config change: bumping the version makes a new password (and a new release).
            keepers: { version: String(config.passwordVersion) },
        }, { parent });
        // A final snapshot name is unique per instance, so a second destroy (after up again) never collides.
        const snapshotSuffix = new random.RandomId(`${name}-snapshot-id`, { byteLength: 4 }, { parent });
        const sg = new aws.ec2.SecurityGroup(`${name}-sg`, {
            vpcId: args.vpcId,
            description: "Database: PostgreSQL from the app tasks of this stack only",
            tags: args.tags,
        }, { parent });
        this.rules.push(new aws.vpc.SecurityGroupIngressRule(`${name}-from-tasks`, {
            securityGroupId: sg.id,
            referencedSecurityGroupId: args.tasksSecurityGroupId,
            ipProtocol: "tcp",
            fromPort: 5432,
            toPort: 5432,
            description: "App tasks",
        }, { parent }));
        const subnets = new aws.rds.SubnetGroup(`${name}-subnets`, {
            subnetIds: args.privateSubnetIds,
            description: "Private subnets in two availability zones",
            tags: args.tags,
        }, { parent });
        const instance = new aws.rds.Instance(`${name}-instance`, {
            identifier: name,
            engine: "postgres",
            engineVersion: String(config.majorVersion),
            autoMinorVersionUpgrade: true,
            // Raising majorVersion upgrades in place (RDS keeps the endpoint and the data); a
            // lower one is refused before declaring (checkOwnedInstance).
            allowMajorVersionUpgrade: true,
            instanceClass: config.instanceClass,
            allocatedStorage: config.allocatedStorage,
            storageType: "gp3",
            storageEncrypted: true,
            dbName: args.dbName,
            username: config.username,
            password: password.result,
            dbSubnetGroupName: subnets.name,
            vpcSecurityGroupIds: [sg.id],
            publiclyAccessible: false,
            multiAz: config.multiAz,
            backupRetentionPeriod: config.backupRetentionDays,
            copyTagsToSnapshot: true,
            deletionProtection: config.deletionProtection,
            skipFinalSnapshot: false,
            finalSnapshotIdentifier: pulumi.interpolate`${name}-final-${snapshotSuffix.hex}`,
            tags: args.tags,
        }, {
            parent,
            // Destroy runs no program code, so only an option can stop it: while allowDelete is
            // false, `pulumi destroy` (or a swap away) refuses before deleting anything, instead
            // of keeping the instance in subnets the destroy then cannot delete.
            protect: !config.allowDelete,
        });
        const record: OwnedInstanceRecord = { identifier: name, protected: !config.allowDelete };
        new aws.ssm.Parameter(`${name}-record`, {
            name: databaseRecordName(args.parameterPath),
            type: "String",
            insecureValue: JSON.stringify(record),
            // After lost state the record may still exist: take it back instead of failing.
            overwrite: true,
            description: "The RDS instance this stack owns (read before each deploy)",
            tags: args.tags,
        }, { parent, dependsOn: [instance] });
        return { instance, password: password.result, securityGroupId: sg.id };
    }

    private allowTasksOut(name: string, tasksSecurityGroupId: pulumi.Input<string>, to: { port: pulumi.Input<number>; cidrIpv4?: string; referencedSecurityGroupId?: pulumi.Input<string> }) {
        this.rules.push(new aws.vpc.SecurityGroupEgressRule(`${name}-tasks-out`, {
            securityGroupId: tasksSecurityGroupId,
            ipProtocol: "tcp",
            fromPort: to.port,
            toPort: to.port,
            cidrIpv4: to.cidrIpv4,
            referencedSecurityGroupId: to.referencedSecurityGroupId,
            description: "App tasks to the database",
        }, { parent: this }));
    }
}
