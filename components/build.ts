import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { existsSync } from "fs";
import * as path from "path";
import type { BuildSource, Platform } from "../config";
import { contextHash } from "./context-hash";

/** What to build or run, resolved before anything is declared (see resolveImageSource). */
export type ImageSource =
    | { kind: "source"; context: string; dockerfile: string; platform: Platform; sourceHash: string }
    | { kind: "image"; image: string; platform: Platform };

export interface BuildArgs {
    source: ImageSource;
    tags: Record<string, string>;
}

/**
 * Reads the build context (or takes the promoted digest) up front: a missing Dockerfile or
 * a source stack without an image fails before any resource exists, and the source hash is
 * known at preview time.
 */
export function resolveImageSource(build: BuildSource, projectRoot: string, promotedImage: string | undefined): ImageSource {
    switch (build.kind) {
        case "source": {
            const context = path.resolve(projectRoot, build.context);
            if (!existsSync(path.join(context, build.dockerfile))) {
                throw new Error(`twelve-factor:build: expected a Dockerfile at ${path.join(build.context, build.dockerfile)} (context "${build.context}", dockerfile "${build.dockerfile}"), found none`);
            }
            return { kind: "source", context, dockerfile: build.dockerfile, platform: build.platform, sourceHash: contextHash(context, build.dockerfile, build.platform) };
        }
        case "promote":
            if (promotedImage === undefined) throw new Error(`twelve-factor:build.promoteFrom: stack "${build.fromStack}" exports no image`);
            repositoryArnOf(promotedImage);
            return { kind: "image", image: promotedImage, platform: build.platform };
        case "image":
            // Pull rights are scoped to an ECR repository: refuse any other registry up front.
            repositoryArnOf(build.image);
            return { kind: "image", image: build.image, platform: build.platform };
    }
}

const ecrImageRef = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/([a-z0-9._\/-]+)@sha256:[a-f0-9]{64}$/;

/** The ECR repository ARN an image reference lives in, so pull rights can be scoped to it. */
export function repositoryArnOf(imageRef: string): string {
    const m = ecrImageRef.exec(imageRef);
    if (!m) throw new Error(`twelve-factor:build: expected an ECR image pinned by digest (<account>.dkr.ecr.<region>.amazonaws.com/<repo>@sha256:<digest>), got "${imageRef}"`);
    const partition = m[3] ? "aws-cn" : "aws";
    return `arn:${partition}:ecr:${m[2]}:${m[1]}:repository/${m[4]}`;
}

/**
 * The build stage: an image pinned by digest. Builds `context` into this stack's ECR
 * repository, or — for promotion — declares nothing and passes another build's digest on.
 */
export class Build extends pulumi.ComponentResource {
    /** Image reference pinned by digest (`<repo>@sha256:…`); task definitions use only this. */
    public readonly imageRef: pulumi.Output<string>;
    /** Known before anything is built: the source hash, or the promoted digest. Feeds the release digest. */
    public readonly identity: string;
    /** The repository the tasks pull from (for the execution role's policy). */
    public readonly repositoryArn: pulumi.Output<string>;
    /** CPU architecture for the tasks' runtimePlatform, matching the image platform. */
    public readonly cpuArchitecture: "X86_64" | "ARM64";

    constructor(name: string, args: BuildArgs, opts?: pulumi.ComponentResourceOptions) {
        super("twelve-factor:build:Build", name, {}, opts);
        const source = args.source;
        this.cpuArchitecture = source.platform === "linux/arm64" ? "ARM64" : "X86_64";

        if (source.kind === "source") {
            const repo = this.createRepository(name, args.tags);
            const image = this.buildImage(name, repo, source.context, source.dockerfile, source.platform, source.sourceHash);
            this.identity = `source:${source.sourceHash}`;
            this.imageRef = image.repoDigest;
            this.repositoryArn = repo.arn;
        } else {
            this.identity = `image:${source.image}`;
            this.imageRef = pulumi.output(source.image);
            this.repositoryArn = pulumi.output(repositoryArnOf(source.image));
        }
        this.registerOutputs({ imageRef: this.imageRef, repositoryArn: this.repositoryArn });
    }

    private createRepository(name: string, tags: Record<string, string>): aws.ecr.Repository {
        const repo = new aws.ecr.Repository(`${name}-repo`, {
            imageTagMutability: "IMMUTABLE",
            imageScanningConfiguration: { scanOnPush: true },
            encryptionConfigurations: [{ encryptionType: "AES256" }],
            tags,
        }, {
            parent: this,
            // Retained releases run these images; deleting the repository would strand them.
            retainOnDelete: true,
        });
        new aws.ecr.LifecyclePolicy(`${name}-lifecycle`, {
            repository: repo.name,
            policy: JSON.stringify(untaggedOnlyLifecyclePolicy),
        }, { parent: this });
        return repo;
    }

    private buildImage(name: string, repo: aws.ecr.Repository, context: string, dockerfile: string, platform: string, sourceHash: string): docker.Image {
        const auth = aws.ecr.getAuthorizationTokenOutput({ registryId: repo.registryId }, { parent: this });
        return new docker.Image(`${name}-image`, {
            // The tag is the source hash: an immutable tag is written once, and unchanged source
            // means unchanged inputs, so the next preview shows no rebuild.
            imageName: pulumi.interpolate`${repo.repositoryUrl}:src-${sourceHash.slice(0, 20)}`,
            build: {
                context,
                dockerfile: path.join(context, dockerfile),
                platform,
                builderVersion: "BuilderBuildKit",
            },
            buildOnPreview: false,
            registry: {
                server: repo.repositoryUrl,
                username: auth.userName,
                password: pulumi.secret(auth.password),
            },
        }, { parent: this });
    }
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
