// docker-compose.yml must run what the stacks run: the same image from app/, the same process
// commands, PostgreSQL of the same major version, and the same read-only filesystem with /tmp a
// volume of each container's own. (test/app/compose-up.test.ts runs it.)

import * as fs from "node:fs";
import * as path from "node:path";
import { load } from "js-yaml";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");
const DOCKERFILE = fs.readFileSync(path.join(ROOT, "app/Dockerfile"), "utf8");

interface Service {
    image?: string;
    build?: string | { context: string };
    command?: string[];
    environment?: Record<string, string>;
    depends_on?: Record<string, { condition: string }>;
    read_only?: boolean;
    tmpfs?: string[];
    volumes?: string[];
    ports?: string[];
}

const compose = load(fs.readFileSync(path.join(ROOT, "docker-compose.yml"), "utf8")) as { services: Record<string, Service> };
const { db, migrate, web, worker } = compose.services;

describe("docker-compose.yml", () => {
    it("uses PostgreSQL major 15, as the stacks do", () => {
        expect(db.image).toMatch(/^postgres:15(-[a-z]+)?$/);
    });

    it.each([
        ["migrate", "src/migrate.js", migrate],
        ["web", "src/web.js", web],
        ["worker", "src/worker.js", worker],
    ] as const)("runs %s from the app image as `node %s`, read-only with the image's /tmp volume", (_name, script, service) => {
        expect(service.build).toBe("./app");
        expect(service.command).toEqual(["node", script]);
        expect(fs.existsSync(path.join(ROOT, "app", script))).toBe(true);
        expect(service.read_only).toBe(true);
        // As on ECS: /tmp is a fresh volume per container that takes the image's owner and mode,
        // not a tmpfs (always 1777, whatever the image says) nor a volume shared between services.
        expect(service.tmpfs).toBeUndefined();
        expect(service.volumes).toBeUndefined();
        expect(service.environment?.DATABASE_URL).toMatch(/^postgres:\/\/[^@]+@db:5432\//);
        // The stacks deliver SESSION_SECRET to every process; here a value that says what it is.
        expect(service.environment?.SESSION_SECRET).toMatch(/local-only/);
        expect(service.environment?.SESSION_SECRET.length).toBeGreaterThanOrEqual(32);
    });

    it("relies on the image declaring /tmp a volume owned by the app user", () => {
        const volume = DOCKERFILE.search(/^VOLUME \/tmp$/m);
        const chown = DOCKERFILE.search(/^RUN chown 1000:1000 \/tmp && chmod 1777 \/tmp$/m);
        expect(chown).toBeGreaterThan(0);
        expect(volume).toBeGreaterThan(chown);
    });

    it("migrates before web and worker start, and only once the database is ready", () => {
        expect(migrate.depends_on).toEqual({ db: { condition: "service_healthy" } });
        expect(web.depends_on).toEqual({ migrate: { condition: "service_completed_successfully" } });
        expect(worker.depends_on).toEqual({ migrate: { condition: "service_completed_successfully" } });
    });

    it("publishes the web port that the image exposes, on loopback only (WEB_PORT, default 8080)", () => {
        expect(web.environment?.PORT).toBe("8080");
        expect(web.ports).toEqual(["127.0.0.1:${WEB_PORT:-8080}:8080"]);
        expect(DOCKERFILE).toMatch(/^EXPOSE 8080$/m);
    });
});
