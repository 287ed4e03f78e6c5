import * as aws from "@pulumi/aws";
import { parseEcrImage } from "../lib/image";

/** What the look-up needs of each ledger entry, oldest first. */
export interface RecordedBuild {
    build?: string;
    image: string;
}

/**
 * The image already pushed for this build, if any: ECR tags are immutable, so a build whose tag
 * exists must never run again (the push would be refused, even for the same bytes). Whether the
 * image resource still sits in the state cannot be seen from here (a pin, a revert, a deploy
 * that failed after its push, lost state), so the ledger and the registry decide: a release
 * that recorded this build names its image; otherwise the tag is looked up in the repository
 * this stack's builds went to.
 */
export async function pushedImage(build: string, tag: string, ledger: RecordedBuild[]): Promise<string | undefined> {
    const recorded = [...ledger].reverse().find((e) => e.build === build);
    if (recorded !== undefined) return recorded.image;
    const repository = [...ledger].reverse().map((e) => (e.build?.startsWith("source:") ? parseEcrImage(e.image) : undefined)).find((r) => r !== undefined);
    if (repository === undefined) return undefined;
    try {
        const found = await aws.ecr.getImages({ registryId: repository.registryId, repositoryName: repository.repositoryName });
        const image = found.imageIds.find((i) => i.imageTag === tag);
        return image?.imageDigest === undefined ? undefined : `${repository.repositoryUrl}@${image.imageDigest}`;
    } catch {
        // The repository is gone (deleted by hand): nothing was pushed there that could collide.
        return undefined;
    }
}
