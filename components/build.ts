import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { StagedContext } from "../lib/build-context";
import { repositoryArnOf, untaggedOnlyLifecyclePolicy, type ImageSource, type Platform } from "../lib/image";

export interface BuildArgs {
    /** What to build (a staged context) or run (a promoted or pinned digest); absent while a pin freezes the stack. */
    source?: ImageSource;
    /** True for a stack that builds from source: it owns an ECR repository, pinned or not. */
    ownsRepository: boolean;
    /** The image already pushed for this source (its tag exists): run it, push nothing. */
    reuse?: string;
    tags: Record<string, string>;
}

/**
 * The build stage: an image pinned by digest. Builds the staged context into this stack's ECR
 * repository, or — for promotion, a pinned digest, or source an earlier release already built —
 * pushes nothing and passes that digest on.
 */
export class Build extends pulumi.ComponentResource {
    /** Image reference pinned by digest (`<repo>@sha256:…`); absent while pinned. */
    public readonly imageRef?: pulumi.Output<string>;
    /** The repository the tasks may pull this stack's images from (its own, or the one a digest names). */
    public readonly repositoryArn?: pulumi.Output<string>;

    constructor(name: string, args: BuildArgs, opts?: pulumi.ComponentResourceOptions) {
        super("twelve-factor:build:Build", name, {}, opts);
        const parent = this;
        const source = args.source;

        const repo = args.ownsRepository ? createRepository() : undefined;
        if (repo !== undefined && source?.kind === "source") {
            this.imageRef = args.reuse === undefined ? buildImage(repo, source.staged, source.platform).repoDigest : pulumi.output(args.reuse);
        } else if (source?.kind === "image") {
            this.imageRef = pulumi.output(source.image);
        }
        this.repositoryArn = repo?.arn ?? (source?.kind === "image" ? pulumi.output(repositoryArnOf(source.image)) : undefined);
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
                imageName: pulumi.interpolate`${repo.repositoryUrl}:${staged.tag}`,
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
            }, {
                parent,
                // The image stays in ECR whatever happens to this resource. The next deploy finds
                // its tag taken and runs it by digest instead of declaring this resource again.
                retainOnDelete: true,
            });
        }
    }
}
