import type { StackConfig } from "../config";
import type { Evaluation, Recorded } from "../offline/evaluate";
import type { ProcessReport, RolePermissions, ResourceSummary } from "./types";

/** The report's sections read straight off what the program declared. */

const stackType = "pulumi:pulumi:Stack";

/** The top-level component a resource belongs to (`Network`), or `(stack)` for the stack's direct children. */
export function componentOf(resource: Recorded, byUrn: Map<string, Recorded>): string {
    let r = resource;
    for (let parent = byUrn.get(r.parentUrn ?? ""); parent !== undefined && parent.type !== stackType; parent = byUrn.get(r.parentUrn ?? "")) r = parent;
    return r === resource && resource.custom ? "(stack)" : r.type.split(":").pop()!;
}

export function resourceSummary(run: Evaluation): ResourceSummary {
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
    const groups = new Map<string, { component: string; type: string; count: number; names: string[] }>();
    // Reads (stack references) and the stack itself declare nothing.
    const declared = run.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:pulumi:"));
    for (const r of declared) {
        const component = componentOf(r, byUrn);
        const key = `${component}\0${r.type}`;
        const group = groups.get(key) ?? { component, type: r.type, count: 0, names: [] };
        group.count++;
        group.names.push(r.name);
        groups.set(key, group);
    }
    return { total: declared.length, groups: [...groups.values()] };
}

interface Container {
    name: string;
    image?: string;
    secrets?: { name: string }[];
    environment?: { name: string }[];
}

/** Per process: the image, the Fargate size, how many tasks, where they run, and the names of what they read. */
export function processReports(run: Evaluation, config: StackConfig): ProcessReport[] {
    const services = run.ofType("aws:ecs/service:Service");
    return run.ofType("aws:ecs/taskDefinition:TaskDefinition").map((td) => {
        const process = String(td.inputs.tags?.process ?? String(td.inputs.family).split("-").pop());
        const containers = JSON.parse(String(td.inputs.containerDefinitions)) as Container[];
        const main = containers.find((c) => c.name === process) ?? containers[containers.length - 1];
        const service = services.find((s) => s.inputs.taskDefinition === td.outputs.arn);
        const strategies = (service?.inputs.capacityProviderStrategies ?? []) as { capacityProvider: string; weight?: number; base?: number }[];
        const capacity = strategies.length > 0
            ? strategies.map((s) => `${s.capacityProvider}${s.base ? ` base ${s.base}` : ""}${s.weight !== undefined ? ` weight ${s.weight}` : ""}`).join(", ")
            : String(service?.inputs.launchType ?? td.inputs.requiresCompatibilities?.[0] ?? "FARGATE");
        const serviceName = String(service?.outputs.name ?? "");
        const target = run.ofType("aws:appautoscaling/target:Target").find((t) => serviceName !== "" && String(t.inputs.resourceId ?? "").endsWith(`/${serviceName}`));
        return {
            process,
            phase: (config.processes[process]?.phase ?? (service === undefined ? "release" : "run")) as ProcessReport["phase"],
            image: String(main?.image ?? ""),
            cpu: Number(td.inputs.cpu),
            memory: Number(td.inputs.memory),
            count: Number(service?.inputs.desiredCount ?? 0),
            capacity: `${capacity}, ${td.inputs.runtimePlatform?.cpuArchitecture ?? "X86_64"}`,
            secrets: (main?.secrets ?? []).map((s) => s.name),
            environment: (main?.environment ?? []).map((e) => e.name),
            ...(target === undefined ? {} : { scaling: { min: Number(target.inputs.minCapacity), max: Number(target.inputs.maxCapacity) } }),
        };
    });
}

interface Statement {
    Effect: string;
    Action?: string | string[];
    NotAction?: string | string[];
    Resource?: string | string[];
    NotResource?: string | string[];
    Condition?: unknown;
}

const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** One line per statement: `Allow ecr:BatchGetImage, … on arn:…`. */
export function statementLines(document: unknown): string[] {
    const doc = (typeof document === "string" ? JSON.parse(document) : document) as { Statement?: Statement | Statement[] };
    const statements = doc.Statement === undefined ? [] : Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
    return statements.map((s) => {
        const actions = s.NotAction !== undefined ? `every action but ${list(s.NotAction).join(", ")}` : list(s.Action).join(", ");
        const resources = s.NotResource !== undefined ? `every resource but ${list(s.NotResource).join(", ")}` : list(s.Resource).join(", ");
        return `${s.Effect} ${actions} on ${resources}${s.Condition !== undefined ? ` if ${JSON.stringify(s.Condition)}` : ""}`;
    });
}

/** Each role's permissions (inline policies and attached managed policies), the ECS execution role first. */
export function rolePermissions(run: Evaluation): RolePermissions[] {
    const roles = run.ofType("aws:iam/role:Role");
    const roleOf = (ref: unknown) => roles.find((r) => r.outputs.id === ref || r.outputs.name === ref || r.outputs.arn === ref);
    const byRole = new Map<string, string[]>(roles.map((r) => [r.name, []]));
    for (const r of roles) for (const inline of (r.inputs.inlinePolicies ?? []) as { policy?: string }[]) if (inline.policy) byRole.get(r.name)!.push(...statementLines(inline.policy));
    for (const p of run.ofType("aws:iam/rolePolicy:RolePolicy")) {
        const role = roleOf(p.inputs.role);
        if (role !== undefined) byRole.get(role.name)!.push(...statementLines(p.inputs.policy));
    }
    for (const a of run.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")) {
        const role = roleOf(a.inputs.role);
        if (role !== undefined) byRole.get(role.name)!.push(`Attached managed policy ${a.inputs.policyArn}`);
    }
    const executionRoles = new Set(run.ofType("aws:ecs/taskDefinition:TaskDefinition").map((td) => roleOf(td.inputs.executionRoleArn)?.name));
    return [...byRole.entries()]
        .map(([role, statements]) => ({ role: executionRoles.has(role) ? `${role} (ECS execution role)` : role, statements: statements.length > 0 ? statements : ["no permissions"] }))
        .sort((a, b) => Number(b.role.endsWith("(ECS execution role)")) - Number(a.role.endsWith("(ECS execution role)")));
}
