import { createHash } from "crypto";
import { logStreamPrefix, type OpsRecord } from "../../../lib/ops-record";
import type { LedgerEntry } from "../../../release/ledger";
import type { FakeAws } from "./server";

/**
 * A deployed stack as the program leaves it in AWS: per release its parameters
 * (`releases/vN/<KEY>`, secrets as SecureString) and ledger entry, one task definition per
 * process tagged with the release, the running pointer, the ops record and the log group.
 */
export interface SeedOptions {
    app?: string;
    stack?: string;
    releases: number;
    running?: string;
    previous?: string;
    /** Per release number: plain values (a changed value makes a changed key). */
    env?: (n: number) => Record<string, string>;
    secrets?: (n: number) => Record<string, string>;
    migrationHead?: (n: number) => string | undefined;
    image?: (n: number) => string;
    written?: (n: number) => Date;
    execEnabled?: boolean;
}

export const processes = {
    web: { command: ["node", "src/web.js"], port: 8080, healthCheckPath: "/healthz", phase: "run" as const },
    worker: { command: ["node", "src/worker.js"], healthCheckPath: "/healthz", phase: "run" as const },
    migrate: { command: ["node", "src/migrate.js"], healthCheckPath: "/healthz", phase: "release" as const },
};

const hash = (v: string) => createHash("sha256").update(v).digest("hex").slice(0, 16);

export function seedStack(fake: FakeAws, o: SeedOptions): { path: string; cluster: string; group: string; record: OpsRecord } {
    const app = o.app ?? "shop";
    const stack = o.stack ?? "dev";
    const path = `/${app}/${stack}`;
    const cluster = `${app}-${stack}-cluster-1a2b3c4`;
    const group = `/ecs/${app}-${stack}`;
    fake.ecs.clusters.add(cluster);
    fake.logs.addGroup(group);
    const arns: Record<string, Record<string, string>> = {};
    for (let n = 1; n <= o.releases; n++) {
        const id = `v${n}`;
        const env = o.env?.(n) ?? { LOG_LEVEL: "info", WORKER_POLL_MS: "2000" };
        const secrets = o.secrets?.(n) ?? { SESSION_SECRET: `secret-value-${n}`, DATABASE_URL: `postgresql://app:pw${n}@db:5432/shop` };
        const written = o.written?.(n) ?? new Date(Date.UTC(2026, 10, 1) + n * 3_600_000);
        for (const [k, v] of Object.entries(env)) fake.ssm.put(`${path}/releases/${id}/${k}`, v, { LastModifiedDate: written });
        for (const [k, v] of Object.entries(secrets)) fake.ssm.put(`${path}/releases/${id}/${k}`, v, { Type: "SecureString", LastModifiedDate: written });
        const image = o.image?.(n) ?? `123456789012.dkr.ecr.eu-west-1.amazonaws.com/${app}-${stack}-build-repo@sha256:${hash(`image-${n}`).repeat(4)}`;
        const entry: LedgerEntry = {
            id, digest: hash(`digest-${n}`).repeat(4), image,
            keys: Object.fromEntries([...Object.entries(env), ...Object.entries(secrets)].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, hash(v)])),
            secretKeys: Object.keys(secrets).sort(), processes, build: `source:${hash(`build-${n}`)}`, built: true,
            ...(o.migrationHead?.(n) === undefined ? {} : { migrationHead: o.migrationHead!(n) }),
        };
        fake.ssm.put(`${path}/ledger/${id}`, JSON.stringify(entry), { LastModifiedDate: written, LastModifiedUser: `arn:aws:sts::123456789012:assumed-role/deploy/run-${n}` });
        arns[id] = {};
        for (const p of Object.keys(processes)) {
            const containers = (p === "migrate" ? ["migrate"] : ["migrate", p]).map((name) => ({
                name, logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": group, "awslogs-region": "eu-west-1", "awslogs-stream-prefix": logStreamPrefix(name, id) } },
            }));
            arns[id][p] = fake.ecs.register(`${app}-${stack}-${p}`, containers, { release: id, process: p });
        }
    }
    const running = o.running ?? `v${o.releases}`;
    const previous = o.previous ?? (o.releases > 1 && o.running === undefined ? `v${o.releases - 1}` : undefined);
    fake.ssm.put(`${path}/running`, JSON.stringify({ running, ...(previous ? { previous } : {}), image: "x", platform: "linux/amd64" }));
    fake.ssm.put(`${path}/database`, JSON.stringify({ identifier: `${app}-${stack}-db` }));
    const record: OpsRecord = {
        region: "eu-west-1", cluster, logGroup: group, release: running,
        processes: Object.fromEntries(Object.keys(processes).map((p) => [p, { family: `${app}-${stack}-${p}`, ...(p === "migrate" ? {} : { service: `${app}-${stack}-${p}-9f8e7d6` }), taskDefinitionArn: arns[running][p], container: p }])),
        network: { subnets: ["subnet-0b000001", "subnet-0b000002"], securityGroups: ["sg-0123456789abcdef0"], assignPublicIp: false },
        execEnabled: o.execEnabled ?? false,
    };
    fake.ssm.put(`${path}/ops`, JSON.stringify(record));
    return { path, cluster, group, record };
}
