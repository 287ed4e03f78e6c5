import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { untaggedOnlyLifecyclePolicy } from "../lib/image";
import { Evaluation, evaluateStack, evaluateStackFailure } from "./harness";

const devImage = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-dev-build-repo-1a2b3c4@sha256:${"f".repeat(64)}`;
const image = (run: Evaluation) => run.named("shop-dev-build-image").inputs;
const webImages = (run: Evaluation) => (JSON.parse(run.ofType("aws:ecs/taskDefinition:TaskDefinition").find((t) => t.inputs.family.endsWith("-web"))!.inputs.containerDefinitions) as { image: string }[]).map((c) => c.image);

describe("building from source", () => {
    const context = mkdtempSync(path.join(tmpdir(), "build-context-"));
    const write = (file: string, text: string) => writeFileSync(path.join(context, file), text);
    write("Dockerfile", "FROM node:20-bookworm-slim\nCOPY . /app\n");
    write("server.js", "console.log('v1')\n");
    chmodSync(path.join(context, "server.js"), 0o644);
    write(".dockerignore", "notes.md\n");
    write("notes.md", "draft\n");
    afterAll(() => rmSync(context, { recursive: true, force: true }));
    const fromContext = () => evaluateStack({ stack: "dev", config: { build: { context, dockerfile: "Dockerfile" } } });

    it("pushes to an immutable, scanned, retained ECR repository that only ever expires untagged images", async () => {
        const run = await evaluateStack({ stack: "dev" });
        expect(run.named("shop-dev-build-repo").inputs).toMatchObject({ imageTagMutability: "IMMUTABLE", imageScanningConfiguration: { scanOnPush: true } });
        expect(run.named("shop-dev-build-repo").retainOnDelete).toBe(true);
        const policy = JSON.parse(run.named("shop-dev-build-lifecycle").inputs.policy);
        expect(policy).toEqual(untaggedOnlyLifecyclePolicy);
        expect(policy.rules.map((r: { selection: { tagStatus: string } }) => r.selection.tagStatus)).toEqual(["untagged"]);
    });

    it("builds app/ for the tasks' platform and tags it with the source hash, not at preview time", async () => {
        const run = await evaluateStack({ stack: "dev" });
        expect(image(run)).toMatchObject({
            imageName: expect.stringMatching(/^123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/shop-dev-build-repo:src-[0-9a-f]{20}$/),
            // Relative to the project root, where Pulumi starts the provider: the same on every checkout.
            build: { context: expect.stringMatching(/^\.build-context\/src-[0-9a-f]{20}$/), dockerfile: expect.stringMatching(/^\.build-context\/src-[0-9a-f]{20}\/Dockerfile$/), platform: "linux/amd64" },
            buildOnPreview: false,
            registry: { server: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-dev-build-repo", username: "AWS", password: "ecr-token" },
        });
        expect(run.named("shop-dev-build-image").secretInputs).toEqual(["registry"]);
        expect(webImages(run)[1]).toMatch(/^123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/shop-dev-build-repo@sha256:[0-9a-f]{64}$/);
    });

    it("shows no change for unchanged source, and a new image and release for changed source", async () => {
        const first = await fromContext();
        const same = await fromContext();
        expect(image(same)).toEqual(image(first));
        expect(same.outputs.releaseDigest).toBe(first.outputs.releaseDigest);

        write("notes.md", "ignored by .dockerignore, so no rebuild\n");
        const ignored = await fromContext();
        expect(image(ignored).imageName).toBe(image(first).imageName);

        // Group-write (another umask) is not content: the staged copy is 0644 either way.
        chmodSync(path.join(context, "server.js"), 0o664);
        expect(image(await fromContext()).imageName).toBe(image(first).imageName);
        // The executable bit is content (git keeps it, and the image would differ).
        chmodSync(path.join(context, "server.js"), 0o755);
        expect(image(await fromContext()).imageName).not.toBe(image(first).imageName);
        chmodSync(path.join(context, "server.js"), 0o644);
        expect(image(await fromContext()).imageName).toBe(image(first).imageName);

        write("server.js", "console.log('v2')\n");
        const changed = await fromContext();
        expect(image(changed).imageName).not.toBe(image(first).imageName);
        expect(changed.outputs.releaseDigest).not.toBe(first.outputs.releaseDigest);
    });

    it("matches the tasks' CPU architecture to the image platform", async () => {
        const run = await evaluateStack({ stack: "dev", config: { build: { context, dockerfile: "Dockerfile", platform: "linux/arm64" } } });
        expect(image(run).build.platform).toBe("linux/arm64");
        for (const td of run.ofType("aws:ecs/taskDefinition:TaskDefinition")) expect(td.inputs.runtimePlatform.cpuArchitecture).toBe("ARM64");
    });

    it("fails clearly, declaring nothing, when the context has no Dockerfile", async () => {
        const { error, resources } = await evaluateStackFailure({ stack: "dev", config: { build: { context: path.join(context, "missing") } } });
        expect(error.message).toContain("twelve-factor:build: expected a Dockerfile at");
        expect(resources.filter((r) => r.type.startsWith("aws:") || r.type.startsWith("docker:"))).toEqual([]);
    });
});

describe("promotion without rebuilding", () => {
    it("runs exactly the digest the dev stack runs, and builds nothing", async () => {
        const prod = await evaluateStack({ stack: "prod", stackOutputs: { dev: { image: devImage } } });
        expect(prod.ofType("docker:index/image:Image")).toEqual([]);
        expect(prod.ofType("aws:ecr/repository:Repository")).toEqual([]);
        expect(webImages(prod)).toEqual([devImage, devImage]);
        expect(prod.outputs.image).toBe(devImage);
    });

    it("runs a digest named in config", async () => {
        const run = await evaluateStack({ stack: "dev", config: { build: { image: devImage } } });
        expect(run.ofType("docker:index/image:Image")).toEqual([]);
        expect(webImages(run)).toEqual([devImage, devImage]);
    });

    it("refuses, declaring nothing, an image outside ECR (pull rights are scoped to a repository)", async () => {
        const { error, resources } = await evaluateStackFailure({ stack: "dev", config: { build: { image: `ghcr.io/acme/shop@sha256:${"f".repeat(64)}` } } });
        expect(error.message).toContain("twelve-factor:build.image: expected an ECR image pinned by digest");
        expect(resources.filter((r) => r.custom)).toEqual([]);
    });

    it("fails clearly when the source stack has no image yet", async () => {
        const { error } = await evaluateStackFailure({ stack: "prod", stackOutputs: { dev: {} } });
        expect(error.message).toBe("twelve-factor:build.promoteFrom: stack \"dev\" has no running release yet (its image output is written once its services are steady)");
    });
});
