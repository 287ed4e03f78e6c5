import * as aws from "@pulumi/aws";
import { databaseRecordName, type DatabaseSettings, type OwnedInstanceRecord } from "../lib/database";

/** What the stack needs to know of an RDS instance it does not own. */
export interface ExistingInstance {
    address: string;
    port: number;
    engine: string;
    engineVersion: string;
}

/** What the stack's own records say (read with the release history). */
export interface DatabaseHistory {
    /** Parameters directly below the stack's path, by name. */
    records: Record<string, string>;
    /** Whether the stack has run since it was last created (the running pointer exists). */
    stackHasRun: boolean;
}

/**
 * Reads and checks the database before anything is declared: an adopted instance must exist
 * and match the major version; an owned one must not collide with an instance the stack does
 * not hold, nor be downgraded; a protected owned instance may not be swapped away.
 * Returns the adopted instance for kind `existing`.
 */
export async function lookUpDatabase(settings: DatabaseSettings, identifier: string, parameterPath: string, history: DatabaseHistory): Promise<ExistingInstance | undefined> {
    const recorded = history.records[databaseRecordName(parameterPath)];
    const record = recorded === undefined ? undefined : JSON.parse(recorded) as OwnedInstanceRecord;
    checkSwapAway(settings.kind, record, databaseRecordName(parameterPath));
    switch (settings.kind) {
        case "existing": {
            const found = await aws.rds.getInstance({ dbInstanceIdentifier: settings.identifier });
            const instance = { address: found.address, port: found.port, engine: found.engine, engineVersion: found.engineVersion };
            checkExistingInstance(settings.identifier, settings.majorVersion, instance);
            return instance;
        }
        case "owned": {
            const found = await aws.rds.getInstances({ filters: [{ name: "db-instance-id", values: [identifier] }] });
            const instance = found.instanceIdentifiers.length === 0 ? undefined : await aws.rds.getInstance({ dbInstanceIdentifier: identifier });
            checkOwnedInstance({ identifier, majorVersion: settings.majorVersion, found: instance, record, stackHasRun: history.stackHasRun });
            return undefined;
        }
        case "external":
            return undefined;
    }
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
export function checkSwapAway(kind: DatabaseSettings["kind"], record: OwnedInstanceRecord | undefined, recordName: string): void {
    if (kind === "owned" || record === undefined || !record.protected) return;
    throw new Error(`twelve-factor:database.kind: this stack owns RDS instance ${record.identifier}, protected against deletion, so swapping to ${kind} would fail half-way. ` +
        `To delete it (a final snapshot is taken): first pulumi up with database.owned.allowDelete: true and kind still owned, then swap. ` +
        `To keep it outside the stack: pulumi state unprotect and pulumi state delete its instance, delete the parameter ${recordName}, then swap (attach it later as kind existing).`);
}
