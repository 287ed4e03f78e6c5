// docker-compose.yml must run what the stacks run: the same image from app/, the same process
// commands, PostgreSQL of the same major version, and the same read-only filesystem.

import * as fs from "node:fs";
import * as path from "node:path";
import { load } from "js-yaml";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");

interface Service {
    image?: string;
    build?: string | { context: string };
    command?: string[];
    environment?: Record<string, string>;
    depends_on?: Record<string, { condition: string }>;
    read_only?: boolean;
    tmpfs?: string[];
    ports?: string[];
}

const compose = load(fs.readFileSync(path.join(ROOT, "docker-compose.yml"), "utf8")) as { services: Record<string, Service> };
const { db, migrate, web, worker } = compose.services;

describe("docker-compose.yml", () => {
    it("uses PostgreSQL major 15, as the stacks do", () => {
        expect(db.image).toMatch(/^postgres:15(-[a-z]+)?$/);
    });

    it.each([
        ["migrate", migrate, "src/migrate.js"],
        ["web", web, "src/web.js"],
        ["worker", worker, "src/worker.js"],
    ] as const)("runs %s from the app image as `node %s`, read-only with a writable /tmp", (_name, service, script) => {
        expect(service.build).toBe("./app");
        expect(service.command).toEqual(["node", script]);
        expect(fs.existsSync(path.join(ROOT, "app", script))).toBe(true);
        expect(service.read_only).toBe(true);
        expect(service.tmpfs).toEqual(["/tmp"]);
        expect(service.environment?.DATABASE_URL).toMatch(/^postgres:\/\/[^@]+@db:5432\//);
    });

    it("migrates before web and worker start, and only once the database is ready", () => {
        expect(migrate.depends_on).toEqual({ db: { condition: "service_healthy" } });
        expect(web.depends_on).toEqual({ migrate: { condition: "service_completed_successfully" } });
        expect(worker.depends_on).toEqual({ migrate: { condition: "service_completed_successfully" } });
    });

    it("publishes the web port that the image exposes, on loopback only", () => {
        expect(web.environment?.PORT).toBe("8080");
        expect(web.ports).toEqual(["127.0.0.1:8080:8080"]);
        expect(fs.readFileSync(path.join(ROOT, "app/Dockerfile"), "utf8")).toMatch(/^EXPOSE 8080$/m);
    });
});
