'use strict';

// Worker process: takes queued jobs one at a time per loop and stores their results.
//
// A job is claimed with SELECT ... FOR UPDATE SKIP LOCKED and finished in the same transaction.
// Several workers never take the same job, and a worker killed mid-job (SIGKILL, lost task)
// leaves no half state behind: its transaction rolls back and the job is queued again.

const os = require('node:os');
const { loadConfig } = require('./config');
const { createLogger, errorFields } = require('./log');
const { createPool, isUnavailable } = require('./db');
const { runJob, InvalidJobError } = require('./jobs');

const config = loadConfig('worker', process.env);
const log = createLogger({ level: config.logLevel, processType: 'worker', databaseUrl: config.databaseUrl });
// A dropped idle connection is not news on its own: the next poll reports an outage if there is one.
const pool = createPool({ databaseUrl: config.databaseUrl, max: config.concurrency, processType: 'worker', log, idleErrorLevel: 'debug' });
const workerId = `${os.hostname()}:${process.pid}`;

let stopping = false;
const sleepers = new Set();

function pause(ms) {
    return new Promise((resolve) => {
        const sleeper = { resolve, timer: setTimeout(() => { sleepers.delete(sleeper); resolve(); }, ms) };
        sleepers.add(sleeper);
    });
}

function wakeAll() {
    for (const s of sleepers) {
        clearTimeout(s.timer);
        s.resolve();
    }
    sleepers.clear();
}

/** Processes at most one job; resolves true when there was one. */
async function processOne(loop) {
    const client = await pool.connect();
    let broken;
    try {
        await client.query('BEGIN');
        // started_at is read from the database's clock at the claim and written with the result,
        // so it belongs to the attempt that finished the job (as text: no precision lost).
        const { rows } = await client.query(
            `SELECT id, kind, input, clock_timestamp()::text AS started_at FROM jobs
              WHERE status = 'queued'
              ORDER BY id
              FOR UPDATE SKIP LOCKED
              LIMIT 1`,
        );
        if (rows.length === 0) {
            await client.query('COMMIT');
            return false;
        }
        const job = rows[0];
        const started = Date.now();
        log.info('job started', { job_id: String(job.id), kind: job.kind, loop });
        let outcome;
        // finished_at uses clock_timestamp(): now() is the time the transaction began, which
        // for a job claimed and finished in one transaction is (nearly) its start time.
        try {
            const result = await runJob(job.kind, job.input);
            await client.query(
                `UPDATE jobs SET status = 'done', result = $2, started_at = $4, finished_at = clock_timestamp(), processed_by = $3 WHERE id = $1`,
                [job.id, JSON.stringify(result), workerId, job.started_at],
            );
            outcome = 'done';
        } catch (err) {
            // Only a job that can never succeed is marked failed; anything else (database
            // errors) rolls back below so that the job is retried.
            if (!(err instanceof InvalidJobError)) throw err;
            await client.query(
                `UPDATE jobs SET status = 'failed', error = $2, started_at = $4, finished_at = clock_timestamp(), processed_by = $3 WHERE id = $1`,
                [job.id, err.message, workerId, job.started_at],
            );
            outcome = 'failed';
        }
        await client.query('COMMIT');
        log.info('job finished', { job_id: String(job.id), kind: job.kind, status: outcome, duration_ms: Date.now() - started, loop });
        return true;
    } catch (err) {
        broken = err;
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
    } finally {
        // A client that failed mid-transaction may be in any state: drop it rather than reuse it.
        client.release(broken);
    }
}

// After a failure a loop waits WORKER_POLL_MS, doubled per consecutive failure up to
// WORKER_BACKOFF_MAX_MS, then a random 50-100 % of that so that many workers do not all
// reconnect at the same moment when the database comes back. A success resets it.
function backoffMs(failures) {
    const cap = Math.max(config.backoffMaxMs, config.pollMs);
    const ms = Math.min(cap, config.pollMs * 2 ** Math.min(failures - 1, 30));
    return Math.round(ms / 2 + Math.random() * (ms / 2));
}

// One outage, however many loops and retries it spans, is one error line when it starts and one
// info line when it ends; the retries in between are debug lines.
let outage = null;

function failed(err, fields) {
    if (!isUnavailable(err)) {
        log.error('processing failed, will retry', { ...fields, ...errorFields(err) });
        return;
    }
    if (outage === null) {
        outage = { since: Date.now(), failures: 1 };
        log.error('database unavailable, backing off', { ...fields, ...errorFields(err) });
    } else {
        outage.failures += 1;
        log.debug('database still unavailable', { ...fields, ...errorFields(err) });
    }
}

function succeeded() {
    if (outage === null) return;
    log.info('database available again', { down_ms: Date.now() - outage.since, failed_attempts: outage.failures });
    outage = null;
}

async function loop(n) {
    let failures = 0;
    while (!stopping) {
        let found = false;
        try {
            found = await processOne(n);
            failures = 0;
            succeeded();
        } catch (err) {
            failures += 1;
            const delay = backoffMs(failures);
            failed(err, { loop: n, attempt: failures, retry_in_ms: delay });
            if (!stopping) await pause(delay);
            continue;
        }
        if (!found && !stopping) await pause(config.pollMs);
    }
}

async function main() {
    log.info('started', { concurrency: config.concurrency, poll_ms: config.pollMs, backoff_max_ms: config.backoffMaxMs, worker_id: workerId });
    const loops = [];
    for (let n = 0; n < config.concurrency; n += 1) loops.push(loop(n));
    await Promise.all(loops);
    await pool.end().catch((err) => log.warn('closing the database pool failed', errorFields(err)));
    log.info('stopped');
    process.exit(0);
}

function shutdown(signal) {
    if (stopping) return;
    stopping = true;
    log.info('shutting down, finishing current jobs', { signal, timeout_ms: config.shutdownTimeoutMs });
    wakeAll();
    // Past the timeout, exiting mid-job is still safe: the open transaction rolls back.
    setTimeout(() => {
        log.error('shutdown timed out, abandoning current jobs', { timeout_ms: config.shutdownTimeoutMs });
        process.exit(1);
    }, config.shutdownTimeoutMs).unref();
}

process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

main();
