#!/usr/bin/env node
// @ts-check
// Turns `pulumi stack output --json` or `pulumi stack history --json` (read from stdin) into what
// the workflows show and check.
//
//   release-report.mjs summary <title>   Markdown for $GITHUB_STEP_SUMMARY: running release,
//                                        previous release, changed config keys, image, url.
//   release-report.mjs image             Prints the stack's `image` output after checking that it
//                                        is an ECR reference pinned by digest; exits 1 otherwise.
//   release-report.mjs source <title>    Reads `pulumi stack history --json` instead: Markdown
//                                        naming the update the stack's outputs come from (version,
//                                        start time, commit), and a warning annotation on stderr
//                                        when a newer update did not succeed.
//
// The stack outputs `image` and `runningRelease` come from the running pointer, which an update
// writes only after every ECS service reached steady state: after a failed update (an ECS
// circuit-breaker rollback) they still name what ran before, so they always name what ran.
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

/**
 * One entry of `pulumi stack history --json`: version, kind ("update", "refresh", "destroy", …),
 * startTime, result ("succeeded", "failed", "in-progress"), environment (`git.head`: the commit).
 * @typedef {{ version: number, kind?: string, startTime?: string, result?: string, environment?: Record<string, string> }} Update
 */

/** @param {unknown} value @returns {value is Update} */
function isUpdate(value) {
    return typeof value === "object" && value !== null && !Array.isArray(value) && Number.isInteger(/** @type {Update} */ (value).version);
}

/** @param {Update} u */
function succeeded(u) {
    return u.kind === "update" && u.result === "succeeded";
}

/** @param {string} label @param {Update} u */
function updateRow(label, u) {
    const commit = u.environment?.["git.head"];
    return `| ${label} | ${code(u.version)} | ${code(u.kind)} | ${code(u.result)} | ${code(u.startTime)} | ${code(commit)} |`;
}

/**
 * Which update of a stack its outputs come from: the newest update that succeeded (only a
 * successful update moves the running pointer the outputs are read from), and the newest update
 * of any kind when that is another one.
 * @param {unknown} history
 * @param {string} title
 * @returns {{ markdown: string, warning?: string }}
 */
function source(history, title) {
    if (!Array.isArray(history) || !history.every(isUpdate)) {
        throw new Error("expected the JSON array printed by `pulumi stack history --json`, each entry with an integer `version`");
    }
    // Newest first, whatever order the backend listed them in.
    const updates = [...history].sort((a, b) => b.version - a.version);
    const newest = updates[0];
    if (newest === undefined) {
        return { markdown: `#### ${title}: no updates recorded\n`, warning: `${title} has no recorded updates` };
    }
    const ran = updates.find(succeeded);
    const table = (/** @type {string[]} */ ...rows) =>
        ["| | version | kind | result | started | commit |", "| --- | --- | --- | --- | --- | --- |", ...rows, ""];
    if (ran === undefined) {
        return {
            markdown: [
                `#### ${title}: none of the last ${updates.length} updates succeeded`,
                "",
                "Its outputs come from an older update than these.",
                "",
                ...table(updateRow("newest update", newest)),
            ].join("\n"),
            warning: `${title}: none of its last ${updates.length} updates succeeded`,
        };
    }
    const heading = [`#### ${title}: outputs from update ${code(ran.version)}`, ""];
    if (ran === newest) {
        return { markdown: [...heading, ...table(updateRow("outputs from", ran))].join("\n") };
    }
    const what = `${newest.kind ?? "?"}, ${newest.result ?? "?"}`;
    return {
        markdown: [
            ...heading,
            ...table(updateRow("outputs from", ran), updateRow("newest update", newest)),
            `Update ${code(newest.version)} (${what}) has not moved the running pointer: the outputs still name what ran after update ${code(ran.version)}.`,
            "",
        ].join("\n"),
        warning: `${title}: newest update ${newest.version} (${what}) has not moved the outputs; they come from update ${ran.version}`,
    };
}

/** @param {string} text */
function parseHistory(text) {
    return /** @type {unknown} */ (JSON.parse(text.trim() === "" ? "[]" : text));
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
        const input = readFileSync(0, "utf8");
        if (command === "summary" && title) {
            process.stdout.write(summary(parseOutputs(input), title));
        } else if (command === "image") {
            process.stdout.write(image(parseOutputs(input)) + "\n");
        } else if (command === "source" && title) {
            const { markdown, warning } = source(parseHistory(input), title);
            process.stdout.write(markdown);
            if (warning) process.stderr.write(`::warning title=Source update::${warning}\n`);
        } else {
            throw new Error("usage: release-report.mjs summary <title> | image   (stack outputs JSON on stdin)\n" +
                "       release-report.mjs source <title>             (stack history JSON on stdin)");
        }
    } catch (error) {
        // An annotation GitHub shows on the run page, and a plain message everywhere else.
        process.stderr.write(`::error::release-report: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
    }
}

main();
