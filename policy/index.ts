import { PolicyPack } from "@pulumi/policy";
import { settingsFor } from "./enforcement";
import { policies } from "./rules";

/**
 * The policy pack `pulumi preview --policy-pack policy/` runs (CrossGuard). Enforcement comes from
 * ./enforcement.yaml: its `default` block here, and a stack's own levels through
 * `--policy-pack-config` (npm run -s policy -- --stack <name> prints that file).
 */
new PolicyPack("twelve-factor", {
    description: "twelve-factor on AWS: secrets, release history, images, task definitions, IAM and the production database",
    policies,
}, settingsFor(policies.map((p) => p.name), undefined));
