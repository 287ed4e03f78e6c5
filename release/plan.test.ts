import { describe, expect, it } from "vitest";
import type { LedgerEntry, RunningPointer } from "./ledger";
import { diffKeys, planRelease, releaseDigest, type ReleaseContent } from "./plan";

/** What a release is made of, named by one letter; its digest is what the plan computes for it. */
const content = (name: string): ReleaseContent => ({ build: `image:${name}`, built: false, values: [], processes: {} });
const digestOf = (name: string) => releaseDigest(`image:${name}`, {}, {});
const entry = (id: string, name: string): LedgerEntry => ({ id, digest: digestOf(name), image: `repo@sha256:${name}`, keys: {}, secretKeys: [], processes: {}, build: `image:${name}`, built: false });
const ledger = [entry("v1", "a"), entry("v2", "b"), entry("v10", "j")];
const plan = (entries: LedgerEntry[], pointer: RunningPointer | undefined, made: string | undefined, pin?: string) =>
    planRelease({ parameterPath: "/shop/dev", ledger: entries, pointer, pin, nextNumber: entries.length === 0 ? 1 : 11, content: made === undefined ? undefined : content(made) });

describe("planRelease", () => {
    const head = (id: string, isNew: boolean) => ({ head: { entry: { id }, isNew }, runningId: id, newestId: id });
    it.each([
        ["first release", [], "a", undefined, undefined, { ...head("v1", true), previousId: undefined }],
        ["unchanged", ledger, "j", undefined, { running: "v10", previous: "v2" }, { ...head("v10", false), previousId: "v2" }],
        ["changed (ids compare as numbers)", ledger, "k", undefined, { running: "v10" }, { ...head("v11", true), previousId: "v10" }],
        ["old content again is a new release", ledger, "a", undefined, { running: "v10" }, { ...head("v11", true), previousId: "v10" }],
        ["unchanged, but the stack was destroyed since (no pointer): a new id, never v10 rewritten", ledger, "j", undefined, undefined, { ...head("v11", true), previousId: undefined }],
        ["rollback declares nothing new", ledger, undefined, "v2", { running: "v10", previous: "v2" }, { runningId: "v2", previousId: "v10", newestId: "v10" }],
        ["rollback, again", ledger, undefined, "v2", { running: "v2", previous: "v10" }, { runningId: "v2", previousId: "v10" }],
        ["a pin on the newest runs it, frozen", ledger, undefined, "v10", { running: "v10" }, { runningId: "v10", previousId: undefined }],
        ["content changed while pinned: still frozen", ledger, "k", "v2", { running: "v2", previous: "v10" }, { runningId: "v2", previousId: "v10", newestId: "v10" }],
    ] as const)("%s", (_, entries, made, pin, pointer, expected) => {
        const planned = plan([...entries], pointer, made, pin);
        expect(planned).toMatchObject(expected);
        if (pin !== undefined) expect(planned.head).toBeUndefined();
    });

    it("re-declares the newest entry exactly as recorded", () => {
        expect(plan(ledger, { running: "v10" }, "j").head?.entry).toBe(ledger[2]);
    });

    it("rejects a pin that is not in the ledger", () => {
        expect(() => plan(ledger, undefined, "j", "v3")).toThrow("release v3 is not in this stack's ledger (known releases: v1, v2, v10)");
    });

    it("gives a different digest for a different image, value or process command", () => {
        const web = { web: { command: ["node", "web.js"], healthCheckPath: "/healthz", phase: "run" as const } };
        const base = releaseDigest("image:a", { A: "1" }, web);
        expect(releaseDigest("image:b", { A: "1" }, web)).not.toBe(base);
        expect(releaseDigest("image:a", { A: "2" }, web)).not.toBe(base);
        expect(releaseDigest("image:a", { A: "1" }, { web: { ...web.web, command: ["node", "server.js"] } })).not.toBe(base);
        expect(releaseDigest("image:a", { A: "1" }, web)).toBe(base);
    });

    it("names added, changed and removed keys", () => {
        expect(diffKeys({ A: "1", B: "2", C: "3" }, { A: "1", B: "9", D: "4" })).toEqual({ added: ["D"], changed: ["B"], removed: ["C"] });
    });
});
