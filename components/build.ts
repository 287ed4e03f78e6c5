import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { existsSync } from "fs";
import * as path from "path";
import type { BuildSource, Platform } from "../config";
import { stageContext, type StagedContext } from "./context-hash";
import type { LedgerEntry } from "./ledger";

/** What to build or run, resolved before anything is declared (see resolveImageSource). */
export type ImageSource =
    | { kind: "source"; staged: StagedContext; platform: Platform }
    | { kind: "image"; image: string; platform: Platform };

export interface BuildArgs {
    source: ImageSource;
    /** The release ledger: the images earlier releases recorded, by what they were built from. */
    ledger: LedgerEntry[];
    tags: Record<string, string>;
}

/** The identity of a build, known before anything is built: it feeds the release digest. */
export function buildIdentity(source: ImageSource): string {
    return source.kind === "source" ? `source:${source.staged.hash}` : `image:${source.image}`;
}

/**
 * The image an earlier release already built from the same source, when this run must not
 * build it again. ECR tags are immutable: a build whose tag exists would push a not
 * byte-identical image to it and be refused (a revert to earlier source, or a build whose
 * resource left the state). Only the newest release's own build stays declared: its image
 * resource is in the state, unchanged, so declaring it again changes nothing.
 */
export function recordedImage(identity: string, ledger: LedgerEntry[]): string | undefined {
    const newest = ledger[ledger.length - 1];
    if (newest?.build === identity && newest.built === true) return undefined;
    return [...ledger].reverse().find((e) => e.build === identity)?.image;
}

/**
 * Reads the build context (or takes the promoted digest) up front: a missing Dockerfile or
 * a source stack without an image fails before any resource exists, and the source hash is
 * known at preview time.
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
            // An image of another architecture starts and dies with "exec format error".
            if (promoted.platform !== undefined && promoted.platform !== build.platform) {
                throw new Error(`twelve-factor:build.platform: expected the platform of the image stack "${build.fromStack}" runs (${promoted.platform}), got ${build.platform}`);
            }
            return { kind: "image", image: promoted.image, platform: build.platform };
        case "image":
            // Pull rights are scoped to an ECR repository: refuse any other registry up front.
            repositoryArnOf(build.image);
            return { kind: "image", image: build.image, platform: build.platform };
    }
}

/** What a promoting stack reads of the stack it promotes from: what runs there, and its platform. */
export interface PromotedImage {
    image?: string;
    platform?: string;
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
    /** True when this run declares the image build (false: a promoted image, or one the ledger holds). */
    public readonly built: boolean;
    /** The repository the tasks pull from (for the execution role's policy). */
    public readonly repositoryArn: pulumi.Output<string>;
    /** CPU architecture for the tasks' runtimePlatform, matching the image platform. */
    public readonly cpuArchitecture: "X86_64" | "ARM64";

    constructor(name: string, args: BuildArgs, opts?: pulumi.ComponentResourceOptions) {
        super("twelve-factor:build:Build", name, {}, opts);
        const source = args.source;
        this.cpuArchitecture = source.platform === "linux/arm64" ? "ARM64" : "X86_64";
        this.identity = buildIdentity(source);
        const recorded = recordedImage(this.identity, args.ledger);
        this.built = source.kind === "source" && recorded === undefined;

        if (source.kind === "source") {
            const repo = this.createRepository(name, args.tags);
            this.imageRef = recorded === undefined ? this.buildImage(name, repo, source.staged, source.platform).repoDigest : pulumi.output(recorded);
            this.repositoryArn = repo.arn;
        } else {
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

    private buildImage(name: string, repo: aws.ecr.Repository, staged: StagedContext, platform: string): docker.Image {
        const auth = aws.ecr.getAuthorizationTokenOutput({ registryId: repo.registryId }, { parent: this });
        return new docker.Image(`${name}-image`, {
            // The tag is the source hash: an immutable tag is written once, and unchanged source
            // means unchanged inputs, so the next preview shows no rebuild.
            imageName: pulumi.interpolate`${repo.repositoryUrl}:src-${staged.hash.slice(0, 20)}`,
            // Relative to the project root, where Pulumi starts the provider: the same on every checkout.
            build: {
                context: staged.context,
                dockerfile: staged.dockerfile,
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
