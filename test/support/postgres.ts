// A real, throwaway PostgreSQL server for one test file: its own data directory in a temp dir,
// its own free port on 127.0.0.1, password authentication, stopped and removed afterwards.

import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { onPath } from "./executables";

const INSTALL_HINT = "install the PostgreSQL server: apt-get install -y postgresql";

export interface PostgresServer {
    /** postgres://postgres:<password>@127.0.0.1:<port>/postgres */
    readonly url: string;
    readonly port: number;
    readonly password: string;
    /** Major version of the server binaries, e.g. 15. */
    readonly major: number;
    /** Creates a database and returns its URL, so that test files can share nothing. */
    createDatabase(name: string): Promise<string>;
    /** Stops the server (fast shutdown, closes client connections); the data stays. */
    stop(): void;
    /** Starts a stopped server again on the same port with the same data. */
    start(): void;
    /** Stops the server and deletes its directory. */
    destroy(): void;
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.unref();
        srv.on("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const addr = srv.address();
            if (addr === null || typeof addr === "string") {
                srv.close();
                reject(new Error("could not read the port of a probe socket"));
                return;
            }
            srv.close(() => resolve(addr.port));
        });
    });
}

interface Binaries {
    initdb: string;
    pgCtl: string;
    major: number;
}

/** initdb and pg_ctl from PATH, else from Debian's /usr/lib/postgresql/<major>/bin (15 first). */
export function findPostgresBinaries(): Binaries {
    const candidates: string[] = [];
    const initdbOnPath = onPath("initdb");
    if (initdbOnPath !== undefined) candidates.push(path.dirname(fs.realpathSync(initdbOnPath)));
    const debian = "/usr/lib/postgresql";
    if (fs.existsSync(debian)) {
        const majors = fs.readdirSync(debian).filter((d) => /^[0-9]+$/.test(d)).map(Number);
        majors.sort((a, b) => (a === 15 ? -1 : b === 15 ? 1 : b - a));
        for (const m of majors) candidates.push(path.join(debian, String(m), "bin"));
    }
    for (const dir of candidates) {
        const initdb = path.join(dir, "initdb");
        const pgCtl = path.join(dir, "pg_ctl");
        if (fs.existsSync(initdb) && fs.existsSync(pgCtl) && fs.existsSync(path.join(dir, "postgres"))) {
            const version = execFileSync(initdb, ["--version"], { encoding: "utf8" });
            const m = /\b([0-9]+)(?:\.[0-9]+)?/.exec(version);
            if (m === null) throw new Error(`cannot read the PostgreSQL version from: ${version.trim()}`);
            return { initdb, pgCtl, major: Number(m[1]) };
        }
    }
    throw new Error(`PostgreSQL server binaries (initdb, pg_ctl, postgres) are not on PATH or under ${debian}/<major>/bin: ${INSTALL_HINT}`);
}

interface RunAs {
    /** Prefix that runs a command as the server's owner. */
    prefix: string[];
    uid: number;
    gid: number;
}

// initdb refuses to run as root, so as root the server runs as the `postgres` user that the
// Debian package creates; as any other user it runs as that user.
function serverUser(): RunAs {
    const uid = process.getuid?.() ?? -1;
    if (uid !== 0) return { prefix: [], uid, gid: process.getgid?.() ?? -1 };
    let ids: string[];
    try {
        ids = [execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }), execFileSync("id", ["-g", "postgres"], { encoding: "utf8" })];
    } catch {
        throw new Error(`running as root, but there is no 'postgres' user to run the server as: ${INSTALL_HINT}`);
    }
    const runuser = onPath("runuser") ?? ["/usr/sbin/runuser", "/sbin/runuser"].find((p) => fs.existsSync(p));
    if (runuser === undefined) throw new Error("running as root, but runuser is missing: apt-get install -y util-linux");
    return { prefix: [runuser, "-u", "postgres", "--"], uid: Number(ids[0].trim()), gid: Number(ids[1].trim()) };
}

function run(user: RunAs, argv: string[], what: string): void {
    const [cmd, ...args] = [...user.prefix, ...argv];
    const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 120_000 });
    if (r.status !== 0) {
        throw new Error(`${what} failed (exit ${String(r.status)}${r.error ? `, ${r.error.message}` : ""}):\n${r.stdout}\n${r.stderr}`);
    }
}

export interface StartOptions {
    /** Serve TLS with a throwaway self-signed certificate (as RDS does), via openssl. */
    ssl?: boolean;
}

export async function startPostgres(options: StartOptions = {}): Promise<PostgresServer> {
    const bins = findPostgresBinaries();
    const user = serverUser();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pg-test-"));
    const dataDir = path.join(dir, "data");
    const socketDir = path.join(dir, "sock");
    const logFile = path.join(dir, "server.log");
    const pwFile = path.join(dir, "pwfile");
    // Characters that need URL encoding prove that the app decodes DATABASE_URL correctly.
    const password = `pw-${randomBytes(9).toString("base64url")}+%!`;
    fs.mkdirSync(socketDir);
    fs.writeFileSync(pwFile, password + "\n", { mode: 0o600 });
    for (const p of [dir, socketDir, pwFile]) fs.chownSync(p, user.uid, user.gid);

    try {
        run(user, [bins.initdb, "-D", dataDir, "-U", "postgres", "--auth=scram-sha-256", `--pwfile=${pwFile}`, "-E", "UTF8", "--locale=C", "--no-sync"], "initdb");
    } catch (err) {
        fs.rmSync(dir, { recursive: true, force: true });
        throw err;
    }
    fs.rmSync(pwFile);
    const port = await freePort();
    // Durability settings are off: the data is thrown away and the tests run faster.
    let serverOptions = `-p ${port} -k ${socketDir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
    if (options.ssl) {
        const cert = path.join(dir, "server.crt");
        const key = path.join(dir, "server.key");
        const r = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-subj", "/CN=127.0.0.1", "-days", "2"], { encoding: "utf8" });
        if (r.status !== 0) throw new Error(`openssl could not make a test certificate (apt-get install -y openssl): ${r.stderr ?? r.error?.message}`);
        // The server refuses a key that others can read.
        fs.chmodSync(key, 0o600);
        for (const p of [cert, key]) fs.chownSync(p, user.uid, user.gid);
        serverOptions += ` -c ssl=on -c ssl_cert_file=${cert} -c ssl_key_file=${key}`;
    }

    let running = false;
    const start = (): void => {
        run(user, [bins.pgCtl, "-D", dataDir, "-l", logFile, "-o", serverOptions, "-w", "-t", "60", "start"], `starting PostgreSQL (log: ${logFile})`);
        running = true;
    };
    const stop = (): void => {
        run(user, [bins.pgCtl, "-D", dataDir, "-m", "fast", "-w", "-t", "60", "stop"], "stopping PostgreSQL");
        running = false;
    };
    start();

    const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
    return {
        url,
        port,
        password,
        major: bins.major,
        async createDatabase(name: string): Promise<string> {
            if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unsafe database name: ${name}`);
            const { Client } = await import("pg");
            const client = new Client({ connectionString: url });
            await client.connect();
            try {
                await client.query(`CREATE DATABASE ${name}`);
            } finally {
                await client.end();
            }
            return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${name}`;
        },
        stop,
        start,
        destroy(): void {
            try {
                if (running) {
                    run(user, [bins.pgCtl, "-D", dataDir, "-m", "immediate", "-w", "-t", "60", "stop"], "stopping PostgreSQL");
                    running = false;
                }
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        },
    };
}
