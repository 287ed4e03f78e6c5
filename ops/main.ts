import { main } from "./cli";

// `npm run ops -- <command>` (node scripts/run-ts.js ops/main.ts): exits with the command's code.
main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
}, (error: unknown) => {
    process.stderr.write(`ops: ${error instanceof Error && error.stack ? error.stack : String(error)}\n`);
    process.exitCode = 1;
});
