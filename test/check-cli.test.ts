import { spawnSync } from "child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import type { CheckDocument } from "../check/types";
import { projectRoot } from "./harness";

/**
 * `npm run check` as users and CI run it: a whole process with nothing but PATH and a fresh
 * HOME (no AWS credentials, no Pulumi CLI, no network), its exit codes, its report and its JSON
 * document (README.md "Offline check" documents the fields).
 */

const home = mkdtempSync(path.join(tmpdir(), "check-home-"));
const bare = { PATH: process.env.PATH!, HOME: home };

function check(args: string[], cwd = projectRoot) {
    const r = spawnSync(process.execPath, [path.join(projectRoot, "scripts/run-ts.js"), path.join(projectRoot, "check/main.ts"), ...args], { cwd, env: bare, encoding: "utf8", timeout: 120_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A project directory of its own: Pulumi.yaml and one stack file, based on dev's. */
function project(stack: string, edit: (dev: string) => string): string {
    const dir = mkdtempSync(path.join(tmpdir(), "check-project-"));
    copyFileSync(path.join(projectRoot, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), edit(readFileSync(path.join(projectRoot, "Pulumi.dev.yaml"), "utf8")));
    return dir;
}

describe("npm run check", () => {
    it.each(["dev", "prod"])("--stack %s: exits 0 with the plan, policies and cost, with only PATH and a fresh HOME", (stack) => {
        const r = spawnSync("npm", ["run", "check", "--", "--stack", stack], { cwd: projectRoot, env: bare, encoding: "utf8", timeout: 120_000 });
        expect(r.stderr).not.toMatch(/\bat .*\.(ts|js):\d+/);
        expect(r.status).toBe(0);
        for (const section of ["### Release plan", "### Processes", "### Permissions", "### Policies: 0 mandatory", "### Cost", "### Resources"]) expect(r.stdout).toContain(section);
        expect(r.stdout).toMatch(/\| total +\| +\| \$\d+\.\d\d/);
    });

    it("--all --json: one document with the documented fields", () => {
        const r = check(["--all", "--json"]);
        expect(r.status).toBe(0);
        const doc = JSON.parse(r.stdout) as CheckDocument;
        expect(Object.keys(doc)).toEqual(["schemaVersion", "ok", "exitCode", "strict", "stacks"]);
        expect(doc).toMatchObject({ schemaVersion: 1, ok: true, exitCode: 0, strict: false });
        expect(doc.stacks.map((s) => s.stack)).toEqual(["dev", "prod"]);
        for (const s of doc.stacks) {
            expect(Object.keys(s).sort()).toEqual(["config", "cost", "notes", "ok", "permissions", "policies", "processes", "region", "release", "resources", "stack", "stackFile"]);
            expect(Object.keys(s.config)).toEqual(["ok", "errors", "warnings", "secrets"]);
            expect(s.config.secrets).toEqual([{ key: "twelve-factor:secrets.SESSION_SECRET", state: "missing" }]);
            expect(Object.keys(s.release!)).toEqual(["release", "status", "previous", "pinned", "digest", "ledger", "image", "keys", "processesChanged"]);
            expect(s.release).toMatchObject({ release: "v1", status: "new", previous: null, pinned: null, digest: null, ledger: { given: false, entries: 0, newest: null }, keys: { added: ["DATABASE_URL", "LOG_LEVEL", "SESSION_SECRET", "WORKER_POLL_MS"], changed: [], removed: [], unknown: [] } });
            expect(Object.keys(s.resources!)).toEqual(["total", "groups"]);
            expect(Object.keys(s.processes![0])).toEqual(["process", "phase", "image", "cpu", "memory", "count", "capacity", "secrets", "environment"]);
            expect(s.processes!.find((p) => p.process === "web")).toMatchObject({ phase: "run", secrets: ["DATABASE_URL", "LOG_LEVEL", "SESSION_SECRET", "WORKER_POLL_MS"], environment: ["PORT"] });
            expect(s.permissions![0].role).toMatch(/\(ECS execution role\)$/);
            expect(s.permissions![0].statements[0]).toBe("Allow ecr:GetAuthorizationToken on *");
            expect(Object.keys(s.policies!)).toEqual(["mandatoryViolations", "advisoryViolations", "results"]);
            expect(Object.keys(s.cost!)).toEqual(["region", "currency", "known", "pricesAsOf", "hoursPerMonth", "monthlyTotal", "lines", "unpriced"]);
            expect(Object.keys(s.cost!.lines[0])).toEqual(expect.arrayContaining(["type", "driver", "quantity", "unit", "unitPrice", "monthly"]));
        }
        expect(doc.stacks[0].release!.image).toMatchObject({ source: "build", builds: true, simulated: true });
        expect(doc.stacks[1].release!.image).toMatchObject({ source: "promote", builds: false, simulated: true });
    });

    it("a plaintext secret: exit 1, the key named, the value never printed, no stack trace", () => {
        const dir = project("plain", (dev) => `${dev}  twelve-factor:secrets:\n    SESSION_SECRET: plain-text-canary-4711\n`);
        for (const args of [["--stack", "plain"], ["--stack", "plain", "--json"]]) {
            const r = check([...args, "--cwd", dir]);
            expect(r.status).toBe(1);
            expect(r.stdout).toContain("twelve-factor:secrets.SESSION_SECRET");
            expect(r.stdout).toContain("expected a secret, got a value stored in plain text in the stack file");
            expect(r.stdout + r.stderr).not.toContain("plain-text-canary-4711");
            expect(r.stderr).toBe("");
        }
    });

    it("a misspelt namespace and a bad value: exit 1, every problem named at once", () => {
        const dir = project("typo", (dev) => dev.replace("  twelve-factor:app: shop\n", "  twelve-factor:app: shop\n  twelve-factr:logLevel: debug\n").replace("logRetentionDays: 14", "logRetentionDays: 15"));
        const r = check(["--stack", "typo", "--cwd", dir]);
        expect(r.status).toBe(1);
        expect(r.stdout).toContain("- error: twelve-factr:logLevel: expected a key of a namespace this program reads");
        expect(r.stdout).toContain("- error: twelve-factor:logRetentionDays: expected one of");
        expect(r.stdout).not.toContain("### Release plan");
        expect(r.stderr).toBe("");
    });

    it("a required secret missing from the stack file: reported, and an error under --strict", () => {
        const lenient = check(["--stack", "dev"]);
        expect(lenient.status).toBe(0);
        expect(lenient.stdout).toContain("- warning: twelve-factor:secrets.SESSION_SECRET: required secret missing from Pulumi.dev.yaml: pulumi up would refuse it");
        const strict = check(["--stack", "dev", "--strict", "--markdown"]);
        expect(strict.status).toBe(1);
        expect(strict.stdout).toContain("- error: twelve-factor:secrets.SESSION_SECRET: required secret missing from Pulumi.dev.yaml");
        // Present and encrypted is fine under --strict: the value stays opaque.
        const dir = project("sealed", (dev) => `${dev}  twelve-factor:secrets:\n    SESSION_SECRET:\n      secure: v1:c2VhbGVkLWNpcGhlcnRleHQ=\n`);
        const sealed = check(["--stack", "sealed", "--strict", "--cwd", dir]);
        expect(sealed.status).toBe(0);
        expect(sealed.stdout).toContain("twelve-factor:secrets.SESSION_SECRET (encrypted)");
        expect(sealed.stdout).not.toContain("c2VhbGVkLWNpcGhlcnRleHQ=");
    });

    it("--markdown folds the resources for a job summary", () => {
        const r = check(["--stack", "dev", "--markdown"]);
        expect(r.status).toBe(0);
        expect(r.stdout).toMatch(/<details>\n<summary>Resources: \d+<\/summary>/);
    });

    it.each([
        [[], "give --stack <name> or --all"],
        [["--stack", "dev", "--all"], "give --stack <name> or --all"],
        [["--stack", "nope"], "no stack file Pulumi.nope.yaml"],
        [["--stack", "dev", "--frobnicate"], "unknown argument \"--frobnicate\""],
        [["--all", "--json", "--markdown"], "--json and --markdown exclude each other"],
        [["--all", "--ledger", "ledger.json"], "name the stack of each ledger"],
        [["--stack", "dev", "--ledger", "/nonexistent/ledger.json"], "--ledger /nonexistent/ledger.json: no such file"],
        [["--stack", "prod", "--stack-outputs", "dev.json"], "--stack-outputs takes <stack>=<file>"],
    ])("usage error %j: exit 2 with a message", (args, message) => {
        const r = check(args as string[]);
        expect(r.status).toBe(2);
        expect(r.stderr).toContain(message);
        expect(r.stdout).toBe("");
    });
});
