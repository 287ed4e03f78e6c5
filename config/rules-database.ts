import { partitionOf } from "./aws";
import { reservedDatabaseReason, reservedRoleReason } from "./postgres";
import { projectKey as P, type Path, type Reporter } from "./report";
import type { RuleInput } from "./rule-input";
import { maxValueBytes, postgresMajorVersions } from "./schema";

/** Rules of the backing database: the selected kind's block, reserved names, DATABASE_URL's size. */

export function database(r: Reporter, { c }: RuleInput): void {
    const db = c.database;
    if (db === undefined) return;
    const key = P("database");
    const show = (path: Path, v: unknown) => r.show(key, path, v);
    if (db.engine !== "postgres") {
        r.add(key, ["engine"], `expected "postgres" (a PostgreSQL server; SQLite and other engines are not supported), got ${show(["engine"], db.engine)}`);
    }
    if (!(postgresMajorVersions as readonly number[]).includes(db.majorVersion)) {
        r.add(key, ["majorVersion"], `expected a PostgreSQL major version RDS offers (${postgresMajorVersions.join(", ")}), got ${show(["majorVersion"], db.majorVersion)}`);
    }
    if (db.kind === "existing" && db.existing === undefined) {
        r.add(key, ["existing"], "expected {identifier, username, dbName, password} for kind existing (password: pulumi config set --secret --path database.existing.password <value>), got nothing");
    }
    if (db.kind === "external" && db.external === undefined) {
        r.add(key, ["external", "url"], "expected the server's URL for kind external: run pulumi config set --secret --path database.external.url <postgresql://…>, got nothing");
    }

    // AWS refuses to delete an instance with deletion protection, so a destroy (or a swap) that
    // allowDelete lets Pulumi start would fail half-way, after the services are gone.
    if (db.owned.allowDelete && db.owned.deletionProtection) {
        r.add(key, ["owned", "allowDelete"], "expected deletionProtection: false beside allowDelete: true (AWS refuses to delete a protected instance, so a destroy would stop half-way), got deletionProtection: true");
    }

    const masterReason = reservedRoleReason(db.owned.username, { master: true });
    if (masterReason !== undefined) r.add(key, ["owned", "username"], `expected a master user name RDS can create (${masterReason}), got ${show(["owned", "username"], db.owned.username)}`);

    if (db.existing !== undefined) {
        const e = db.existing;
        const userReason = reservedRoleReason(e.username, { master: false });
        if (userReason !== undefined) r.add(key, ["existing", "username"], `expected a role the app can log in as (${userReason}), got ${show(["existing", "username"], e.username)}`);
        const dbReason = reservedDatabaseReason(e.dbName, { created: false });
        if (dbReason !== undefined) r.add(key, ["existing", "dbName"], `expected the app's database (${dbReason}), got ${show(["existing", "dbName"], e.dbName)}`);
        if (c.region !== undefined) {
            // DATABASE_URL is one SSM parameter: user and password percent-encoded, the instance's endpoint.
            const host = `${e.identifier}.${"0".repeat(12)}.${c.region}.rds.amazonaws.com${partitionOf(c.region) === "aws-cn" ? ".cn" : ""}`;
            const url = `postgresql://${encodeURIComponent(e.username)}:${encodeURIComponent(e.password)}@${host}:65535/${e.dbName}?sslmode=no-verify`;
            if (Buffer.byteLength(url) > maxValueBytes) {
                r.add(key, ["existing", "password"], `expected a password short enough for DATABASE_URL (user and password percent-encoded, the instance's endpoint) to fit one SSM parameter of ${maxValueBytes} bytes, got ${show(["existing", "password"], e.password)} that makes it about ${Buffer.byteLength(url)} bytes`);
            }
        }
    }
    if (db.external !== undefined) {
        const problem = externalUrlProblem(db.external.url);
        if (problem !== undefined) r.add(key, ["external", "url"], `${problem} (the URL is secret and not shown)`);
    }
}

/** What is wrong with an external database URL, without quoting any of it. */
export function externalUrlProblem(url: string): string | undefined {
    const m = /^postgres(?:ql)?:\/\/([^/?#]*)(\/[^?#]*)?(\?[^#]*)?(#.*)?$/.exec(url);
    if (!m) return "expected postgresql://[user[:password]@]host[:port]/database";
    const authority = m[1];
    const at = authority.lastIndexOf("@");
    const userinfo = at >= 0 ? authority.slice(0, at) : "";
    const hostPort = authority.slice(at + 1);
    if (hostPort.includes(",")) return "expected one host: the stack opens the database port to one server, got a list of hosts";
    let host: string;
    let port: string | undefined;
    if (hostPort.startsWith("[")) {
        const end = hostPort.indexOf("]");
        if (end < 0) return "expected a closing ] after the IPv6 address";
        host = hostPort.slice(0, end + 1);
        const rest = hostPort.slice(end + 1);
        if (rest !== "" && !rest.startsWith(":")) return "expected :<port> or nothing after the IPv6 address";
        port = rest === "" ? undefined : rest.slice(1);
    } else {
        const colon = hostPort.lastIndexOf(":");
        host = colon >= 0 ? hostPort.slice(0, colon) : hostPort;
        port = colon >= 0 ? hostPort.slice(colon + 1) : undefined;
    }
    if (host === "" || host === "[]") return "expected a host in the URL, got none";
    const label = "[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?";
    if (!new RegExp(`^(\\[[0-9A-Fa-f:.]+\\]|${label}(?:\\.${label})*\\.?)$`).test(host) || host.length > 255) return "expected a host name or IP address in the URL";
    if (port !== undefined) {
        if (port === "") return "expected a port from 1 to 65535 after the colon in the URL, got an empty port";
        if (!/^[0-9]+$/.test(port)) return "expected a port from 1 to 65535 in the URL, got a port that is not a number";
        if (Number(port) < 1 || Number(port) > 65535) return "expected a port from 1 to 65535 in the URL, got a port outside that range";
    }
    if (/^(localhost|127(\.[0-9]+){3}|\[::1\]|0\.0\.0\.0)\.?$/i.test(host)) return "expected a host the tasks can reach, got a loopback address (the database does not run inside the task)";
    if (m[4] !== undefined) return "expected no #fragment in the URL";
    const dbName = (m[2] ?? "").slice(1);
    if (dbName === "") return "expected a database name in the URL (postgresql://host/<database>), got none";
    if (dbName.includes("/")) return "expected one path segment in the URL, the database name";
    try {
        for (const part of [userinfo, dbName, m[3] ?? ""]) decodeURIComponent(part);
    } catch {
        return "expected valid percent-encoding (%XX) in the URL";
    }
    try {
        // The same parse the database component uses for the port.
        new URL(url.replace(/^postgres(ql)?:/, "http:"));
    } catch {
        return "expected a URL that parses (host, port and percent-encoding)";
    }
    return undefined;
}

