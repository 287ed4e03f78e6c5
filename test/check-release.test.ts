import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { main } from "../check/cli";
import type { CheckDocument } from "../check/types";
import { SimulatedAccount } from "../offline/simulated-account";
import { evaluateStack, projectRoot, readStackConfig, type EvaluateOptions } from "./harness";

/**
 * The release plan the check reports against a ledger read from a file (what
 * `aws ssm get-parameters-by-path --recursive` prints): new or the same release, pinned or not,
 * the keys that change (names only), and where secret values, opaque here, decide the answer.
 */

const dir = mkdtempSync(path.join(tmpdir(), "check-release-"));
const devImage = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-dev-build-repo@sha256:${"d".repeat(64)}`;

/** Deploys dev into a simulated account and writes what AWS would then list below /shop/dev. */
async function ledgerAfterDeploy(options: Omit<EvaluateOptions, "account"> = { stack: "dev" }): Promise<string> {
    const account = new SimulatedAccount();
    account.deploy(await evaluateStack({ ...options, account }));
    const parameters = Object.entries(account.view().ssm!).filter(([name]) => name.startsWith("/shop/dev/")).sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([Name, Value]) => ({ Name, Type: /\/(SESSION_SECRET|DATABASE_URL)$/.test(Name) ? "SecureString" : "String", Value: /\/(SESSION_SECRET|DATABASE_URL)$/.test(Name) ? "AQICAHh…encrypted" : Value, Version: 1, DataType: "text" }));
    const file = path.join(mkdtempSync(path.join(dir, "ledger-")), "ledger.json");
    writeFileSync(file, JSON.stringify({ Parameters: parameters }, null, 2));
    return file;
}

async function checked(args: string[]): Promise<CheckDocument> {
    const { output, exitCode } = await main([...args, "--json", "--cwd", projectRoot]);
    expect(exitCode, output).toBe(0);
    return JSON.parse(output) as CheckDocument;
}

describe("the release plan against a ledger", () => {
    it("nothing changed but a secret it cannot see: the same release unless that secret changed", async () => {
        const ledger = await ledgerAfterDeploy();
        const [dev] = (await checked(["--stack", "dev", "--ledger", ledger])).stacks;
        expect(dev.release).toMatchObject({
            release: "v1", status: "same-unless-secrets", ledger: { given: true, entries: 1, newest: "v1" },
            keys: { added: [], changed: [], removed: [], unknown: ["SESSION_SECRET"] }, processesChanged: [],
        });
        expect(dev.release!.digest).toMatch(/^[0-9a-f]{64}$/);
    });

    it("a plain value changed: a new release, the key named, the secret's change unknown", async () => {
        const env = { ...(readStackConfig("dev").config["twelve-factor:env"] as Record<string, string>), LOG_LEVEL: "warn" };
        const ledger = await ledgerAfterDeploy({ stack: "dev", config: { env } });
        const [dev] = (await checked(["--stack", "dev", "--ledger", `dev=${ledger}`])).stacks;
        expect(dev.release).toMatchObject({
            release: "v2", status: "new", previous: "v1", digest: null,
            keys: { added: [], changed: ["LOG_LEVEL"], removed: [], unknown: ["SESSION_SECRET"] }, processesChanged: [],
        });
        expect(JSON.stringify(dev)).not.toContain("warn\"");
    });

    it("a pin: that release runs, nothing new is declared", async () => {
        const ledger = await ledgerAfterDeploy();
        const project = mkdtempSync(path.join(dir, "pinned-"));
        copyFileSync(path.join(projectRoot, "Pulumi.yaml"), path.join(project, "Pulumi.yaml"));
        writeFileSync(path.join(project, "Pulumi.dev.yaml"), `${readFileSync(path.join(projectRoot, "Pulumi.dev.yaml"), "utf8")}  twelve-factor:release:\n    pin: v1\n`);
        const { output, exitCode } = await main(["--stack", "dev", "--ledger", ledger, "--json", "--cwd", project]);
        expect(exitCode, output).toBe(0);
        const [dev] = (JSON.parse(output) as CheckDocument).stacks;
        expect(dev.release).toMatchObject({ release: "v1", status: "pinned", pinned: "v1", image: { source: "pinned", builds: false } });
        expect(dev.resources!.groups.find((g) => g.type === "docker:index/image:Image")).toBeUndefined();
    });

    it("a pin the ledger lacks: the program's refusal, exit 1, no stack trace", async () => {
        const project = mkdtempSync(path.join(dir, "badpin-"));
        copyFileSync(path.join(projectRoot, "Pulumi.yaml"), path.join(project, "Pulumi.yaml"));
        writeFileSync(path.join(project, "Pulumi.dev.yaml"), `${readFileSync(path.join(projectRoot, "Pulumi.dev.yaml"), "utf8")}  twelve-factor:release:\n    pin: v7\n`);
        const { output, exitCode } = await main(["--stack", "dev", "--cwd", project]);
        expect(exitCode).toBe(1);
        expect(output).toContain("The program refused to run: twelve-factor:release.pin: release v7 is not in this stack's ledger (known releases: none yet)");
    });

    it("promotion: the image of --stack-outputs, not a simulated one", async () => {
        const outputs = path.join(dir, "dev-outputs.json");
        writeFileSync(outputs, JSON.stringify({ image: devImage, platform: "linux/amd64", url: "http://example" }));
        const [prod] = (await checked(["--stack", "prod", "--stack-outputs", `dev=${outputs}`])).stacks;
        expect(prod.release!.image).toEqual({ ref: devImage, source: "promote", builds: false, simulated: false });
        expect(prod.processes!.every((p) => p.image === devImage)).toBe(true);
        expect(prod.notes.join("\n")).not.toContain("simulated (no --stack-outputs");
    });
});
