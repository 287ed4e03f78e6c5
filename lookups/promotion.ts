import * as pulumi from "@pulumi/pulumi";
import type { PromotedImage } from "../lib/image";

/**
 * What another stack of this project runs (promotion: prod runs what dev tested). Its `image`
 * output resolves only once that stack's services were steady, so a failed deploy there is
 * never promoted.
 */
export async function runningImageOf(project: string, stack: string): Promise<PromotedImage> {
    const ref = new pulumi.StackReference(`${pulumi.getOrganization()}/${project}/${stack}`);
    const [image, platform, migrationHead] = await Promise.all([ref.getOutputDetails("image"), ref.getOutputDetails("platform"), ref.getOutputDetails("migrationHead")]);
    return {
        image: typeof image.value === "string" && image.value !== "" ? image.value : undefined,
        platform: typeof platform.value === "string" ? platform.value : undefined,
        migrationHead: typeof migrationHead.value === "string" && migrationHead.value !== "" ? migrationHead.value : undefined,
    };
}
