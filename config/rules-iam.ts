import { partitionOf } from "./aws";
import { projectKey as P, type Reporter } from "./report";
import type { RuleInput } from "./rule-input";
import { iamPolicyArn } from "./schema";

/** Rules of the IAM roles the stack creates: their permissions boundary. */

const region = "aws:region";

/**
 * The boundary is attached to roles in the stack's own account and partition: IAM refuses a
 * policy of another account as a boundary, and a wrong one would only fail at `pulumi up`.
 */
export function permissionsBoundary(r: Reporter, { c, aws }: RuleInput): void {
    if (c.permissionsBoundary === undefined) return;
    const key = P("permissionsBoundary");
    const [, partition, account] = iamPolicyArn.exec(c.permissionsBoundary)!;
    const hidden = r.hides(key, []);
    if (c.region !== undefined && partition !== partitionOf(c.region)) {
        const expected = r.hides(region, []) ? "the stack's" : partitionOf(c.region);
        r.add(key, [], `expected a policy ARN of the ${expected} partition (aws:region), got ${hidden ? "another (hidden)" : partition}`);
    }
    if (aws.allowedAccountIds !== undefined && !aws.allowedAccountIds.includes(account!)) {
        r.add(key, [], `expected a policy of an account in aws:allowedAccountIds (a role's boundary is a policy of its own account), got ${hidden ? "another account (hidden)" : `account ${account}`}`);
    }
    if (aws.forbiddenAccountIds?.includes(account!)) {
        r.add(key, [], `expected a policy of an account not in aws:forbiddenAccountIds, got ${hidden ? "a forbidden account (hidden)" : `account ${account}`}`);
    }
}
