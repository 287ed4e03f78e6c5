import { mkdirSync, mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { byLeadingNumber, migrationHeadOf, readMigrationHead } from "./migrations";

function context(files: Record<string, string>): string {
    const dir = mkdtempSync(path.join(tmpdir(), "migrations-"));
    for (const [name, text] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        writeFileSync(path.join(dir, name), text);
    }
    return dir;
}

describe("the migration head a build context carries", () => {
    it("is the newest file in a migrations directory, by leading number (sequence or timestamp)", () => {
        expect(readMigrationHead(context({ "db/migrations/9_b.sql": "", "db/migrations/10_a.sql": "", "db/migrations/2_c.sql": "", "src/app.js": "" }))).toBe("10_a");
        expect(readMigrationHead(context({ "migrations/20240101120000_init.rb": "", "migrations/20250301090000_add.rb": "" }))).toBe("20250301090000_add");
        // Prisma: one directory per migration.
        expect(readMigrationHead(context({ "prisma/migrations/20240101_init/migration.sql": "", "prisma/migrations/20240202_x/migration.sql": "", "prisma/migrations/migration_lock.toml": "" }))).toBe("20240202_x");
    });

    it("is the highest id of a migrations module (the sample app's convention)", () => {
        const module = "module.exports = [\n  { id: 1, name: 'create_jobs', sql: `x` },\n  { id: 12, name: 'add_index', sql: `y` },\n  { id: 3, name: 'z' },\n];\n";
        expect(readMigrationHead(context({ "src/migrations.js": module }))).toBe("12_add_index");
        expect(readMigrationHead(context({ "migrations.json": JSON.stringify([{ id: 4, name: "a" }, { id: 5 }]) }))).toBe("5");
        expect(readMigrationHead(path.join(__dirname, "..", "app"))).toMatch(/^\d+_[a-z_]+$/);
    });

    it("is unknown without either, and ignores node_modules and hidden directories", () => {
        expect(readMigrationHead(context({ "src/web.js": "", "node_modules/x/migrations/1_a.js": "", ".git/migrations/2_b": "" }))).toBeUndefined();
    });

    it("of a promoted image is what the stack it comes from recorded; of an image by reference, unknown", () => {
        const image = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/r@sha256:${"a".repeat(64)}`;
        expect(migrationHeadOf({ kind: "image", image, platform: "linux/amd64" }, "/", { image, migrationHead: "7_x" })).toBe("7_x");
        expect(migrationHeadOf({ kind: "image", image, platform: "linux/amd64" }, "/", undefined)).toBeUndefined();
        expect(migrationHeadOf(undefined, "/", undefined)).toBeUndefined();
    });

    it("orders by number before name", () => {
        expect(["10_a", "9_z", "x", "9_a"].sort(byLeadingNumber)).toEqual(["x", "9_a", "9_z", "10_a"]);
    });
});
