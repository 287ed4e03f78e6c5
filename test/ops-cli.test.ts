import { execFile } from "child_process";
import * as path from "path";
import { promisify } from "util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commands } from "../ops/help";
import { project, startFake } from "./support/fake-aws/ops-harness";
import { seedStack } from "./support/fake-aws/seed";
import type { FakeAws } from "./support/fake-aws/server";

/**
 * `npm run ops` as an operator types it: a process of its own, configured only by the
 * standard AWS environment, against the fake endpoint.
 */

const root = path.join(__dirname, "..");
const run = promisify(execFile);
let fake: FakeAws;
beforeAll(async () => {
    fake = await startFake();
    seedStack(fake, { releases: 4 });
});
afterAll(() => fake.stop());

/** A clean environment: no credentials or region unless given, never the instance metadata service. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
        PATH: process.env.PATH, HOME: process.env.HOME,
        AWS_EC2_METADATA_DISABLED: "true", AWS_CONFIG_FILE: "/nonexistent/aws-config", AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/aws-credentials",
        ...extra,
    };
}

async function cli(args: string[], cwd = root, extra: Record<string, string> = {}, npm = false): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
        const { stdout, stderr } = npm
            ? await run("npm", ["run", "--silent", "ops", "--", ...args], { cwd, env: env(extra) })
            : await run(process.execPath, [path.join(root, "scripts", "run-ts.js"), path.join(root, "ops", "main.ts"), ...args], { cwd, env: env(extra) });
        return { code: 0, stdout, stderr };
    } catch (e) {
        const error = e as { code: number; stdout: string; stderr: string };
        return { code: error.code, stdout: error.stdout, stderr: error.stderr };
    }
}

describe("npm run ops", () => {
    it("--help documents every command and option; each command's --help documents its own", async () => {
        const help = await cli(["--help"], root, {}, true);
        expect(help.code).toBe(0);
        for (const command of ["releases", "release <id>", "rollback <id> | --clear", "run <process>", "logs [process]", "exec <process>", "prune --keep <N>"]) expect(help.stdout).toContain(command);
        expect(help.stdout).toContain("--stack <name>");
        for (const [name, text] of Object.entries(commands)) {
            const own = await cli([name, "--help"]);
            expect(own.code, name).toBe(0);
            expect(own.stdout).toBe(text);
        }
        for (const option of ["--deploy", "--dry-run", "--clear", "--yes", "--release <id>", "--timeout", "--since", "--follow", "--task", "--keep", "--older-than", "--no-count", "--json"]) {
            expect(Object.values(commands).join("\n"), option).toContain(option);
        }
    });

    it("lists releases with only the standard AWS environment (AWS_ENDPOINT_URL, keys)", async () => {
        const dir = project();
        const { code, stdout } = await cli(["releases", "--stack", "dev"], dir, { AWS_ENDPOINT_URL: fake.url, AWS_ACCESS_KEY_ID: "AKIAFAKE", AWS_SECRET_ACCESS_KEY: "x" });
        expect(code).toBe(0);
        expect(stdout).toMatch(/^v4\s.*running/m);
        expect(stdout).toMatch(/^v3\s.*previous/m);
        // The stack file's region signs the calls.
        expect(fake.calls.every((c) => c.region === "eu-west-1")).toBe(true);
    });

    it("says what to do without credentials, for an unknown command or option, and for a missing stack file", async () => {
        const none = await cli(["releases", "--stack", "dev"], project(), { AWS_ENDPOINT_URL: fake.url });
        expect(none.code).toBe(2);
        expect(none.stderr).toContain("ops releases: no AWS credentials found");
        expect(none.stderr).toContain("AWS_PROFILE");
        const unknown = await cli(["deploy"]);
        expect(unknown.code).toBe(2);
        expect(unknown.stderr).toContain('unknown command "deploy"');
        const option = await cli(["prune", "--keep", "2", "--force", "--stack", "dev"]);
        expect(option.code).toBe(2);
        expect(option.stderr).toContain("--force");
        const file = await cli(["releases", "--stack", "qa"]);
        expect(file.stderr).toContain("no stack file Pulumi.qa.yaml");
        expect(file.stderr).toContain("dev, prod");
    });
});
