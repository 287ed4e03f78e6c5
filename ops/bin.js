#!/usr/bin/env node
"use strict";
/**
 * `npm run ops -- <command>`: the operator commands, run from their TypeScript source on any
 * supported Node.js (20, 22, 24) without a build step or a new dependency. `.ts` files are
 * transpiled to CommonJS on load with the project's own TypeScript (types are checked by
 * `tsc --noEmit`, not here); Node's own type stripping (22.18+, 23.6+) is overridden, so every
 * version runs the same code the same way.
 */
const fs = require("fs");
const Module = require("module");
const ts = require("typescript");

const compilerOptions = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, sourceMap: false, inlineSourceMap: true };
Module._extensions[".ts"] = function (module, filename) {
    const { outputText } = ts.transpileModule(fs.readFileSync(filename, "utf8"), { compilerOptions, fileName: filename });
    module._compile(outputText, filename);
};

const { main } = require("./cli.ts");
main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (error) => {
    process.stderr.write(`ops: ${error && error.stack ? error.stack : error}\n`);
    process.exitCode = 1;
});
