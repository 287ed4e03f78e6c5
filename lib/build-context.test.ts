import { describe, expect, it } from "vitest";
import { globToRegex, isIgnored } from "./build-context";

describe(".dockerignore patterns", () => {
    const patterns = (...lines: string[]) => lines.map((l) => ({ negate: l.startsWith("!"), regex: globToRegex(l.replace(/^!/, "")) }));
    it.each([
        ["node_modules/pg/index.js", ["node_modules"], true],
        ["src/app.js", ["*.md"], false],
        ["README.md", ["*.md"], true],
        ["docs/README.md", ["*.md"], false],
        ["docs/README.md", ["**/*.md"], true],
        ["keep.md", ["*.md", "!keep.md"], false],
        ["test/a.test.js", ["test"], true],
    ])("%s with %j ignored: %s", (file, lines, ignored) => {
        expect(isIgnored(file, patterns(...lines))).toBe(ignored);
    });
});
