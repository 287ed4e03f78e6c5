import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { loadConfig, projectName, type StackConfig } from "./config";
import { Build, repositoryArnOf, resolveImageSource, type PromotedImage } from "./components/build";
import { checkExistingInstance, checkOwnedInstance, checkSwapAway, Database, databaseRecordName, type ExistingInstance, type OwnedInstanceRecord } from "./components/database";
import { findPinned, nextReleaseNumber, parseLedger, parsePointer, type LedgerEntry, type RunningPointer } from "./components/ledger";
import { childSuffixes, stackParameterPath, stackPrefix } from "./components/naming";
import { checkAdoptedSubnets, Network } from "./components/network";
import { Release, ledgerEntryName, parameterName, type ReleaseValue } from "./components/release";
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
    const pin = config.release.pin;
    const databaseIdentifier = `${prefix}${childSuffixes.database}`;

    const [ledger, records, zones, existingInstance, ownedInstance] = await Promise.all([
        readLedger(parameterPath),
        readStackRecords(parameterPath),
        config.network.mode === "create" ? availabilityZones() : adoptedSubnets(config.network),
        config.database.kind === "existing" ? existingDatabase(config.database.identifier, config.database.majorVersion) : Promise.resolve(undefined),
        config.database.kind === "owned" ? findInstance(databaseIdentifier) : Promise.resolve(undefined),
    ]);
    const { pointer, database: databaseRecord } = records;
    checkSwapAway(config.database.kind, databaseRecord);
    if (config.database.kind === "owned") {
        checkOwnedInstance({ identifier: databaseIdentifier, majorVersion: config.database.majorVersion, found: ownedInstance, record: databaseRecord, stackHasRun: pointer !== undefined });
    }
    // A pinned stack is frozen: it reads nothing upstream (no promoted image), and its target
    // must still have every parameter, or ECS would fail ten minutes into the deploy.
    const pinned = findPinned(ledger, pin);
    if (pinned) await checkParametersExist(parameterPath, pinned);
    const promoted = config.build.kind === "promote" && !pinned ? await runningImageOf(config.build.fromStack) : undefined;
    const imageSource = config.build.kind === "promote" && pinned ? undefined : resolveImageSource(config.build, __dirname, promoted);
    const runningProcesses = pinned ? withFormation(pinned.id, pinned.processes, config.processes) : config.processes;
    const nextNumber = await firstUnusedReleaseNumber(parameterPath, nextReleaseNumber(ledger));
    const caller = aws.getCallerIdentityOutput();
    const partition = aws.getPartitionOutput();
    const parameterArnPrefix = pulumi.interpolate`arn:${partition.partition}:ssm:${config.region}:${caller.accountId}:parameter`;

    const network = new Network(`${prefix}-net`, { config: config.network, region: config.region, availabilityZones: zones, tags });
    const database = new Database(databaseIdentifier, {
        config: config.database,
        dbName: config.app.replace(/-/g, "_"),
        vpcId: network.vpcId,
        privateSubnetIds: network.privateSubnetIds,
        tasksSecurityGroupId: network.tasksSecurityGroupId,
        existingInstance,
        parameterPath,
        tags,
    });
    const build = imageSource && new Build(`${prefix}-build`, { source: imageSource, ledger, tags });
    const release = new Release(`${prefix}-release`, {
        parameterPath,
        parameterArnPrefix,
        ledger,
        pointer,
        pin,
        content: build && {
            build: build.identity,
            built: build.built,
            image: build.imageRef,
            values: releaseValues(config, database),
            processes: releaseDefinitions(config.processes),
        },
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
        platform: config.build.platform,
        processes: runningProcesses,
        cpuArchitecture: config.build.platform === "linux/arm64" ? "ARM64" : "X86_64",
        repositoryArns: [...(build ? [build.repositoryArn] : []), release.image.apply(repositoryArnOf)],
        vpcId: network.vpcId,
        publicSubnetIds: network.publicSubnetIds,
        privateSubnetIds: network.privateSubnetIds,
        albSecurityGroupId: network.albSecurityGroupId,
        tasksSecurityGroupId: network.tasksSecurityGroupId,
        securityGroupRules: [...network.rules, ...database.rules],
        logRetentionDays: config.logRetentionDays,
        certificateArn: config.certificateArn,
        tags,
    });

    // What runs resolves only from the pointer written once every service is steady: after a
    // failed deploy these outputs keep naming what ran before, and nothing promotes the failure.
    const afterSteady = <T>(value: T) => run.running.apply(() => value);
    const { added, changed, removed } = release.changes;
    return {
        url: run.url,
        /** What the services run (promotion reads this). */
        image: run.running.apply((p) => p.image ?? ""),
        platform: run.running.apply((p) => p.platform ?? config.build.platform),
        runningRelease: run.running.apply((p) => p.running),
        previousRelease: run.running.apply((p) => p.previous ?? "none"),
        /** Config keys that differ between the previous and the running release (names only; values never shown). */
        changedKeys: afterSteady([...added, ...changed, ...removed].sort()),
        releaseChanges: afterSteady({ added, changed, removed, processes: release.changedProcesses }),
        /** What this deploy runs, known at preview: the PR view of a deploy. */
        plannedRelease: { running: release.runningId, previous: release.previousId ?? "none", pinned: pin ?? "none", newest: release.headId },
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

/** What the stack recorded of itself in SSM: the running pointer and the database it owns. */
async function readStackRecords(parameterPath: string): Promise<{ pointer?: RunningPointer; database?: OwnedInstanceRecord }> {
    const found = await aws.ssm.getParametersByPath({ path: parameterPath, recursive: false, withDecryption: false });
    const valueOf = (name: string) => {
        const i = found.names.indexOf(name);
        return i < 0 ? undefined : found.values[i];
    };
    const database = valueOf(databaseRecordName(parameterPath));
    return {
        pointer: parsePointer(`${parameterPath}/running`, valueOf(`${parameterPath}/running`)),
        database: database === undefined ? undefined : JSON.parse(database) as OwnedInstanceRecord,
    };
}

/** Every parameter the pinned release's ledger entry names must still exist (prune or a manual delete removes them). */
async function checkParametersExist(parameterPath: string, entry: LedgerEntry): Promise<void> {
    const found = await aws.ssm.getParametersByPath({ path: `${parameterPath}/releases/${entry.id}`, recursive: true, withDecryption: false });
    const missing = Object.keys(entry.keys).sort().filter((key) => !found.names.includes(parameterName(parameterPath, entry.id, key)));
    if (missing.length > 0) {
        throw new Error(`twelve-factor:release.pin: release ${entry.id} cannot run again: its parameters ${missing.join(", ")} are gone from ${parameterPath}/releases/${entry.id} (pruned or deleted); pin a release whose parameters still exist`);
    }
}

/** The RDS instance with this identifier, if one exists in the account. */
async function findInstance(identifier: string): Promise<{ engineVersion: string } | undefined> {
    const found = await aws.rds.getInstances({ filters: [{ name: "db-instance-id", values: [identifier] }] });
    if (found.instanceIdentifiers.length === 0) return undefined;
    const instance = await aws.rds.getInstance({ dbInstanceIdentifier: identifier });
    return { engineVersion: instance.engineVersion };
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

/**
 * What another stack of this project runs (promotion: prod runs what dev tested). Its `image`
 * output resolves only once that stack's services were steady, so a failed deploy there is
 * never promoted.
 */
async function runningImageOf(stack: string): Promise<PromotedImage> {
    const ref = new pulumi.StackReference(`${pulumi.getOrganization()}/${projectName}/${stack}`);
    const [image, platform] = await Promise.all([ref.getOutputDetails("image"), ref.getOutputDetails("platform")]);
    return {
        image: typeof image.value === "string" && image.value !== "" ? image.value : undefined,
        platform: typeof platform.value === "string" ? platform.value : undefined,
    };
}
