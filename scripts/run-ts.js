#!/usr/bin/env node
// Runs a TypeScript entry point of this project on plain Node (20 and later) with what
// `npm ci` installs: each .ts file is transpiled to CommonJS by TypeScript's transpileModule (no
// type check: `npm run typecheck` does that) and cached by content, so a warm start loads no
// compiler at all. Usage: node scripts/run-ts.js <file.ts> [args...]
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
const compilerOptions = { module: "commonjs", target: "es2022", esModuleInterop: true, resolveJsonModule: true, inlineSourceMap: false, sourceMap: false };
const typescriptVersion = (() => {
    try {
        return require(path.join(root, "node_modules/typescript/package.json")).version;
    } catch {
        return "none";
    }
})();
const salt = `${typescriptVersion}:${JSON.stringify(compilerOptions)}:1`;
const cacheDir = (() => {
    for (const dir of [path.join(root, "node_modules/.cache/run-ts"), path.join(require("os").tmpdir(), "twelve-factor-run-ts")]) {
        try {
            fs.mkdirSync(dir, { recursive: true });
            fs.accessSync(dir, fs.constants.W_OK);
            return dir;
        } catch {
            // Not writable: try the next place, or transpile without a cache.
        }
    }
    return undefined;
})();

let ts;
function transpile(source, filename) {
    const key = crypto.createHash("sha256").update(salt).update("\0").update(filename).update("\0").update(source).digest("hex");
    const cached = cacheDir && path.join(cacheDir, `${key}.js`);
    if (cached) {
        try {
            return fs.readFileSync(cached, "utf8");
        } catch {
            // Not cached yet.
        }
    }
    if (ts === undefined) {
        try {
            ts = require("typescript");
        } catch {
            console.error("run-ts: TypeScript is not installed (a devDependency): run npm ci");
            process.exit(2);
        }
    }
    const output = ts.transpileModule(source, { compilerOptions: { ...compilerOptions, module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 }, fileName: filename }).outputText;
    if (cached) {
        try {
            const temporary = `${cached}.${process.pid}.tmp`;
            fs.writeFileSync(temporary, output);
            fs.renameSync(temporary, cached);
        } catch {
            // A read-only cache only costs time.
        }
    }
    return output;
}

require.extensions[".ts"] = (module, filename) => {
    module._compile(transpile(fs.readFileSync(filename, "utf8"), filename), filename);
};

// V8's code cache for every CommonJS module: Node 22.1 and later have module.enableCompileCache;
// on Node 20 compiled code is kept beside the transpile cache, keyed by file and content, and
// written when the process exits. Startup is mostly compiling @pulumi/* and its dependencies.
const NodeModule = require("module");
if (cacheDir && process.env.RUN_TS_CODE_CACHE !== "0" && typeof NodeModule.enableCompileCache === "function") {
    // Node 22.1 and later keep the same cache themselves.
    NodeModule.enableCompileCache(path.join(cacheDir, "node"));
} else if (cacheDir && process.env.RUN_TS_CODE_CACHE !== "0") {
    const Module = NodeModule;
    const vm = require("vm");
    const codeDir = path.join(cacheDir, "v8");
    fs.mkdirSync(codeDir, { recursive: true });
    const flavour = `${process.version}:${process.arch}`;
    const fresh = [];
    const originalCompile = Module.prototype._compile;
    Module.prototype._compile = function (content, filename, format) {
        // ES modules and Node's own TypeScript handling (Node 22 and later pass a format) stay Node's.
        if (format !== undefined && format !== "commonjs") return originalCompile.call(this, content, filename, format);
        // By file, size and modification time: hashing every module's source costs more than it saves.
        let stat;
        try {
            stat = fs.statSync(filename);
        } catch {
            stat = undefined;
        }
        const key = crypto.createHash("sha1").update(`${flavour}\0${salt}\0${filename}\0${stat?.size}\0${stat?.mtimeMs}\0${stat === undefined ? content : ""}`).digest("hex");
        const file = path.join(codeDir, `${key}.bin`);
        let cachedData;
        try {
            cachedData = fs.readFileSync(file);
        } catch {
            // Not cached yet.
        }
        let script;
        try {
            script = new vm.Script(Module.wrap(content), {
                filename,
                cachedData,
                importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
            });
        } catch {
            // Not CommonJS after all (Node may detect ES module syntax): let Node compile it.
            return originalCompile.call(this, content, filename, format);
        }
        if (cachedData === undefined || script.cachedDataRejected) fresh.push([file, script]);
        const compiled = script.runInThisContext({ displayErrors: true });
        const mod = this;
        const req = (id) => mod.require(id);
        req.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
        req.resolve.paths = (request) => Module._resolveLookupPaths(request, mod);
        req.main = process.mainModule;
        req.extensions = Module._extensions;
        req.cache = Module._cache;
        return compiled.call(mod.exports, mod.exports, req, mod, filename, path.dirname(filename));
    };
    process.once("exit", () => {
        for (const [file, script] of fresh) {
            try {
                const temporary = `${file}.${process.pid}.tmp`;
                fs.writeFileSync(temporary, script.createCachedData());
                fs.renameSync(temporary, file);
            } catch {
                // A read-only cache only costs time.
            }
        }
    });
}

const [entry, ...args] = process.argv.slice(2);
if (entry === undefined) {
    console.error("usage: node scripts/run-ts.js <file.ts> [args...]");
    process.exit(2);
}
process.argv = [process.argv[0], path.resolve(entry), ...args];
require(path.resolve(entry));
