import * as path from "path";
import { evaluate } from "../../offline/evaluate";

/**
 * The baseline of the check's timing: the one-resource program of ./index.ts, evaluated the way
 * `npm run check` evaluates the real one (node scripts/run-ts.js, offline/evaluate.ts under
 * Pulumi's mocks, the simulated account), in a process of its own.
 */
evaluate({ stack: "dev", programDir: path.join(__dirname) }).then((run) => {
    if (run.error !== undefined || run.resources.filter((r) => r.custom).length !== 1) {
        console.error(`one-resource program: ${run.error?.message ?? `${run.resources.length} resources`}`);
        process.exit(1);
    }
    process.exit(0);
});
