import { describe, expect, it } from "vitest";
import { hashValue, stableStringify } from "./hashing";

describe("hashing", () => {
    it("serialises with sorted keys at every level", () => {
        expect(stableStringify({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: undefined } })).toBe('{"a":{"d":[2,{"e":0,"f":1}]},"b":1}');
    });

    it("hashes secrets slowly and per key, so equal secrets under different keys differ", () => {
        expect(hashValue("hunter2", true, "/shop/dev/A")).not.toBe(hashValue("hunter2", true, "/shop/dev/B"));
        expect(hashValue("hunter2", true, "/shop/dev/A")).toBe(hashValue("hunter2", true, "/shop/dev/A"));
        expect(hashValue("hunter2", true, "/shop/dev/A")).not.toContain("hunter2");
        expect(hashValue("x", false, "s")).toMatch(/^[0-9a-f]{16}$/);
    });
});
