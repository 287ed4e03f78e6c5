import { existsSync } from "fs";
import * as path from "path";
import { stageContext, type StagedContext } from "./build-context";

export type Platform = "linux/amd64" | "linux/arm64";

/** Where the image comes from, as config states it. */
export type BuildSource =
    | { kind: "source"; context: string; dockerfile: string; platform: Platform }
    | { kind: "promote"; fromStack: string; platform: Platform }
    | { kind: "image"; image: string; platform: Platform };

/** What to build or run, resolved before anything is declared. */
export type ImageSource =
    | { kind: "source"; staged: StagedContext; platform: Platform }
    | { kind: "image"; image: string; platform: Platform };

/** What a promoting stack reads of the stack it promotes from: what runs there, and its platform. */
export interface PromotedImage {
    image?: string;
    platform?: string;
    /** The newest migration that image's source carries, as that stack recorded it. */
    migrationHead?: string;
}

/** The identity of a build, known before anything is built: it feeds the release digest. */
export function buildIdentity(source: ImageSource): string {
    return source.kind === "source" ? `source:${source.staged.hash}` : `image:${source.image}`;
}

/** The tasks' CPU architecture for an image platform (they must match, or "exec format error"). */
export function cpuArchitecture(platform: Platform): "X86_64" | "ARM64" {
    return platform === "linux/arm64" ? "ARM64" : "X86_64";
}

/**
 * Stages the build context (or takes the promoted digest) up front: a missing Dockerfile, a
 * source stack without a running image, or an image of another platform fails before any
 * resource exists, and the source hash is known at preview time.
 */
export function resolveImageSource(build: BuildSource, projectRoot: string, promoted: PromotedImage | undefined): ImageSource {
    switch (build.kind) {
        case "source": {
            const context = path.resolve(projectRoot, build.context);
            if (!existsSync(path.join(context, build.dockerfile))) {
                throw new Error(`twelve-factor:build: expected a Dockerfile at ${path.join(build.context, build.dockerfile)} (context "${build.context}", dockerfile "${build.dockerfile}"), found none`);
            }
            return { kind: "source", staged: stageContext(projectRoot, context, build.dockerfile, build.platform), platform: build.platform };
        }
        case "promote":
            if (promoted?.image === undefined) throw new Error(`twelve-factor:build.promoteFrom: stack "${build.fromStack}" has no running release yet (its image output is written once its services are steady)`);
            repositoryArnOf(promoted.image);
            if (promoted.platform !== undefined && promoted.platform !== build.platform) {
                throw new Error(`twelve-factor:build.platform: expected the platform of the image stack "${build.fromStack}" runs (${promoted.platform}), got ${build.platform}`);
            }
            return { kind: "image", image: promoted.image, platform: build.platform };
        case "image":
            return { kind: "image", image: build.image, platform: build.platform };
    }
}

const ecrImageRef = /^((\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/([a-z0-9._\/-]+))@sha256:[a-f0-9]{64}$/;

/** An ECR image pinned by digest, taken apart. */
export interface EcrImage {
    /** `<account>.dkr.ecr.<region>.amazonaws.com/<repository>`. */
    repositoryUrl: string;
    registryId: string;
    region: string;
    partition: "aws" | "aws-cn";
    repositoryName: string;
}

/** The parts of an ECR image reference pinned by digest; undefined for anything else. */
export function parseEcrImage(imageRef: string): EcrImage | undefined {
    const m = ecrImageRef.exec(imageRef);
    return m ? { repositoryUrl: m[1], registryId: m[2], region: m[3], partition: m[4] ? "aws-cn" : "aws", repositoryName: m[5] } : undefined;
}

/** The ECR repository ARN an image reference lives in, so pull rights can be scoped to it. */
export function repositoryArnOf(imageRef: string): string {
    const image = parseEcrImage(imageRef);
    if (!image) throw new Error(`twelve-factor:build: expected an ECR image pinned by digest (<account>.dkr.ecr.<region>.amazonaws.com/<repo>@sha256:<digest>), got "${imageRef}"`);
    return `arn:${image.partition}:ecr:${image.region}:${image.registryId}:repository/${image.repositoryName}`;
}

/**
 * Every image a release uses is tagged (tags are immutable and never removed), so expiring
 * only untagged images can never remove an image that a retained release references.
 */
export const untaggedOnlyLifecyclePolicy = {
    rules: [{
        rulePriority: 1,
        description: "Expire untagged images (interrupted pushes); tagged release images are kept",
        selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 14 },
        action: { type: "expire" },
    }],
};
