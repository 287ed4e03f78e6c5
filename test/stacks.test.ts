import { readdirSync, readFileSync } from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { stackConfigSchema } from "../config";
import { autoNameSuffixLength, nameLimits } from "../lib/naming";
import { projectRoot, readStackConfig, EvaluateOptions, Evaluation, evaluateStack } from "./harness";

const devImage = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-dev-build-repo-1a2b3c4@sha256:${"d".repeat(64)}`;
const stackFiles = readdirSync(projectRoot).filter((f) => /^Pulumi\.[a-z0-9-]+\.yaml$/.test(f));
const options = (stack: string): EvaluateOptions => ({ stack, stackOutputs: { dev: { image: devImage } } });
const snapshot = (run: Evaluation) => run.resources.map((r) => ({ type: r.type, name: r.name, parent: r.parent, inputs: r.inputs, retainOnDelete: r.retainOnDelete }));

/** The same config with every object's keys in reverse order. */
function reversed(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(reversed);
    if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversed(v)]));
    return value;
}

describe.each(["dev", "prod"])("the %s stack file", (stack) => {
    it("evaluates under mocks and exports what a PR preview needs", async () => {
        const run = await evaluateStack(options(stack));
        expect(run.outputs).toMatchObject({ runningRelease: "v1", previousRelease: "none", newestRelease: "v1", databaseKind: "owned" });
        // Prod serves its own name over HTTPS (domain); dev the load balancer's name over HTTP.
        expect(run.outputs.url).toMatch(stack === "prod" ? /^https:\/\/shop\.example\.com$/ : new RegExp(`^http://shop-${stack}-alb`));
        expect(run.outputs.image).toMatch(/@sha256:[0-9a-f]{64}$/);
        expect(run.ofType("aws:ecs/service:Service").length).toBe(2);
    });

    it("is deterministic: twice, and with config keys in another order, the same inputs", async () => {
        const first = await evaluateStack(options(stack));
        const second = await evaluateStack(options(stack));
        const { config } = readStackConfig(stack);
        const reorderedConfig = Object.fromEntries(Object.entries(config).reverse().map(([k, v]) => [k, reversed(v)]));
        const reordered = await evaluateStack({ ...options(stack), config: reorderedConfig });
        expect(snapshot(second)).toEqual(snapshot(first));
        expect(JSON.stringify(snapshot(reordered))).toBe(JSON.stringify(snapshot(first)));
    });

    it("names every child after its parent component", async () => {
        const run = await evaluateStack(options(stack));
        const children = run.resources.filter((r) => r.parent !== undefined && r.parentType !== "pulumi:pulumi:Stack");
        expect(children.length).toBeGreaterThan(20);
        for (const child of children) expect(child.name.startsWith(child.parent!), `${child.name} under ${child.parent}`).toBe(true);
        const components = run.resources.filter((r) => r.type.startsWith("twelve-factor:"));
        const production = stack === "prod" ? { before: ["Domain", "AccessLogs"], after: ["Autoscaling", "Alarms"] } : { before: [], after: [] };
        expect(components.map((c) => c.type.split(":").pop())).toEqual(["Network", "Database", "Build", "Release", ...production.before, "Run", ...production.after]);
    });

    it("declares every resource in a preview too, where provider outputs are still unknown", async () => {
        const preview = await evaluateStack({ ...options(stack), preview: true });
        const up = await evaluateStack(options(stack));
        expect(preview.resources.map((r) => r.name)).toEqual(up.resources.map((r) => r.name));
        // What a deploy would run is known at preview, whatever the provider computes.
        expect(preview.outputs.plannedRelease).toEqual({ running: "v1", previous: "none", pinned: "none", newest: "v1" });
        // The load balancer's name is the provider's; the domain is config, known at preview.
        if (stack === "prod") expect(preview.outputs.url).toBe("https://shop.example.com");
        else expect(preview.outputs.url).toBeUndefined();
    });
});

describe("AWS name limits with the longest app name the config accepts", () => {
    it.each([["dev", "a".repeat(16)], ["prod", "a".repeat(15)]])("%s with app %s", async (stack, app) => {
        const run = await evaluateStack({ ...options(stack), config: { app } });
        const autoNamed = (type: string) => run.ofType(type).map((r) => r.name.length + autoNameSuffixLength);
        for (const n of autoNamed("aws:lb/loadBalancer:LoadBalancer")) expect(n).toBeLessThanOrEqual(nameLimits.loadBalancer);
        for (const n of autoNamed("aws:lb/targetGroup:TargetGroup")) expect(n).toBeLessThanOrEqual(nameLimits.targetGroup);
        for (const n of autoNamed("aws:iam/role:Role")) expect(n).toBeLessThanOrEqual(nameLimits.iamRole);
        for (const n of autoNamed("aws:ecs/service:Service")) expect(n).toBeLessThanOrEqual(nameLimits.ecs);
        for (const n of autoNamed("aws:ecs/cluster:Cluster")) expect(n).toBeLessThanOrEqual(nameLimits.ecs);
        for (const td of run.ofType("aws:ecs/taskDefinition:TaskDefinition")) expect(td.inputs.family).toMatch(/^[A-Za-z0-9_-]{1,255}$/);
        const [db] = run.ofType("aws:rds/instance:Instance");
        expect(db.inputs.identifier).toMatch(/^[a-z][a-z0-9-]{0,62}$/);
        expect(db.inputs.identifier).not.toMatch(/--|-$/);
        expect(db.inputs.finalSnapshotIdentifier.length).toBeLessThanOrEqual(255);
        for (const p of run.ofType("aws:ssm/parameter:Parameter")) {
            expect(p.inputs.name.length).toBeLessThanOrEqual(1011);
            expect(p.inputs.name.split("/").length - 1).toBeLessThanOrEqual(15);
            expect(p.inputs.name).not.toMatch(/^\/?(aws|ssm)/i);
        }
    });
});

describe("backing-service parity", () => {
    const databases = stackFiles.map((file) => {
        const config = (yaml.load(readFileSync(path.join(projectRoot, file), "utf8")) as { config: Record<string, { engine: string; majorVersion: number }> }).config;
        return { file, ...config["twelve-factor:database"] };
    });

    it("finds both stack files", () => {
        expect(stackFiles.sort()).toEqual(["Pulumi.dev.yaml", "Pulumi.prod.yaml"]);
    });

    it("uses the same engine and major version in every stack, and never SQLite", () => {
        const engines = new Set(databases.map((d) => `${d.engine} ${d.majorVersion}`));
        expect([...engines], JSON.stringify(databases)).toEqual(["postgres 15"]);
        for (const file of stackFiles) expect(readFileSync(path.join(projectRoot, file), "utf8")).not.toMatch(/sqlite/i);
    });

    it("runs that same major version for local development (docker-compose.yml)", () => {
        const compose = yaml.load(readFileSync(path.join(projectRoot, "docker-compose.yml"), "utf8")) as { services: Record<string, { image?: string }> };
        const postgres = Object.values(compose.services).map((s) => s.image).filter((i): i is string => i !== undefined && i.startsWith("postgres:"));
        expect(postgres).toHaveLength(1);
        expect(postgres[0]).toMatch(new RegExp(`^postgres:${databases[0].majorVersion}(\\.|-|$)`));
    });
});

describe("Pulumi.yaml", () => {
    it("refreshes before every preview and update, so a circuit-breaker rollback is seen and never recorded as running", () => {
        const options = (yaml.load(readFileSync(path.join(projectRoot, "Pulumi.yaml"), "utf8")) as { options?: { refresh?: string } }).options;
        expect(options?.refresh).toBe("always");
    });

    const project = yaml.load(readFileSync(path.join(projectRoot, "Pulumi.yaml"), "utf8")) as { name: string; runtime: { name: string }; config: Record<string, { description?: string; default?: unknown; type?: string }> };

    it("documents every setting the schema reads: required ones declared, optional ones with their defaults", () => {
        const text = readFileSync(path.join(projectRoot, "Pulumi.yaml"), "utf8");
        const settings = Object.keys(stackConfigSchema.shape).filter((k) => k !== "region");
        for (const key of settings) {
            const declared = key in project.config;
            const documented = new RegExp(`^#\\s+${key}\\s+\\[`, "m").test(text);
            expect(declared !== documented, `${key}: declared in config: or documented in the comment, exactly once`).toBe(true);
        }
        for (const [key, decl] of Object.entries(project.config)) expect(decl.description?.length, key).toBeGreaterThan(20);
    });

    it("declares without a default only keys every stack file sets (else Pulumi refuses to run)", () => {
        for (const [key, decl] of Object.entries(project.config)) {
            if (decl.default !== undefined) continue;
            for (const file of stackFiles) {
                const config = (yaml.load(readFileSync(path.join(projectRoot, file), "utf8")) as { config: Record<string, unknown> }).config;
                expect(config[`twelve-factor:${key}`], `${file} sets ${key}`).toBeDefined();
            }
        }
    });

    it("states the same defaults as the schema", () => {
        for (const [key, decl] of Object.entries(project.config)) {
            if (decl.default === undefined) continue;
            const field = stackConfigSchema.shape[key as keyof typeof stackConfigSchema.shape];
            expect(field.parse(undefined), key).toEqual(decl.default);
        }
    });

    it("keeps secret values in the stack files only as `secure:` ciphertext", () => {
        const plainLeaves = (value: unknown): unknown[] => {
            if (value !== null && typeof value === "object") {
                const obj = value as Record<string, unknown>;
                return Object.keys(obj).length === 1 && "secure" in obj ? [] : Object.values(obj).flatMap(plainLeaves);
            }
            return [value];
        };
        for (const file of stackFiles) {
            const config = (yaml.load(readFileSync(path.join(projectRoot, file), "utf8")) as { config: Record<string, Record<string, unknown> | undefined> }).config;
            expect(plainLeaves(config["twelve-factor:secrets"] ?? {}), file).toEqual([]);
            const database = config["twelve-factor:database"] ?? {};
            for (const block of ["existing", "external"]) {
                const settings = (database[block] ?? {}) as Record<string, unknown>;
                for (const key of ["password", "url"]) if (key in settings) expect(plainLeaves(settings[key]), `${file} database.${block}.${key}`).toEqual([]);
            }
        }
    });
});
