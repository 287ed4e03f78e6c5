import { createHash, pbkdf2Sync } from "crypto";

/** JSON with object keys sorted at every level, so equal content always serialises equally. */
export function stableStringify(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
    if (value !== null && typeof value === "object") {
        const entries = Object.entries(value as Record<string, unknown>)
            .filter(([, v]) => v !== undefined)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(",")}}`;
    }
    return JSON.stringify(value);
}

export function sha256(text: string | Buffer): string {
    return createHash("sha256").update(text).digest("hex");
}

/**
 * A value's fingerprint for change detection. Secret values go through PBKDF2 salted with
 * the key's full name, so the ledger (a plain String parameter) cannot be brute-forced cheaply.
 */
export function hashValue(value: string, secret: boolean, salt: string): string {
    if (!secret) return sha256(value).slice(0, 16);
    return pbkdf2Sync(value, salt, 100_000, 8, "sha256").toString("hex");
}

/** A record's entries in key order: declarations and reports that follow it are deterministic. */
export function entriesByKey<T>(record: Record<string, T>): [string, T][] {
    return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
