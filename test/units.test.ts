import { describe, expect, it } from "vitest";
import { repositoryArnOf } from "../components/build";
import { globToRegex, isIgnored } from "../components/context-hash";
import { fargateMemoryByCpu, isValidFargateSize } from "../components/fargate";
import { diffKeys, hashValue, LedgerEntry, planRelease, releaseDigest, stableStringify } from "../components/ledger";
import { releaseDefinitions, withFormation } from "../components/processes";

const entry = (id: string, digest: string): LedgerEntry => ({ id, digest, image: `repo@sha256:${digest}`, keys: {}, secretKeys: [], processes: {} });
const ledger = [entry("v1", "d1"), entry("v2", "d2"), entry("v10", "d10")];

describe("planRelease", () => {
    const head = (id: string, isNew: boolean) => ({ head: { id, isNew }, runningId: id });
    it.each([
        ["first release", [], "d1", undefined, undefined, { ...head("v1", true), previousId: undefined }],
        ["unchanged", ledger, "d10", undefined, { running: "v10", previous: "v2" }, { ...head("v10", false), previousId: "v2" }],
        ["changed (ids compare as numbers)", ledger, "d11", undefined, { running: "v10" }, { ...head("v11", true), previousId: "v10" }],
        ["old content again is a new release", ledger, "d1", undefined, { running: "v10" }, { ...head("v11", true), previousId: "v10" }],
        ["unchanged, but the stack was destroyed since (no pointer): a new id, never v10 rewritten", ledger, "d10", undefined, undefined, { ...head("v11", true), previousId: undefined }],
        ["rollback declares nothing new", ledger, undefined, "v2", { running: "v10", previous: "v2" }, { runningId: "v2", previousId: "v10" }],
        ["rollback, again", ledger, undefined, "v2", { running: "v2", previous: "v10" }, { runningId: "v2", previousId: "v10" }],
        ["a pin on the newest runs it, frozen", ledger, undefined, "v10", { running: "v10" }, { runningId: "v10", previousId: undefined }],
        ["content changed while pinned: still frozen", ledger, "d11", "v2", { running: "v2", previous: "v10" }, { runningId: "v2", previousId: "v10" }],
    ] as const)("%s", (_, entries, digest, pin, pointer, expected) => {
        const plan = planRelease([...entries], pointer, { digest, pin });
        expect(plan).toMatchObject(expected);
        if (pin !== undefined) expect(plan.head).toBeUndefined();
    });

    it("re-declares the newest entry exactly as recorded", () => {
        expect(planRelease(ledger, { running: "v10" }, { digest: "d10" }).head?.existing).toBe(ledger[2]);
    });

    it("rejects a pin that is not in the ledger", () => {
        expect(() => planRelease(ledger, undefined, { digest: "d10", pin: "v3" })).toThrow("release v3 is not in this stack's ledger (known releases: v1, v2, v10)");
    });
});

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

    it("gives a different digest for a different image, value or process command", () => {
        const web = { web: { command: ["node", "web.js"], healthCheckPath: "/healthz", phase: "run" as const } };
        const base = releaseDigest("image:a", { A: "1" }, web);
        expect(releaseDigest("image:b", { A: "1" }, web)).not.toBe(base);
        expect(releaseDigest("image:a", { A: "2" }, web)).not.toBe(base);
        expect(releaseDigest("image:a", { A: "1" }, { web: { ...web.web, command: ["node", "server.js"] } })).not.toBe(base);
        expect(releaseDigest("image:a", { A: "1" }, web)).toBe(base);
    });

    it("sizes a release's processes by today's formation, and names a process today's config lacks", () => {
        const formation = { web: { command: ["new"], cpu: 512, memory: 1024, count: 3, port: 8080, healthCheckPath: "/healthz", phase: "run" as const } };
        const old = { web: { command: ["old"], port: 8080, healthCheckPath: "/health", phase: "run" as const }, cron: { command: ["cron"], healthCheckPath: "/healthz", phase: "run" as const } };
        expect(() => withFormation("v3", old, formation)).toThrow('twelve-factor:processes.cron: release v3 runs process "cron"; expected its cpu, memory and count in config, got nothing');
        expect(withFormation("v3", { web: old.web }, formation)).toEqual({ web: { command: ["old"], port: 8080, healthCheckPath: "/health", phase: "run", cpu: 512, memory: 1024, count: 3 } });
        expect(releaseDefinitions(formation)).toEqual({ web: { command: ["new"], port: 8080, healthCheckPath: "/healthz", healthCheckCommand: undefined, phase: "run" } });
    });

    it("names added, changed and removed keys", () => {
        expect(diffKeys({ A: "1", B: "2", C: "3" }, { A: "1", B: "9", D: "4" })).toEqual({ added: ["D"], changed: ["B"], removed: ["C"] });
    });
});

describe("Fargate sizes", () => {
    it.each([
        [256, 512, true], [256, 2048, true], [256, 3072, false], [512, 4096, true], [1024, 8192, true], [1024, 9216, false],
        [2048, 16384, true], [4096, 30720, true], [4096, 31744, false], [8192, 20480, true], [8192, 18432, false],
        [16384, 122880, true], [16384, 36864, false], [300, 512, false],
    ])("cpu %i with %i MiB: %s", (cpu, memory, ok) => {
        expect(isValidFargateSize(cpu, memory)).toBe(ok);
    });

    it("lists every accepted size", () => {
        expect(Object.values(fargateMemoryByCpu).reduce((n, sizes) => n + sizes.length, 0)).toBe(3 + 4 + 7 + 13 + 23 + 12 + 12);
    });
});

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

describe("repositoryArnOf", () => {
    it.each([
        [`123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web@sha256:${"a".repeat(64)}`, "arn:aws:ecr:eu-west-1:123456789012:repository/shop/web"],
        [`123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/shop@sha256:${"a".repeat(64)}`, "arn:aws-cn:ecr:cn-north-1:123456789012:repository/shop"],
    ])("%s", (ref, arn) => {
        expect(repositoryArnOf(ref)).toBe(arn);
    });

    it("refuses an image that is not an ECR image pinned by digest", () => {
        expect(() => repositoryArnOf("docker.io/library/node:20")).toThrow(/pinned by digest/);
    });
});
