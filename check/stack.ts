import { createHash } from "crypto";
import { accountId } from "../offline/account";
import { evaluate } from "../offline/evaluate";
import { settingsFor } from "../policy/enforcement";
import { runPolicies } from "../policy/offline";
import { policies } from "../policy/rules";
import { estimateCost } from "./cost";
import { releaseReport } from "./release";
import { processReports, resourceSummary, rolePermissions } from "./sections";
import { readStackInput } from "./stack-input";
import type { StackReport } from "./types";

/**
 * Checks one stack: its config as Pulumi reads it, then the real program evaluated under
 * Pulumi's mocks against the simulated account (offline/), then the policies, the release
 * plan and the cost of what it declared. Never calls AWS.
 */

export interface CheckOptions {
    projectDir: string;
    stack: string;
    strict: boolean;
    /** The stack's SSM parameters (--ledger); undefined: none given. */
    ssm?: Record<string, string>;
    /** Other stacks' outputs by stack name (--stack-outputs). */
    stackOutputs: Record<string, Record<string, unknown>>;
}

export async function checkStack(options: CheckOptions): Promise<StackReport> {
    const input = readStackInput(options.projectDir, options.stack, options.strict);
    const report: StackReport = {
        stack: options.stack,
        stackFile: input.stackFile,
        region: input.region,
        ok: false,
        config: { ok: input.errors.length === 0, errors: input.errors, warnings: input.warnings, secrets: input.secrets },
        notes: [],
    };
    const config = input.config;
    if (config === undefined) return report;

    const notes = report.notes;
    notes.push(`Evaluated offline against a simulated AWS account (${accountId}): ARNs, endpoints and digests are stand-ins; nothing was read from or sent to AWS.`);
    const secretValues = input.secrets.map((s) => s.key.replace(/^twelve-factor:/, ""));
    if (input.opaqueKeys.length > 0) notes.push(`Secret values are opaque here (${secretValues.join(", ") || input.opaqueKeys.join(", ")}): they are hashed into the release digest, so the check cannot tell whether they changed.`);
    const below = `/${config.app}/${config.stack}/`;
    if (options.ssm !== undefined && !Object.keys(options.ssm).some((name) => name.startsWith(below))) notes.push(`The ledger file holds no parameter below ${below}: is it this stack's? The check treats the stack as never deployed.`);
    if (options.ssm === undefined) notes.push(`No ledger given (--ledger): the check assumes nothing was deployed yet. Pass the output of aws ssm get-parameters-by-path --path /${config.app}/${config.stack} --recursive to compare with what AWS holds.`);

    // Promotion: the promoted stack's outputs from a file, or simulated (same platform, a stand-in digest).
    const stackOutputs = { ...options.stackOutputs };
    let promotionSimulated = false;
    if (config.build.kind === "promote" && stackOutputs[config.build.fromStack] === undefined) {
        promotionSimulated = true;
        const from = config.build.fromStack;
        stackOutputs[from] = {
            image: `${accountId}.dkr.ecr.${config.region}.amazonaws.com/${config.app}-${from}-build-repo@sha256:${createHash("sha256").update(`simulated ${from}`).digest("hex")}`,
            platform: config.build.platform,
        };
        notes.push(`Stack ${from}'s running image is simulated (no --stack-outputs ${from}=FILE): pass the output of pulumi stack output --json --stack ${from} to see the image a deploy would promote.`);
    }
    if (config.build.kind === "source") notes.push("The image is built and pushed by the deploy: its registry digest is known only then (the release's build identity, the hash of the staged context, is known now). ECR is not consulted offline: a tag pushed outside the ledger would be reused.");

    const run = await evaluate({ stack: options.stack, engine: input.engine, projectDir: options.projectDir, ssm: options.ssm ?? {}, stackOutputs });
    if (run.error !== undefined) {
        report.programError = run.error.message;
        return report;
    }
    report.resources = resourceSummary(run);
    report.release = releaseReport(run, { config, ssm: options.ssm ?? {}, ledgerGiven: options.ssm !== undefined, opaqueKeys: input.opaqueKeys, promotionSimulated });
    report.processes = processReports(run, config);
    // A build's registry digest exists only after the push: name the image by the tag it gets.
    if (report.release.image.builds) for (const p of report.processes) p.image = `${report.release.image.ref} (by digest after the push)`;
    report.permissions = rolePermissions(run);
    const results = await runPolicies(policies, run.resources, settingsFor(policies.map((p) => p.name), options.stack));
    const count = (level: string) => results.filter((r) => r.enforcement === level).reduce((n, r) => n + r.violations.length, 0);
    report.policies = {
        mandatoryViolations: count("mandatory"),
        advisoryViolations: count("advisory"),
        results: results.map((r) => ({ policy: r.policy, enforcement: r.enforcement, violations: r.violations.map((v) => ({ resource: v.resource, message: v.message })) })),
    };
    report.cost = estimateCost(run.resources, config.region);
    if (!report.cost.known) notes.push(`No prices for ${config.region} in check/prices.json: the cost lists what is declared without figures.`);
    report.ok = report.config.ok && report.policies.mandatoryViolations === 0;
    return report;
}
