import { OpsError } from "./io";

/** A plain text table: columns padded to their widest cell, the last one free. */
export function table(header: string[], rows: string[][]): string {
    const all = [header, ...rows];
    const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
    return all.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : (cell ?? "").padEnd(widths[i]))).join("  ").trimEnd()).join("\n") + "\n";
}

export function isoMinute(date: Date | undefined): string {
    return date === undefined ? "-" : `${date.toISOString().slice(0, 16).replace("T", " ")}Z`;
}

/** `10m`, `2h`, `30s`, `1d` → milliseconds. */
export function parseDuration(text: string, option: string): number {
    const m = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
    if (!m) throw new OpsError(`${option}: expected a duration such as 30s, 10m, 2h or 1d, got "${text}"`, undefined, 2);
    return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "s"];
}
