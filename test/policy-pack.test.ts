import { spawn, type ChildProcess } from "child_process";
import { existsSync, readFileSync } from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { settingsFor } from "../policy/enforcement";
import { policies } from "../policy/rules";
import { projectRoot } from "./harness";

/**
 * policy/ is a pack `pulumi preview --policy-pack policy/` can load: started the way Pulumi's
 * analyzer host starts it (its directory as the working directory), it serves the analyzer
 * protocol; asked as the engine asks, it lists every policy at enforcement.yaml's default level
 * and reports a violation of a bad resource. No Pulumi CLI runs here.
 */

/* eslint-disable @typescript-eslint/no-require-imports */
const grpc = require("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
const analyzer = require("@pulumi/pulumi/proto/analyzer_pb");
const { AnalyzerClient } = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const { Empty } = require("google-protobuf/google/protobuf/empty_pb");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");

const packDir = path.join(projectRoot, "policy");
let pack: ChildProcess;
let client: { analyze: Function; getAnalyzerInfo: Function; close(): void };

const call = <T>(method: string, request: unknown) =>
    new Promise<T>((resolve, reject) => (client as unknown as Record<string, Function>)[method](request, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))));

beforeAll(async () => {
    pack = spawn(process.execPath, [path.join(projectRoot, "scripts/run-ts.js"), "index.ts"], { cwd: packDir, stdio: ["ignore", "pipe", "inherit"] });
    // Like every Pulumi plugin, the pack prints the port it serves on.
    const port = await new Promise<number>((resolve, reject) => {
        let out = "";
        pack.stdout!.on("data", (d) => {
            out += d;
            const m = /^(\d+)\s*$/m.exec(out);
            if (m) resolve(Number(m[1]));
        });
        pack.on("exit", (code) => reject(new Error(`policy pack exited (${code}) before serving: ${out}`)));
    });
    client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}, 60_000);

afterAll(() => {
    client?.close();
    pack?.kill();
});

describe("the policy pack", () => {
    it("is a pack directory: PulumiPolicy.yaml (nodejs), a package.json with a version, index.ts", () => {
        expect(yaml.load(readFileSync(path.join(packDir, "PulumiPolicy.yaml"), "utf8"))).toMatchObject({ runtime: "nodejs" });
        expect(JSON.parse(readFileSync(path.join(packDir, "package.json"), "utf8")).version).toMatch(/^\d+\.\d+\.\d+$/);
        expect(existsSync(path.join(packDir, "index.ts"))).toBe(true);
    });

    const levels = ["advisory", "mandatory", "disabled", "remediate"];
    const badTaskDefinition = () => {
        const request = new analyzer.AnalyzeRequest();
        request.setType("aws:ecs/taskDefinition:TaskDefinition");
        request.setName("bad");
        request.setUrn("urn:pulumi:prod::twelve-factor::aws:ecs/taskDefinition:TaskDefinition::bad");
        request.setProperties(Struct.fromJavaScript({ family: "shop-prod-web", skipDestroy: true, containerDefinitions: JSON.stringify([{ name: "web", image: "shop:latest", secrets: [] }]) }));
        request.setOptions(new analyzer.AnalyzerResourceOptions());
        return request;
    };
    type Diagnostics = { getDiagnosticsList(): { getPolicyname(): string; getMessage(): string; getEnforcementlevel(): number }[] };

    it("hands the engine every policy with enforcement.yaml's defaults as its initial config", async () => {
        type Config = { getEnforcementlevel(): number };
        const info = await call<{ getPoliciesList(): { getName(): string }[]; getInitialconfigMap(): { forEach(f: (c: Config, name: string) => void): void } }>("getAnalyzerInfo", new Empty());
        expect(info.getPoliciesList().map((p) => p.getName())).toEqual(policies.map((p) => p.name));
        const initial: Record<string, string> = {};
        info.getInitialconfigMap().forEach((c, name) => (initial[name] = levels[c.getEnforcementlevel()]));
        const defaults = settingsFor(policies.map((p) => p.name), undefined);
        expect(initial).toEqual(Object.fromEntries(Object.entries(defaults).map(([name, s]) => [name, s.enforcementLevel])));
    });

    it("configured with a stack's settings (npm run policy -- --stack prod, as --policy-pack-config), reports a task definition that runs an image by tag as mandatory", async () => {
        const configure = new analyzer.ConfigureAnalyzerRequest();
        const map = configure.getPolicyconfigMap();
        for (const [name, { enforcementLevel, ...properties }] of Object.entries(settingsFor(policies.map((p) => p.name), "prod"))) {
            const c = new analyzer.PolicyConfig();
            c.setEnforcementlevel(levels.indexOf(enforcementLevel));
            c.setProperties(Struct.fromJavaScript(properties));
            map.set(name, c);
        }
        await call("configure", configure);
        const response = await call<Diagnostics>("analyze", badTaskDefinition());
        expect(response.getDiagnosticsList().map((d) => [d.getPolicyname(), levels[d.getEnforcementlevel()], d.getMessage()])).toEqual([
            ["images-pinned-by-digest", "mandatory", expect.stringContaining("container web runs \"shop:latest\": expected an image pinned by digest")],
        ]);
    });
});
