// Pulumi takes a stack trace for every resource (its source position) and every internal promise
// (leak diagnostics); offline nobody reads them, and taking and formatting them costs more than a
// tenth of the check. The check prints no stack traces either (CHECK_DEBUG=1 keeps them).
if (!process.env.CHECK_DEBUG) {
    Error.stackTraceLimit = 0;
    Error.prepareStackTrace = () => "";
}

import { main } from "./cli";

// `npm run check` (node scripts/run-ts.js check/main.ts): prints the report, exits 0, 1 or 2.
main(process.argv.slice(2)).then(
    ({ output, exitCode, toStderr }) => (toStderr ? process.stderr : process.stdout).write(output, () => process.exit(exitCode)),
    (e: Error) => {
        // No stack trace for the user (CHECK_DEBUG=1 shows it): a message and exit 1.
        process.stderr.write(`check: ${process.env.CHECK_DEBUG ? e.stack : e.message}\n`, () => process.exit(1));
    },
);
