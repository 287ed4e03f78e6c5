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
    tags: Record<string, string>;
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
                this.identity = `owned:${name}:${config.username}@${args.dbName}:postgres${config.majorVersion}`;
                this.allowTasksOut(name, args.tasksSecurityGroupId, { referencedSecurityGroupId: instance.securityGroupId, port: 5432 });
                break;
            }
            case "existing": {
                const found = args.existingInstance;
                if (found === undefined) throw new Error(`Database ${name}: existingInstance: expected the looked-up RDS instance ${config.identifier}, got nothing`);
                this.url = pulumi.secret(postgresUrl(config.username, config.password, found.address, found.port, config.dbName, rdsTls));
                this.identity = `existing:${config.identifier}:${config.username}:${config.password}@${config.dbName}`;
                if (config.securityGroupId !== undefined) {
                    new aws.vpc.SecurityGroupIngressRule(`${name}-from-tasks`, {
                        securityGroupId: config.securityGroupId,
                        referencedSecurityGroupId: args.tasksSecurityGroupId,
                        ipProtocol: "tcp",
                        fromPort: found.port,
                        toPort: found.port,
                        description: "App tasks of this stack",
                    }, { parent: this });
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
        // Removing the database from the stack (swapping to another kind) must never delete it
        // or its data silently: unless allowDelete says so, Pulumi forgets it and AWS keeps it.
        const keep: pulumi.CustomResourceOptions = { parent: this, retainOnDelete: !config.allowDelete };
        const password = new random.RandomPassword(`${name}-password`, {
            length: 40,
            // RDS rejects / @ " and spaces; letters and digits need no escaping anywhere.
            special: false,
        }, keep);
        const sg = new aws.ec2.SecurityGroup(`${name}-sg`, {
            vpcId: args.vpcId,
            description: "Database: PostgreSQL from the app tasks of this stack only",
            tags: args.tags,
        }, keep);
        // Not kept: it names the tasks' security group, which must stay deletable.
        new aws.vpc.SecurityGroupIngressRule(`${name}-from-tasks`, {
            securityGroupId: sg.id,
            referencedSecurityGroupId: args.tasksSecurityGroupId,
            ipProtocol: "tcp",
            fromPort: 5432,
            toPort: 5432,
            description: "App tasks",
        }, { parent: this });
        const subnets = new aws.rds.SubnetGroup(`${name}-subnets`, {
            subnetIds: args.privateSubnetIds,
            description: "Private subnets in two availability zones",
            tags: args.tags,
        }, keep);
        const instance = new aws.rds.Instance(`${name}-instance`, {
            identifier: name,
            engine: "postgres",
            engineVersion: String(config.majorVersion),
            autoMinorVersionUpgrade: true,
            allowMajorVersionUpgrade: false,
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
            finalSnapshotIdentifier: `${name}-final`,
            tags: args.tags,
        }, keep);
        return { instance, password: password.result, securityGroupId: sg.id };
    }

    private allowTasksOut(name: string, tasksSecurityGroupId: pulumi.Input<string>, to: { port: pulumi.Input<number>; cidrIpv4?: string; referencedSecurityGroupId?: pulumi.Input<string> }) {
        new aws.vpc.SecurityGroupEgressRule(`${name}-tasks-out`, {
            securityGroupId: tasksSecurityGroupId,
            ipProtocol: "tcp",
            fromPort: to.port,
            toPort: to.port,
            cidrIpv4: to.cidrIpv4,
            referencedSecurityGroupId: to.referencedSecurityGroupId,
            description: "App tasks to the database",
        }, { parent: this });
    }
}
