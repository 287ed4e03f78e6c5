import * as aws from "@pulumi/aws";

const ecrImage = /^((\d{12})\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\/([a-z0-9._\/-]+))@sha256:[a-f0-9]{64}$/;

/**
 * The image already pushed for this build, if any: ECR tags are immutable, so a build whose tag
 * exists must never run again (the push would be refused, even for the same bytes). Whether the
 * image resource still sits in the state cannot be seen from here (a pin, a revert, a deploy
 * that failed after its push, lost state), so the ledger and the registry decide: a release
 * that recorded this build names its image; otherwise the tag is looked up in the repository
 * this stack's builds went to.
 */
/** What the look-up needs of each ledger entry, oldest first. */
export interface RecordedBuild {
    build?: string;
    image: string;
}

export async function pushedImage(build: string, tag: string, ledger: RecordedBuild[]): Promise<string | undefined> {
    const recorded = [...ledger].reverse().find((e) => e.build === build);
    if (recorded !== undefined) return recorded.image;
    const repository = [...ledger].reverse().map((e) => e.build?.startsWith("source:") ? ecrImage.exec(e.image) : null).find((m) => m);
    if (!repository) return undefined;
    const [, url, registryId, repositoryName] = repository;
    try {
        const found = await aws.ecr.getImages({ registryId, repositoryName });
        const image = found.imageIds.find((i) => i.imageTag === tag);
        return image?.imageDigest === undefined ? undefined : `${url}@${image.imageDigest}`;
    } catch {
        // The repository is gone (deleted by hand): nothing was pushed there that could collide.
        return undefined;
    }
}
