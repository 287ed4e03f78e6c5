// The stacks hand the app DATABASE_URL=postgresql://…?sslmode=no-verify for RDS: TLS to the
// database, without a CA bundle in the image. The same URL form must work here, over TLS.

import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startPostgres, type PostgresServer } from "../support/postgres";
import { killApp, request, runApp, SESSION_SECRET, startApp, type AppProcess } from "./harness";

let pg: PostgresServer;
let web: AppProcess | undefined;

beforeAll(async () => {
    pg = await startPostgres({ ssl: true });
});

afterAll(async () => {
    await killApp(web);
    pg?.destroy();
});

describe("DATABASE_URL with sslmode=no-verify", () => {
    it("migrates and serves over an encrypted database connection", async () => {
        const url = `${(await pg.createDatabase("tls_test")).replace(/^postgres:/, "postgresql:")}?sslmode=no-verify`;
        const migrated = await runApp("migrate", { DATABASE_URL: url });
        expect(migrated.code, migrated.output).toBe(0);

        const port = await freePort();
        web = startApp("web", { DATABASE_URL: url, PORT: String(port), SESSION_SECRET });
        await web.waitForLog((l) => l.msg === "listening");
        expect((await request(port, "GET", "/healthz")).status).toBe(200);
        expect((await request(port, "POST", "/jobs", { body: { kind: "sha256", input: { text: "tls" } } })).status).toBe(201);

        const admin = new Client({ connectionString: pg.url });
        await admin.connect();
        const { rows } = await admin.query<{ ssl: boolean }>(
            "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'twelve-factor-web'",
        );
        await admin.end();
        expect(rows.length).toBeGreaterThan(0);
        expect(rows.every((r) => r.ssl)).toBe(true);
        expect(web.output()).not.toContain(pg.password);
    });
});
