/** The backing database as the release sees it: DATABASE_URL's form and what decides it. */

/** The settings of each kind of backing database (the selected kind's block of `database`). */
export type DatabaseSettings = { engine: string; majorVersion: number } & (
    | { kind: "owned"; instanceClass: string; allocatedStorage: number; backupRetentionDays: number; multiAz: boolean; deletionProtection: boolean; allowDelete: boolean; username: string; passwordVersion: number }
    | { kind: "existing"; identifier: string; username: string; password: string; dbName: string; securityGroupId?: string }
    | { kind: "external"; url: string }
);

/** RDS serves TLS with its own CA; the app encrypts without shipping that bundle. */
export const rdsTls = "?sslmode=no-verify";

/** PostgreSQL's URL form; user and password are percent-encoded so any character survives. */
export function postgresUrl(user: string, password: string, host: string, port: number, dbName: string, query = ""): string {
    return `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${dbName}${query}`;
}

/** The port of a postgres URL (5432 when it names none). */
export function portOf(url: string): number {
    const port = new URL(url.replace(/^postgres(ql)?:/, "http:")).port;
    return port === "" ? 5432 : Number(port);
}

/**
 * What decides DATABASE_URL, known before deploying. For an owned instance: the identifier,
 * user and database name (a change replaces the instance, so a new endpoint), the major version,
 * and the password's version (a bump makes a new password). A change makes a new release
 * instead of rewriting a running one's URL. Hashed, never stored.
 */
export function databaseIdentity(settings: DatabaseSettings, identifier: string, dbName: string): string {
    switch (settings.kind) {
        case "owned":
            return `owned:${identifier}:${settings.username}@${dbName}:postgres${settings.majorVersion}:password-v${settings.passwordVersion}`;
        case "existing":
            return `existing:${settings.identifier}:${settings.username}:${settings.password}@${settings.dbName}`;
        case "external":
            return `external:${settings.url}`;
    }
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
