import { readFileSync } from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { editPin } from "./pin-edit";

const pinOf = (text: string) => ((yaml.load(text) as { config: Record<string, { pin?: string }> }).config["twelve-factor:release"] ?? {}).pin;

describe("editing release.pin in a stack file", () => {
    const prod = readFileSync(path.join(__dirname, "..", "Pulumi.prod.yaml"), "utf8");

    it("adds the pin to the real stack files and changes no other line", () => {
        for (const file of ["Pulumi.dev.yaml", "Pulumi.prod.yaml"]) {
            const text = readFileSync(path.join(__dirname, "..", file), "utf8");
            const pinned = editPin(text, "twelve-factor", "v41");
            expect(pinOf(pinned)).toBe("v41");
            const added = pinned.split("\n").filter((l) => !text.split("\n").includes(l));
            expect(added).toEqual(["  twelve-factor:release:", "    pin: v41"]);
            // Every original line is still there, in order: comments included.
            expect(pinned.split("\n").filter((l) => !added.includes(l))).toEqual(text.split("\n"));
            // Clearing it gives back the file as it was.
            expect(editPin(pinned, "twelve-factor", undefined)).toBe(text);
        }
        expect(editPin(prod, "twelve-factor", "v2")).toContain("# Rollback: pulumi config set --stack prod --path release.pin v41");
    });

    it("replaces an existing pin in place, keeping its comment lines", () => {
        const text = "config:\n  aws:region: eu-west-1 # where\n  twelve-factor:release:\n    # frozen during the incident\n    pin: v3\n  twelve-factor:app: shop\n# trailing\n";
        const edited = editPin(text, "twelve-factor", "v7");
        expect(edited).toBe("config:\n  aws:region: eu-west-1 # where\n  twelve-factor:release:\n    pin: v7\n    # frozen during the incident\n  twelve-factor:app: shop\n# trailing\n");
        expect(editPin(edited, "twelve-factor", undefined)).toBe("config:\n  aws:region: eu-west-1 # where\n  twelve-factor:release:\n    # frozen during the incident\n  twelve-factor:app: shop\n# trailing\n".replace("  twelve-factor:release:\n    # frozen during the incident\n", ""));
    });

    it("rewrites a flow mapping as a block, and an empty one too", () => {
        expect(editPin("config:\n  twelve-factor:release: {pin: v3}\n  twelve-factor:app: shop\n", "twelve-factor", "v4")).toBe("config:\n  twelve-factor:release:\n    pin: v4\n  twelve-factor:app: shop\n");
        expect(editPin("config:\n  twelve-factor:release: {pin: v3}\n  twelve-factor:app: shop\n", "twelve-factor", undefined)).toBe("config:\n  twelve-factor:app: shop\n");
        expect(editPin("config:\n  twelve-factor:release: {}\n  twelve-factor:app: shop\n", "twelve-factor", "v1")).toBe("config:\n  twelve-factor:release:\n    pin: v1\n  twelve-factor:app: shop\n");
    });

    it("follows the file's indentation and leaves a file without a pin unchanged on clear", () => {
        const four = "encryptionsalt: abc\nconfig:\n    aws:region: eu-west-1\n    twelve-factor:app: shop\n\n# end\n";
        expect(editPin(four, "twelve-factor", "v9")).toBe("encryptionsalt: abc\nconfig:\n    aws:region: eu-west-1\n    twelve-factor:app: shop\n    twelve-factor:release:\n        pin: v9\n\n# end\n");
        expect(editPin(four, "twelve-factor", undefined)).toBe(four);
    });

    it("refuses what it cannot edit safely", () => {
        expect(() => editPin("name: x\n", "twelve-factor", "v1")).toThrow(/no top-level config/);
        expect(() => editPin("config:\n  twelve-factor:release: {pin: v1, other: 2}\n", "twelve-factor", "v2")).toThrow(/cannot edit the stack file safely/);
    });
});
