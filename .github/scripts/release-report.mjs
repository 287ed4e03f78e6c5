#!/usr/bin/env node
// @ts-check
// Turns `pulumi stack output --json` (read from stdin) into what the workflows show and check.
//
//   release-report.mjs summary <title>   Markdown for $GITHUB_STEP_SUMMARY: running release,
//                                        previous release, changed config keys, image, url.
//   release-report.mjs image             Prints the stack's `image` output after checking that it
//                                        is an ECR reference pinned by digest; exits 1 otherwise.
//
// Plain Node (no dependencies, no build step) so every job can run it right after `npm ci` or
// without it. Secret outputs arrive as "[secret]" because the workflows never pass --show-secrets.

import { readFileSync } from "node:fs";

/** An ECR image pinned by digest: <account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repo>[:tag]@sha256:<64 hex>. */
const ECR_DIGEST_REF =
    /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/[a-z0-9][a-z0-9._/-]*(:[\w][\w.-]{0,127})?@sha256:[0-9a-f]{64}$/;

/** @param {unknown} value */
function code(value) {
    if (value === undefined || value === null || value === "") return "–";
    const text = typeof value === "string" ? value : JSON.stringify(value);
    // Inline code in a table cell: no backticks inside, pipes escaped, one line.
    return "`" + text.replace(/`/g, "'").replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ") + "`";
}

/** @param {unknown} keys */
function changedKeys(keys) {
    if (keys === undefined || keys === null) return "–";
    if (Array.isArray(keys)) return keys.length === 0 ? "none" : keys.map(code).join(", ");
    return code(keys);
}

/**
 * @param {Record<string, unknown>} outputs
 * @param {string} title
 */
function summary(outputs, title) {
    if (outputs.runningRelease === undefined) {
        return `### ${title}: no release deployed yet\n\nThe stack has no \`runningRelease\` output.\n`;
    }
    const rows = [
        ["running release", code(outputs.runningRelease)],
        ["previous release", code(outputs.previousRelease)],
        ["changed config keys", changedKeys(outputs.changedKeys)],
        ["image", code(outputs.image)],
        ["url", typeof outputs.url === "string" && outputs.url !== "" ? outputs.url : "–"],
    ];
    return [
        `### ${title}: running release ${code(outputs.runningRelease)}`,
        "",
        "| output | value |",
        "| --- | --- |",
        ...rows.map(([name, value]) => `| ${name} | ${value} |`),
        "",
    ].join("\n");
}

/** @param {Record<string, unknown>} outputs */
function image(outputs) {
    const ref = outputs.image;
    if (typeof ref !== "string" || ref === "") {
        throw new Error("the stack has no `image` output: has its last `pulumi up` succeeded?");
    }
    if (!ECR_DIGEST_REF.test(ref)) {
        throw new Error(`the stack's \`image\` output is not an ECR image pinned by digest: ${ref}`);
    }
    return ref;
}

/** @param {string} text */
function parseOutputs(text) {
    /** @type {unknown} */
    const parsed = JSON.parse(text.trim() === "" ? "{}" : text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new Error("expected the JSON object printed by `pulumi stack output --json`");
    }
    return /** @type {Record<string, unknown>} */ (parsed);
}

function main() {
    const [command, title] = process.argv.slice(2);
    try {
        const outputs = parseOutputs(readFileSync(0, "utf8"));
        if (command === "summary" && title) {
            process.stdout.write(summary(outputs, title));
        } else if (command === "image") {
            process.stdout.write(image(outputs) + "\n");
        } else {
            throw new Error("usage: release-report.mjs summary <title> | image   (stack outputs JSON on stdin)");
        }
    } catch (error) {
        // An annotation GitHub shows on the run page, and a plain message everywhere else.
        process.stderr.write(`::error::release-report: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
    }
}

main();
