import * as yaml from "js-yaml";
import { isDeepStrictEqual } from "util";
import { OpsError } from "./io";

/**
 * Sets or removes `<namespace>:release.pin` in a stack file's text, touching only the lines of
 * that key: comments, order, quoting and every other line stay as they were (a YAML round
 * trip would drop the comments). The result is parsed again and must differ from the original
 * in the pin alone, else nothing is written.
 */
export function editPin(text: string, namespace: string, pin: string | undefined): string {
    const key = `${namespace}:release`;
    const lines = text.split("\n");
    const configAt = lines.findIndex((l) => /^config:\s*(#.*)?$/.test(l));
    if (configAt < 0) throw cannotEdit("it has no top-level config: block");
    // The config block: until the next line that is neither indented, blank nor a comment.
    let end = configAt + 1;
    while (end < lines.length && (/^\s/.test(lines[end]) || lines[end].trim() === "" || lines[end].startsWith("#"))) end++;
    const body = lines.slice(configAt + 1, end);
    const indent = /^(\s+)\S/.exec(body.find((l) => /^\s+\S/.test(l) && !/^\s*#/.test(l)) ?? "  x")![1];
    const keyPattern = new RegExp(`^${indent}(["']?)${escape(key)}\\1:(.*)$`);
    const keyAt = body.findIndex((l) => keyPattern.test(l));
    let result: string[];
    if (keyAt < 0) {
        if (pin === undefined) return text;
        // After the last non-blank, non-comment line of the block.
        let last = body.length - 1;
        while (last >= 0 && (body[last].trim() === "" || /^\s*#/.test(body[last]) || body[last].startsWith("#"))) last--;
        result = [...lines.slice(0, configAt + 1 + last + 1), `${indent}${key}:`, `${indent}${indent}pin: ${pin}`, ...lines.slice(configAt + 1 + last + 1)];
    } else {
        const at = configAt + 1 + keyAt;
        // The key's own block: the lines indented deeper than the key.
        let blockEnd = at + 1;
        while (blockEnd < end && (lines[blockEnd].trim() === "" || lines[blockEnd].startsWith(`${indent} `) || lines[blockEnd].startsWith(`${indent}\t`))) blockEnd++;
        while (blockEnd > at + 1 && lines[blockEnd - 1].trim() === "") blockEnd--;
        const inline = keyPattern.exec(lines[at])![2].replace(/\s+#.*$/, "").trim();
        const children = lines.slice(at + 1, blockEnd);
        const childIndent = /^(\s+)\S/.exec(children.find((l) => /^\s+[^\s#]/.test(l)) ?? "")?.[1] ?? `${indent}${indent}`;
        const others = children.filter((l) => !new RegExp(`^${childIndent}(["']?)pin\\1:`).test(l));
        if (inline !== "" && inline !== "{}" ) {
            // A flow mapping ({pin: v3}): written again as a block.
            const parsed = yaml.load(inline) as Record<string, unknown> | null;
            if (parsed === null || typeof parsed !== "object" || Object.keys(parsed).some((k) => k !== "pin")) throw cannotEdit(`${key} holds ${inline}`);
            result = [...lines.slice(0, at), ...(pin === undefined ? [] : [`${indent}${key}:`, `${childIndent}pin: ${pin}`]), ...lines.slice(at + 1)];
        } else {
            const block = pin === undefined
                ? (others.some((l) => /^\s+[^\s#]/.test(l)) ? [lines[at].replace(/:\s*\{\}\s*$/, ":"), ...others] : [])
                : [lines[at].replace(/:\s*\{\}(\s*#.*)?$/, ":$1"), `${childIndent}pin: ${pin}`, ...others];
            result = [...lines.slice(0, at), ...block, ...lines.slice(blockEnd)];
        }
    }
    const edited = result.join("\n");
    check(text, edited, key, pin);
    return edited;
}

function check(before: string, after: string, key: string, pin: string | undefined): void {
    const load = (t: string) => (yaml.load(t) as { config?: Record<string, unknown> }) ?? {};
    const [a, b] = [load(before), load(after)];
    const pinOf = (doc: typeof a) => (doc.config?.[key] as { pin?: unknown } | undefined)?.pin;
    const strip = (doc: typeof a) => {
        const config = { ...doc.config };
        const release = { ...(config[key] as object | undefined) } as Record<string, unknown>;
        delete release.pin;
        if (Object.keys(release).length === 0) delete config[key];
        else config[key] = release;
        return { ...doc, config };
    };
    if (pinOf(b) !== pin || !isDeepStrictEqual(strip(a), strip(b))) throw cannotEdit("the edit would change more than the pin");
}

function cannotEdit(why: string): OpsError {
    return new OpsError(`cannot edit the stack file safely: ${why}`, "set the pin with pulumi config set --path release.pin <id> (or rm), then deploy", 4);
}

function escape(s: string): string {
    return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
