import * as aws from "@pulumi/aws";

/** The smallest Pulumi program on the same provider: the baseline `npm run bench` times the check against. */
export = async () => {
    const parameter = new aws.ssm.Parameter("one", { name: "/bench/one", type: "String", insecureValue: "1" });
    return { arn: parameter.arn };
};
