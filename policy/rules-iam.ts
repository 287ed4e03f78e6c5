import type { ResourceValidationPolicy } from "@pulumi/policy";

/**
 * No IAM grant on Resource "*" beyond what AWS requires: an action may be allowed on "*" only
 * when it has no resource-level permissions at all (AWS then accepts nothing else). The default
 * list holds the ones this program needs; the policy config's `wildcardOnlyActions` replaces
 * it. test/policy.test.ts checks every default against the IAM action catalogue.
 */

export const defaultWildcardOnlyActions = [
    // Registry login for image pulls (the execution role).
    "ecr:GetAuthorizationToken",
    // ECS Exec: the SSM agent's control and data channels, and finding the session log group (the task role).
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
    "logs:DescribeLogGroups",
];

/** Identity policy documents by resource type: where each keeps its JSON. */
const documentsOf: Record<string, (props: Record<string, any>) => unknown[]> = {
    "aws:iam/rolePolicy:RolePolicy": (p) => [p.policy],
    "aws:iam/policy:Policy": (p) => [p.policy],
    "aws:iam/userPolicy:UserPolicy": (p) => [p.policy],
    "aws:iam/groupPolicy:GroupPolicy": (p) => [p.policy],
    // Trust policies (assumeRolePolicy) name principals, not resources.
    "aws:iam/role:Role": (p) => ((p.inlinePolicies ?? []) as { policy?: unknown }[]).map((i) => i.policy),
};

interface Statement {
    Sid?: string;
    Effect?: string;
    Action?: string | string[];
    NotAction?: string | string[];
    Resource?: string | string[];
    NotResource?: string | string[];
}

const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The problems of one policy document (parsed or JSON text). */
export function wildcardProblems(document: unknown, allowed: readonly string[]): string[] {
    const doc = typeof document === "string" ? (JSON.parse(document) as { Statement?: Statement | Statement[] }) : (document as { Statement?: Statement | Statement[] } | undefined);
    const statements = doc?.Statement === undefined ? [] : Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
    const problems: string[] = [];
    for (const [i, s] of statements.entries()) {
        if (s.Effect !== "Allow") continue;
        const label = s.Sid ?? `statement ${i + 1}`;
        if (s.NotResource !== undefined) problems.push(`${label} allows NotResource (every resource but some): name the resources`);
        if (!list(s.Resource).includes("*")) continue;
        if (s.NotAction !== undefined) problems.push(`${label} allows NotAction on "*": name the actions`);
        const wide = list(s.Action).filter((a) => !allowed.some((ok) => ok.toLowerCase() === a.toLowerCase()));
        if (wide.length > 0) problems.push(`${label} allows ${wide.join(", ")} on "*": these take resource-level permissions, so name the resources`);
    }
    return problems;
}

export const iamWildcardResources: ResourceValidationPolicy = {
    name: "iam-no-wildcard-resource",
    description: "IAM grants name their resources: Resource \"*\" only for actions that have no resource-level permissions (AWS accepts nothing else for them).",
    configSchema: { properties: { wildcardOnlyActions: { type: "array", items: { type: "string" }, default: defaultWildcardOnlyActions } } },
    validateResource: (args, report) => {
        const documents = documentsOf[args.type];
        if (documents === undefined) return args.notApplicable("Policy only applies to IAM identity policies");
        const { wildcardOnlyActions = defaultWildcardOnlyActions } = args.getConfig<{ wildcardOnlyActions?: string[] }>();
        for (const document of documents(args.props)) {
            if (document === undefined || document === null || document === "") continue;
            for (const problem of wildcardProblems(document, wildcardOnlyActions)) report(`${args.name}: ${problem}`);
        }
    },
};
