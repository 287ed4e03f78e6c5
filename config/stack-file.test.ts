import * as pulumi from "@pulumi/pulumi";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import * as yaml from "js-yaml";
import { tmpdir } from "os";
import * as path from "path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig, parseConfig, type ParseOptions } from ".";
import { findProjectDirectory, readStackFile, stackFilePaths } from "./stack-file";
import { engineConfig, projectRoot, readStackConfig, type ConfigOverrides } from "../test/support/stack-config";

/**
 * Pulumi reports secrecy per top-level key; the stack file tells it per value. A value that
 * must be secret is refused when the stack file holds it in plain text, even when another
 * value beside it makes the whole key secret.
 */

const secure = (s: string) => ({ secure: `v1:${Buffer.from(s).toString("base64")}` });
const devFileText = readFileSync(path.join(projectRoot, "Pulumi.dev.yaml"), "utf8");
const devFile = () => yaml.load(devFileText) as { config: Record<string, unknown> };
const devDatabase = readStackConfig("dev").config["twelve-factor:database"] as Record<string, unknown>;

function parse(o: Partial<ConfigOverrides>, options: ParseOptions = {}): ConfigError | undefined {
    const { config, secretKeys } = engineConfig({ stack: "dev", ...o });
    try {
        parseConfig(config, "dev", { secretTopLevelKeys: secretKeys, ...options });
        return undefined;
    } catch (e) {
        if (e instanceof ConfigError) return e;
        throw e;
    }
}

/** The dev stack file with extra `config:` entries. */
function stackFileWith(extra: Record<string, unknown>) {
    const file = devFile();
    return { ...file, config: { ...file.config, ...extra } };
}

const plaintext = (key: string) => `expected a secret, got a value stored in plain text in the stack file: set it again with pulumi config set --secret --path '${key}' <value>`;
const twoSecrets = { secretKeys: ["SESSION_SECRET", "API_TOKEN"] };

describe("secret values, per value in the stack file", () => {
    it("refuses a plaintext value under secrets although another value makes the key secret", () => {
        const error = parse({ config: twoSecrets, secrets: { SESSION_SECRET: "s-1", API_TOKEN: "t-1" } }, {
            stackFile: stackFileWith({ "twelve-factor:secrets": { SESSION_SECRET: secure("s-1"), API_TOKEN: "t-1" } }),
        });
        expect(error?.problems).toEqual([{ key: "twelve-factor:secrets.API_TOKEN", message: plaintext("secrets.API_TOKEN") }]);
    });

    it("accepts secrets that are all secure: ciphertext, or one secure: value for the whole key", () => {
        expect(parse({ config: twoSecrets, secrets: { SESSION_SECRET: "s-1", API_TOKEN: "t-1" } }, {
            stackFile: stackFileWith({ "twelve-factor:secrets": { SESSION_SECRET: secure("s-1"), API_TOKEN: secure("t-1") } }),
        })).toBeUndefined();
        expect(parse({ config: twoSecrets, secrets: { SESSION_SECRET: "s-1", API_TOKEN: "t-1" } }, {
            stackFile: stackFileWith({ "twelve-factor:secrets": secure('{"SESSION_SECRET":"s-1","API_TOKEN":"t-1"}') }),
        })).toBeUndefined();
    });

    it("refuses a plaintext external URL, and a plaintext password of a block not in use", () => {
        const database = { ...devDatabase, existing: { identifier: "legacy", username: "u", dbName: "d", password: "pw" }, external: { url: "postgresql://db.example.com/shop" } };
        const error = parse({ config: { database } }, {
            stackFile: stackFileWith({ "twelve-factor:database": { ...database, existing: { ...database.existing, password: "pw" }, external: { url: secure(database.external.url) } } }),
        });
        expect(error?.problems).toEqual([{ key: "twelve-factor:database.existing.password", message: plaintext("database.existing.password") }]);
    });

    it("names the exact key of a secret set where secrets do not belong", () => {
        const env = { LOG_LEVEL: "debug", API_TOKEN: "t-1" };
        const error = parse({ secretConfig: { env } }, { stackFile: stackFileWith({ "twelve-factor:env": { LOG_LEVEL: "debug", API_TOKEN: secure("t-1") } }) });
        expect(error?.message).toContain("- twelve-factor:env: holds a value set with --secret; secrets belong under twelve-factor:secrets (pulumi config set --secret --path 'secrets.KEY' …) and in secretKeys (set with --secret: twelve-factor:env.API_TOKEN)");
        expect(error?.message).not.toContain("t-1");
    });

    it("refuses a database setting set with --secret that is neither the password nor the URL", () => {
        const database = { ...devDatabase, owned: { ...(devDatabase.owned as object), username: "admin" } };
        const error = parse({ secretConfig: { database } }, { stackFile: stackFileWith({ "twelve-factor:database": { ...database, owned: { ...database.owned, username: secure("admin") } } }) });
        expect(error?.problems.map((p) => p.key)).toEqual(["twelve-factor:database.owned.username"]);
        expect(error?.message).toMatch(/only database.existing.password and database.external.url may be secret/);
    });

    it("falls back to the top-level key when the stack file does not hold the value (ESC, service backend)", () => {
        const error = parse({ plaintextConfig: true }, { stackFile: devFile() });
        expect(error?.problems).toEqual([{ key: "twelve-factor:secrets.SESSION_SECRET", message: `${plaintext("secrets.SESSION_SECRET")} (if it comes from a Pulumi ESC environment, make it secret there with fn::secret)` }]);
        expect(parse({}, { stackFile: devFile() })).toBeUndefined();
        expect(parse({}, { stackFile: undefined })).toBeUndefined();
    });
});

describe("finding the stack file", () => {
    const dirs: string[] = [];
    const project = (files: Record<string, string>) => {
        const dir = mkdtempSync(path.join(tmpdir(), "tf-config-"));
        dirs.push(dir);
        for (const [name, text] of Object.entries(files)) {
            mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
            writeFileSync(path.join(dir, name), text);
        }
        return dir;
    };
    const cwd = process.cwd();
    afterEach(() => {
        process.chdir(cwd);
        for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    });

    it("finds the project directory from a candidate below it, skipping candidates that are not absolute", () => {
        const exists = (f: string) => f === "/srv/app/Pulumi.yaml";
        expect(findProjectDirectory(["rootDirectory", undefined, "/srv/app/components/x"], exists)).toBe("/srv/app");
        expect(findProjectDirectory(["/elsewhere"], exists)).toBeUndefined();
    });

    it("honours stackConfigDir and a fully qualified stack name", () => {
        expect(stackFilePaths("/srv/app", { stackConfigDir: "stacks" }, "acme/twelve-factor/prod")[0]).toBe("/srv/app/stacks/Pulumi.prod.yaml");
        expect(stackFilePaths("/srv/app", { name: "x" }, "dev")).toEqual(["/srv/app/Pulumi.dev.yaml", "/srv/app/Pulumi.dev.yml"]);
    });

    it("reads Pulumi.<stack>.yaml beside Pulumi.yaml, and nothing when there is none", () => {
        const dir = project({ "Pulumi.yaml": "name: twelve-factor\nstackConfigDir: stacks\n", "stacks/Pulumi.dev.yaml": "config:\n  twelve-factor:app: shop\n" });
        expect(readStackFile("dev", [path.join(dir, "app")])).toEqual({ config: { "twelve-factor:app": "shop" } });
        expect(readStackFile("prod", [dir])).toBeUndefined();
        expect(readStackFile("dev", ["/"])).toBeUndefined();
    });

    it("loadConfig reads the stack file of the working directory and refuses a plaintext secret there", async () => {
        const stackFile = devFileText.replace("config:\n", "config:\n  twelve-factor:secrets:\n    SESSION_SECRET: plain-session-secret\n");
        const dir = project({ "Pulumi.yaml": "name: twelve-factor\nruntime: nodejs\n", "Pulumi.dev.yaml": stackFile });
        const { config, secretKeys } = engineConfig({ stack: "dev", secrets: { SESSION_SECRET: "plain-session-secret" } });
        await pulumi.runtime.setMocks({ newResource: () => ({ id: "x", state: {} }), call: () => ({}) }, "twelve-factor", "dev", false);
        pulumi.runtime.setAllConfig(config, secretKeys);
        process.chdir(dir);
        let error: ConfigError | undefined;
        try {
            loadConfig();
        } catch (e) {
            error = e as ConfigError;
        }
        expect(error?.problems).toEqual([{ key: "twelve-factor:secrets.SESSION_SECRET", message: plaintext("secrets.SESSION_SECRET") }]);
        expect(error?.message).not.toContain("plain-session-secret");
    });
});
