import * as aws from "@pulumi/aws";
import { AccessLogs } from "./components/access-logs";
import { Alarms } from "./components/alarms";
import { Autoscaling } from "./components/autoscaling";
import { Build } from "./components/build";
import { Database } from "./components/database";
import { Domain } from "./components/domain";
import { Network } from "./components/network";
import { Run } from "./components/run";
import { Schedules } from "./components/schedules";
import { loadConfig, projectName, type StackConfig } from "./config";
import { databaseIdentity } from "./lib/database";
import { buildIdentity, resolveImageSource } from "./lib/image";
import { childSuffixes, stackParameterPath, stackPrefix } from "./lib/naming";
import { opsRecordName } from "./lib/ops-record";
import { releaseDefinitions, withFormation } from "./lib/process";
import { lookUpDatabase } from "./lookups/database";
import { checkHostedZone } from "./lookups/domain";
import { pushedImage } from "./lookups/image";
import { migrationHeadOf } from "./lookups/migrations";
import { availabilityZones, checkAdoptedNetwork } from "./lookups/network";
import { runningImageOf } from "./lookups/promotion";
import { checkParametersExist, readHistory } from "./release/history";
import { ledgerEntryName } from "./release/ledger";
import { findPinned, planRelease, type PlannedValue } from "./release/plan";
import { Release, type ReleaseValue } from "./release/release";

/**
 * Wires build → release → run. Everything that decides how many resources exist (config,
 * the release history, availability zones, a promoted image, the database) is read, checked
 * and planned first, so that `pulumi preview` shows every resource a deploy will touch and bad
 * input changes nothing.
 */
export = async () => {
    const config = loadConfig();
    const prefix = stackPrefix(config.app, config.stack);
    const parameterPath = stackParameterPath(config.app, config.stack);
    const databaseName = `${prefix}${childSuffixes.database}`;
    const dbName = config.app.replace(/-/g, "_");
    const tags = { ...config.tags, app: config.app, stack: config.stack, "managed-by": "pulumi" };

    // Read and check, before declaring anything.
    const history = await readHistory(parameterPath);
    const pinned = findPinned(history.ledger, config.release.pin);
    const [zones, existingInstance] = await Promise.all([
        config.network.mode === "create" ? availabilityZones() : checkAdoptedNetwork(config.network).then(() => []),
        lookUpDatabase(config.database, databaseName, parameterPath, { records: history.records, stackHasRun: history.pointer !== undefined }),
        pinned && checkParametersExist(parameterPath, pinned),
        config.domain && checkHostedZone(config.domain),
    ]);
    // A pinned stack is frozen: it builds nothing and reads nothing upstream (no promoted image).
    const promoted = config.build.kind === "promote" && !pinned ? await runningImageOf(projectName, config.build.fromStack) : undefined;
    const source = pinned ? undefined : resolveImageSource(config.build, __dirname, promoted);
    const identity = source && buildIdentity(source);
    const reuse = source?.kind === "source" ? await pushedImage(identity!, source.staged.tag, history.ledger) : undefined;
    const plan = planRelease({
        parameterPath,
        ledger: history.ledger,
        pointer: history.pointer,
        pin: config.release.pin,
        nextNumber: history.nextNumber,
        content: identity === undefined ? undefined : {
            build: identity,
            built: source!.kind === "source" && reuse === undefined,
            values: plannedValues(config, databaseIdentity(config.database, databaseName, dbName)),
            processes: releaseDefinitions(config.processes),
            migrationHead: migrationHeadOf(source, __dirname, promoted),
        },
    });

    const processes = pinned ? withFormation(pinned.id, pinned.processes, config.processes) : config.processes;

    // Declare.
    const network = new Network(`${prefix}-net`, { settings: config.network, region: config.region, availabilityZones: zones, tags });
    const database = new Database(databaseName, { settings: config.database, dbName, network, existingInstance, parameterPath, tags });
    const build = (source || config.build.kind === "source") ? new Build(`${prefix}-build`, { source, ownsRepository: config.build.kind === "source", reuse, tags }) : undefined;
    // Read once: every component that writes an ARN or a trust or key policy takes it from here.
    const account = { id: aws.getCallerIdentityOutput().accountId, partition: aws.getPartitionOutput().partition };
    const release = new Release(`${prefix}-release`, {
        parameterPath,
        region: config.region,
        account,
        plan,
        values: releaseValues(config, database),
        image: build?.imageRef,
        tags,
    });
    const domain = config.domain && new Domain(`${prefix}-domain`, { settings: config.domain, tags });
    const { deletionProtection, accessLogs: logSettings } = config.loadBalancer;
    const accessLogs = logSettings && new AccessLogs(`${prefix}-access-logs`, { account, retentionDays: logSettings.retentionDays, region: config.region, protect: deletionProtection, tags });
    const run = new Run(prefix, {
        region: config.region,
        account,
        parameterPath,
        network,
        database,
        release,
        build,
        processes,
        settings: {
            platform: config.build.platform,
            logRetentionDays: config.logRetentionDays,
            certificateArn: domain?.certificateArn ?? config.certificateArn,
            domain: config.domain,
            loadBalancer: { deletionProtection, accessLogs },
            exec: config.exec,
            containerInsights: config.alarms !== undefined,
            permissionsBoundary: config.permissionsBoundary,
        },
        tags,
    });
    if (Object.values(processes).some((p) => p.scaling !== undefined)) new Autoscaling(`${prefix}-scaling`, { run, processes, tags });
    if (Object.values(processes).some((p) => p.schedule !== undefined)) new Schedules(`${prefix}-jobs`, { run, processes, region: config.region, exec: config.exec, permissionsBoundary: config.permissionsBoundary, tags });
    if (config.alarms !== undefined) {
        const owned = config.database.kind === "owned" ? config.database : undefined;
        new Alarms(`${prefix}-alarms`, { run, database, owned, email: config.alarms.email, region: config.region, tags });
    }

    // What runs resolves only from the pointer written once every service is steady: after a
    // failed deploy these outputs keep naming what ran before, and nothing promotes the failure.
    const afterSteady = <T>(value: T) => run.running.apply(() => value);
    const { added, changed, removed } = release.changes;
    return {
        url: run.url,
        /** What the services run (promotion reads this). */
        image: run.running.apply((p) => p.image ?? ""),
        platform: run.running.apply((p) => p.platform ?? config.build.platform),
        /** The newest migration the running release carries ("" when unknown); a promoting stack records it. */
        migrationHead: afterSteady(release.migrationHead ?? ""),
        runningRelease: run.running.apply((p) => p.running),
        previousRelease: run.running.apply((p) => p.previous ?? "none"),
        /** Config keys that differ between the previous and the running release (names only; values never shown). */
        changedKeys: afterSteady([...added, ...changed, ...removed].sort()),
        releaseChanges: afterSteady({ added, changed, removed, processes: release.changedProcesses }),
        /** What this deploy runs, known at preview: the PR view of a deploy. */
        plannedRelease: { running: release.runningId, previous: release.previousId ?? "none", pinned: config.release.pin ?? "none", newest: release.newestId },
        newestRelease: release.newestId,
        releaseDigest: release.digest,
        ledgerEntry: ledgerEntryName(parameterPath, release.runningId),
        databaseKind: database.kind,
        clusterName: run.clusterName,
        logGroup: run.logGroupName,
        /** What one-off tasks need (npm run ops -- run): the SSM record of the stack's running parts, and the task network. */
        opsRecord: opsRecordName(parameterPath),
        taskNetwork: run.taskNetwork,
        taskDefinitions: run.taskDefinitionArns,
    };
};

/** The release's keys from config, plain env and secrets (DATABASE_URL is added by the database). */
function configValues(config: StackConfig): { key: string; value: string; secret: boolean }[] {
    return [
        ...Object.entries(config.env).map(([key, value]) => ({ key, value, secret: false })),
        ...Object.entries(config.secrets).map(([key, value]) => ({ key, value, secret: true })),
    ];
}

/** What decides each key of a new release: its value, or for DATABASE_URL what determines it. */
function plannedValues(config: StackConfig, databaseDecidedBy: string): PlannedValue[] {
    return [...configValues(config).map(({ key, value, secret }) => ({ key, decidedBy: value, secret })), { key: "DATABASE_URL", decidedBy: databaseDecidedBy, secret: true }];
}

/** Every key of the newest release with its value. */
function releaseValues(config: StackConfig, database: Database): ReleaseValue[] {
    return [...configValues(config), { key: "DATABASE_URL", value: database.url, secret: true }];
}
