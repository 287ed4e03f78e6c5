import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { StagedContext } from "../lib/build-context";
import { repositoryArnOf, untaggedOnlyLifecyclePolicy, type ImageSource, type Platform } from "../lib/image";

export interface BuildArgs {
    /** What to build (a staged context) or run (a promoted or pinned digest). */
    source: ImageSource;
    /** The image an earlier release built from the same source: run it, push nothing. */
    reuse?: string;
    tags: Record<string, string>;
}

/**
 * The build stage: an image pinned by digest. Builds the staged context into this stack's ECR
 * repository, or — for promotion, a pinned digest, or source an earlier release already built —
 * pushes nothing and passes that digest on.
 */
export class Build extends pulumi.ComponentResource {
    /** Image reference pinned by digest (`<repo>@sha256:…`); task definitions use only this. */
    public readonly imageRef: pulumi.Output<string>;
    /** The repository this stack builds into, when it builds from source (for pull rights). */
    public readonly repositoryArn: pulumi.Output<string>;

    constructor(name: string, args: BuildArgs, opts?: pulumi.ComponentResourceOptions) {
        super("twelve-factor:build:Build", name, {}, opts);
        const parent = this;
        const source = args.source;

        if (source.kind === "source") {
            const repo = createRepository();
            this.imageRef = args.reuse === undefined ? buildImage(repo, source.staged, source.platform).repoDigest : pulumi.output(args.reuse);
            this.repositoryArn = repo.arn;
        } else {
            this.imageRef = pulumi.output(source.image);
            this.repositoryArn = pulumi.output(repositoryArnOf(source.image));
        }
        this.registerOutputs({ imageRef: this.imageRef, repositoryArn: this.repositoryArn });

        function createRepository(): aws.ecr.Repository {
            const repo = new aws.ecr.Repository(`${name}-repo`, {
                imageTagMutability: "IMMUTABLE",
                imageScanningConfiguration: { scanOnPush: true },
                encryptionConfigurations: [{ encryptionType: "AES256" }],
                tags: args.tags,
            }, {
                parent,
                // Retained releases run these images; deleting the repository would strand them.
                retainOnDelete: true,
            });
            new aws.ecr.LifecyclePolicy(`${name}-lifecycle`, {
                repository: repo.name,
                policy: JSON.stringify(untaggedOnlyLifecyclePolicy),
            }, { parent });
            return repo;
        }

        function buildImage(repo: aws.ecr.Repository, staged: StagedContext, platform: Platform): docker.Image {
            const auth = aws.ecr.getAuthorizationTokenOutput({ registryId: repo.registryId }, { parent });
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
            }, { parent });
        }
    }
}
