import { accountId, region, type Inputs } from "../offline/account";
import { evaluate, resolve, ssmAfter, type EvaluateOptions, type Evaluation, type Recorded } from "../offline/evaluate";
import { fakeSecret, project, projectRoot, readStackConfig } from "../offline/stack-config";

/**
 * The tests' view of the shared evaluation (offline/evaluate.ts, which `npm run check` runs
 * too): the real program (index.ts) under Pulumi's mocks with a real Pulumi.<stack>.yaml
 * against the simulated account, recording what AWS would receive. Each test file runs in its
 * own process (forks pool); runs in one file are sequential.
 */

export { accountId, fakeSecret, project, projectRoot, readStackConfig, region, resolve, ssmAfter, type EvaluateOptions, type Evaluation, type Inputs, type Recorded };

/**
 * Pulumi takes a stack trace for every resource it registers (its source position), which no
 * test reads and which costs about 40% of an evaluation (test:unit: 62 s → 41 s here). HARNESS_STACKS=1 keeps them, and
 * the program's own errors keep their messages either way.
 */
async function evaluateQuickly(options: EvaluateOptions): Promise<Evaluation> {
    if (process.env.HARNESS_STACKS === "1") return evaluate(options);
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
        return await evaluate(options);
    } finally {
        Error.stackTraceLimit = limit;
    }
}

/** Evaluates a stack once and fails the test if the program throws. */
export async function evaluateStack(options: EvaluateOptions): Promise<Evaluation> {
    const run = await evaluateQuickly(options);
    if (run.error) throw run.error;
    return run;
}

/** Evaluates a stack that must fail; returns the error and what was registered before it. */
export async function evaluateStackFailure(options: EvaluateOptions): Promise<{ error: Error; resources: Recorded[] }> {
    const run = await evaluateQuickly(options);
    if (!run.error) throw new Error("Expected the program to fail, but it succeeded");
    // The stack itself and stack references are reads, not declarations.
    return { error: run.error, resources: run.resources.filter((r) => !r.type.startsWith("pulumi:pulumi:")) };
}
