import { describe, expect, it } from "vitest";
import { assertOnly, keepReason } from "./prune";

const row = (n: number, written?: Date) => ({ entry: { id: `v${n}` } as never, written });

describe("prune's own guards", () => {
    it("keeps running, previous, pinned and the newest N, whatever else is asked", () => {
        const protect = { running: "v3", previous: "v1", pinned: "v2" };
        expect([1, 2, 3, 4, 5, 6].map((n, i) => keepReason(row(n), i, 6, 2, protect, undefined))).toEqual(["previous", "pinned", "running", undefined, "newest 2", "newest 2"]);
        expect(keepReason(row(4, new Date(2026, 0, 2)), 3, 6, 0, {}, new Date(2026, 0, 1))).toBe("not old enough");
        expect(keepReason(row(4), 3, 6, 0, {}, new Date(2026, 0, 1))).toBe("not old enough");
    });

    it("never prunes the newest release, even with --keep 0: the next release id follows it", () => {
        const pinnedOlder = { running: "v2", previous: "v3", pinned: "v2" };
        expect([1, 2, 3, 4, 5].map((n, i) => keepReason(row(n), i, 5, 0, pinnedOlder, undefined))).toEqual([undefined, "running", "previous", undefined, "newest"]);
    });

    it("refuses any name outside the releases being pruned, or of a protected one", () => {
        const ids = new Set(["v4"]);
        expect(() => assertOnly(["/shop/dev/releases/v4/A", "/shop/dev/ledger/v4"], "/shop/dev", ids, {})).not.toThrow();
        for (const name of ["/shop/dev/running", "/shop/dev/ops", "/shop/dev/releases/v5/A", "/shop/prod/ledger/v4", "/shop/dev/releases/v4/A/B", "/shop/dev/ledger/v40"]) {
            expect(() => assertOnly([name], "/shop/dev", ids, {}), name).toThrow(/refusing to delete/);
        }
        expect(() => assertOnly(["/shop/dev/ledger/v4"], "/shop/dev", ids, { pinned: "v4" })).toThrow(/refusing to delete/);
    });
});
