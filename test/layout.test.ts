import { readdirSync, readFileSync } from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "./harness";

/**
 * The program's house: imports point down only (index → lookups, release, components → lib;
 * config → lib; components may take a Release whole), no file imports itself round a circle,
 * and no program file grows past 300 lines. The products beside the program sit above it:
 * offline/ (the simulated account and the evaluation) and check/ (npm run check) may import
 * the program, the program never imports them; policy/ (the CrossGuard pack, which Pulumi runs
 * on its own) imports none of it.
 */

const programFolders = ["config", "lib", "release", "lookups", "components"] as const;
const folders = [...programFolders, "offline", "policy", "check"] as const;
/** What each folder may import besides itself. */
const mayImport: Record<string, string[]> = {
    lib: [],
    config: ["lib"],
    release: ["lib"],
    lookups: ["lib"],
    components: ["lib", "release"],
    offline: [...programFolders, "index"],
    policy: [],
    check: [...programFolders, "index", "offline", "policy"],
};

const programFiles = ["index.ts", ...folders.flatMap((f) => readdirSync(path.join(projectRoot, f)).filter((n) => n.endsWith(".ts") && !n.endsWith(".test.ts")).map((n) => `${f}/${n}`))];

/** Relative imports of a file (type-only ones too: they tie the files together just the same), as project paths. */
function importsOf(file: string): string[] {
    const text = readFileSync(path.join(projectRoot, file), "utf8");
    // Data files (check/prices.json) are no module of the house.
    return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^"'\n]*?from\s+["'](\.[^"']+)["']/g)].filter((m) => !m[1].endsWith(".json")).map((m) => {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1]));
        return programFiles.includes(`${target}.ts`) ? `${target}.ts` : `${target}/index.ts`;
    });
}

const folderOf = (file: string) => (file.includes("/") ? file.split("/")[0] : "index");

describe("the program's layout", () => {
    const graph = new Map(programFiles.map((f) => [f, importsOf(f)]));

    it("finds every import it checks", () => {
        for (const [file, targets] of graph) for (const t of targets) expect(programFiles, `${file} imports ${t}`).toContain(t);
        expect(graph.get("index.ts")!.length).toBeGreaterThan(5);
    });

    it.each(folders)("%s/ imports only what lies below it", (folder) => {
        const upward = [...graph].filter(([f]) => folderOf(f) === folder)
            .flatMap(([f, targets]) => targets.filter((t) => folderOf(t) !== folder && !mayImport[folder].includes(folderOf(t))).map((t) => `${f} → ${t}`));
        expect(upward).toEqual([]);
    });

    it("keeps the program free of offline/, check/ and policy/ (they build on it, never the other way round)", () => {
        const program = [...graph].filter(([f]) => f === "index.ts" || (programFolders as readonly string[]).includes(folderOf(f)));
        const upward = program.flatMap(([f, targets]) => targets.filter((t) => ["offline", "check", "policy"].includes(folderOf(t))).map((t) => `${f} → ${t}`));
        expect(upward).toEqual([]);
    });

    it("has no import circle", () => {
        const circles: string[] = [];
        const visit = (file: string, trail: string[]) => {
            if (trail.includes(file)) {
                circles.push([...trail.slice(trail.indexOf(file)), file].join(" → "));
                return;
            }
            for (const next of graph.get(file) ?? []) visit(next, [...trail, file]);
        };
        for (const file of programFiles) visit(file, []);
        expect(circles).toEqual([]);
    });

    it("keeps every program file within 300 lines", () => {
        const long = programFiles.map((f) => [f, readFileSync(path.join(projectRoot, f), "utf8").split("\n").length] as const).filter(([, n]) => n > 300);
        expect(long).toEqual([]);
    });
});
