import { describe, expect, it } from "vitest";
import { repositoryArnOf } from "./image";

describe("repositoryArnOf", () => {
    it.each([
        [`123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web@sha256:${"a".repeat(64)}`, "arn:aws:ecr:eu-west-1:123456789012:repository/shop/web"],
        [`123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/shop@sha256:${"a".repeat(64)}`, "arn:aws-cn:ecr:cn-north-1:123456789012:repository/shop"],
    ])("%s", (ref, arn) => {
        expect(repositoryArnOf(ref)).toBe(arn);
    });

    it("refuses an image that is not an ECR image pinned by digest", () => {
        expect(() => repositoryArnOf("docker.io/library/node:20")).toThrow(/pinned by digest/);
    });
});
