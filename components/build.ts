import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { existsSync } from "fs";
import * as path from "path";
import type { BuildSource } from "../config";
import { contextHash } from "./context-hash";

export interface BuildArgs {
    /** Where the image comes from (stack config `build`). */
    source: BuildSource;
    /** For `promote`: the image reference the source stack exported, resolved before declaring. */
    promotedImage?: string;
    /** Directory that `source.context` is relative to. */
    projectRoot: string;
    tags: Record<string, string>;
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
            const context = path.resolve(args.projectRoot, source.context);
            if (!existsSync(path.join(context, source.dockerfile))) {
                throw new Error(`twelve-factor:build: expected a Dockerfile at ${path.join(source.context, source.dockerfile)} (context "${source.context}", dockerfile "${source.dockerfile}"), found none`);
            }
            const sourceHash = contextHash(context, source.dockerfile, source.platform);
            const repo = this.createRepository(name, args.tags);
            const image = this.buildImage(name, repo, context, source.dockerfile, source.platform, sourceHash);
            this.identity = `source:${sourceHash}`;
            this.imageRef = image.repoDigest;
            this.repositoryArn = repo.arn;
        } else {
            const ref = source.kind === "image" ? source.image : args.promotedImage;
            if (ref === undefined) throw new Error(`twelve-factor:build.promoteFrom: stack "${source.kind === "promote" ? source.fromStack : ""}" exports no image`);
            this.repositoryArn = pulumi.output(repositoryArnOf(ref));
            this.identity = `image:${ref}`;
            this.imageRef = pulumi.output(ref);
        }
        this.registerOutputs({ imageRef: this.imageRef, repositoryArn: this.repositoryArn });
    }

    private createRepository(name: string, tags: Record<string, string>): aws.ecr.Repository {
        const repo = new aws.ecr.Repository(`${name}-repo`, {
            imageTagMutability: "IMMUTABLE",
            imageScanningConfiguration: { scanOnPush: true },
            encryptionConfigurations: [{ encryptionType: "AES256" }],
            tags,
        }, { parent: this });
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
