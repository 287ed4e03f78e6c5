import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { loadConfig, projectName, type StackConfig } from "./config";
import { Build, repositoryArnOf, resolveImageSource } from "./components/build";
import { checkExistingInstance, Database, type ExistingInstance } from "./components/database";
import { findPinned, nextReleaseNumber, parseLedger, parsePointer } from "./components/ledger";
import { childSuffixes, stackParameterPath, stackPrefix } from "./components/naming";
import { checkAdoptedSubnets, Network } from "./components/network";
import { Release, ledgerEntryName, type ReleaseValue } from "./components/release";
import { releaseDefinitions, withFormation } from "./components/processes";
import { Run } from "./components/run";

/**
 * Wires build → release → run. Everything that decides how many resources exist (config,
 * the ledger, availability zones, a promoted digest) is read and awaited first, so that
 * `pulumi preview` shows every resource a deploy will touch.
 */
export = async () => {
    const config = loadConfig();
    const prefix = stackPrefix(config.app, config.stack);
    const parameterPath = stackParameterPath(config.app, config.stack);
    const tags = { ...config.tags, app: config.app, stack: config.stack, "managed-by": "pulumi" };

    const [ledger, pointer, zones, promotedImage, existingInstance] = await Promise.all([
        readLedger(parameterPath),
        readPointer(parameterPath),
        config.network.mode === "create" ? availabilityZones() : adoptedSubnets(config.network),
        config.build.kind === "promote" ? imageOfStack(config.build.fromStack) : Promise.resolve(undefined),
        config.database.kind === "existing" ? existingDatabase(config.database.identifier, config.database.majorVersion) : Promise.resolve(undefined),
    ]);
    const imageSource = resolveImageSource(config.build, __dirname, promotedImage);
    // A pin the ledger lacks, or one whose processes today's config cannot size, fails here,
    // before anything is declared.
    const pinned = findPinned(ledger, config.release.pin);
    const definitions = releaseDefinitions(config.processes);
    const runningProcesses = pinned ? withFormation(pinned.id, pinned.processes, config.processes) : config.processes;
    const nextNumber = await firstUnusedReleaseNumber(parameterPath, nextReleaseNumber(ledger));
    const caller = aws.getCallerIdentityOutput();
    const partition = aws.getPartitionOutput();
    const parameterArnPrefix = pulumi.interpolate`arn:${partition.partition}:ssm:${config.region}:${caller.accountId}:parameter`;

    const network = new Network(`${prefix}-net`, { config: config.network, region: config.region, availabilityZones: zones, tags });
    const database = new Database(`${prefix}${childSuffixes.database}`, {
        config: config.database,
        dbName: config.app.replace(/-/g, "_"),
        vpcId: network.vpcId,
        privateSubnetIds: network.privateSubnetIds,
        tasksSecurityGroupId: network.tasksSecurityGroupId,
        existingInstance,
        tags,
    });
    const build = new Build(`${prefix}-build`, { source: imageSource, tags });
    const release = new Release(`${prefix}-release`, {
        parameterPath,
        parameterArnPrefix,
        imageIdentity: build.identity,
        image: build.imageRef,
        values: releaseValues(config, database),
        processes: definitions,
        ledger,
        pointer,
        pin: config.release.pin,
        nextNumber,
        tags,
    });
    const run = new Run(prefix, {
        prefix,
        region: config.region,
        accountId: caller.accountId,
        parameterPath,
        parameterArnPrefix,
        releaseId: release.runningId,
        image: release.image,
        secrets: release.secrets,
        pointer: release.pointer,
        processes: runningProcesses,
        cpuArchitecture: build.cpuArchitecture,
        repositoryArns: [build.repositoryArn, release.image.apply(repositoryArnOf)],
        vpcId: network.vpcId,
        publicSubnetIds: network.publicSubnetIds,
        privateSubnetIds: network.privateSubnetIds,
        albSecurityGroupId: network.albSecurityGroupId,
        tasksSecurityGroupId: network.tasksSecurityGroupId,
        logRetentionDays: config.logRetentionDays,
        certificateArn: config.certificateArn,
        tags,
    });

    const { added, changed, removed } = release.changes;
    return {
        url: run.url,
        /** What the services run. */
        image: release.image,
        runningRelease: release.runningId,
        previousRelease: release.previousId ?? "none",
        /** Config keys that differ between the previous and the running release (names only; values never shown). */
        changedKeys: [...added, ...changed, ...removed].sort(),
        releaseChanges: { added, changed, removed, processes: release.changedProcesses },
        newestRelease: release.headId,
        releaseDigest: release.digest,
        ledgerEntry: ledgerEntryName(parameterPath, release.runningId),
        databaseKind: database.kind,
        clusterName: run.clusterName,
        logGroup: run.logGroupName,
        taskDefinitions: run.taskDefinitionArns,
    };
};

/** Every config key of a release: plain env, secrets, and the database handle. */
function releaseValues(config: StackConfig, database: Database): ReleaseValue[] {
    return [
        ...Object.entries(config.env).map(([key, value]) => ({ key, value, secret: false })),
        ...Object.entries(config.secrets).map(([key, value]) => ({ key, value, secret: true })),
        { key: "DATABASE_URL", value: database.url, secret: true, identity: database.identity },
    ];
}

async function readLedger(parameterPath: string) {
    const found = await aws.ssm.getParametersByPath({ path: `${parameterPath}/ledger`, recursive: true, withDecryption: false });
    return parseLedger(found.names.map((name, i) => ({ name, value: found.values[i] })));
}

/**
 * A deploy that failed before writing its ledger entry leaves that release's parameters in
 * AWS (they are kept); a new release must not reuse, and so rewrite, those names.
 */
async function firstUnusedReleaseNumber(parameterPath: string, from: number): Promise<number> {
    for (let n = from; n < from + 100; n++) {
        const found = await aws.ssm.getParametersByPath({ path: `${parameterPath}/releases/v${n}`, recursive: true, withDecryption: false });
        if (found.names.length === 0) return n;
    }
    throw new Error(`${parameterPath}/releases: v${from}…v${from + 99} all hold parameters without ledger entries; delete the orphans or repair the ledger`);
}

async function readPointer(parameterPath: string) {
    const found = await aws.ssm.getParametersByPath({ path: parameterPath, recursive: false, withDecryption: false });
    const i = found.names.indexOf(`${parameterPath}/running`);
    return parsePointer(`${parameterPath}/running`, i < 0 ? undefined : found.values[i]);
}

/** Checks the adopted subnets; a created network needs no zones from here. */
async function adoptedSubnets(network: Extract<StackConfig["network"], { mode: "existing" }>): Promise<string[]> {
    const ids = [...new Set([...network.publicSubnetIds, ...network.privateSubnetIds])];
    const subnets = await Promise.all(ids.map(async (id) => {
        const found = await aws.ec2.getSubnet({ id });
        return { id, vpcId: found.vpcId, availabilityZone: found.availabilityZone };
    }));
    checkAdoptedSubnets(network, subnets);
    return [];
}

async function availabilityZones(): Promise<string[]> {
    const zones = await aws.getAvailabilityZones({ state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] });
    return [...zones.names].sort().slice(0, 2);
}

async function existingDatabase(identifier: string, majorVersion: number): Promise<ExistingInstance> {
    const found = await aws.rds.getInstance({ dbInstanceIdentifier: identifier });
    const instance = { address: found.address, port: found.port, engine: found.engine, engineVersion: found.engineVersion };
    checkExistingInstance(identifier, majorVersion, instance);
    return instance;
}

/** The image another stack of this project runs (promotion: prod runs what dev tested). */
async function imageOfStack(stack: string): Promise<string | undefined> {
    const ref = new pulumi.StackReference(`${pulumi.getOrganization()}/${projectName}/${stack}`);
    const details = await ref.getOutputDetails("image");
    return typeof details.value === "string" ? details.value : undefined;
}
