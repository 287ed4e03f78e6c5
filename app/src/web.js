'use strict';

// Web process: a small job API on PostgreSQL.
//   GET  /healthz            200 when the database answers `select 1`, 503 otherwise
//   POST /jobs               {"kind": "sha256"|"wordcount"|"pbkdf2", "input": {...}} -> 201 job
//   GET  /jobs               the caller's own jobs, newest first (by its signed visitor cookie)
//   GET  /jobs/:id[?wait=ms] the job; with wait, holds the request until it is finished (long poll)
// Every /jobs request carries a visitor cookie signed with SESSION_SECRET (src/visitor.js): a
// missing one is issued, one that does not verify is answered 401.

const http = require('node:http');
const crypto = require('node:crypto');
const { loadConfig } = require('./config');
const { createLogger, errorFields } = require('./log');
const { createPool, isUnavailable } = require('./db');
const { validateJob } = require('./jobs');
const { identify } = require('./visitor');

const config = loadConfig('web', process.env);
const log = createLogger({ level: config.logLevel, processType: 'web', databaseUrl: config.databaseUrl, secrets: [config.sessionSecret] });
const pool = createPool({ databaseUrl: config.databaseUrl, max: config.poolMax, processType: 'web', log });

const MAX_BODY_BYTES = 1024 * 1024;
const MAX_WAIT_MS = 20000;
const LIST_LIMIT = 50;
const HEALTH_QUERY_TIMEOUT_MS = 2000;
const JOB_COLUMNS = 'id, kind, status, input, result, error, created_at, started_at, finished_at';

let draining = false;

class HttpError extends Error {
    constructor(status, message) {
        super(message);
        this.status = status;
    }
}

function send(res, status, body) {
    const payload = JSON.stringify(body);
    res.statusCode = status;
    res.setHeader('content-type', 'application/json');
    res.setHeader('content-length', Buffer.byteLength(payload));
    // Once draining, no connection may stay open for another request: that would hold
    // server.close() until the keep-alive timeout and race the client's next request.
    if (draining) res.setHeader('connection', 'close');
    res.end(payload);
}

function readJson(req) {
    return new Promise((resolve, reject) => {
        const chunks = [];
        let size = 0;
        req.on('data', (chunk) => {
            size += chunk.length;
            if (size > MAX_BODY_BYTES) {
                reject(new HttpError(413, `request body exceeds ${MAX_BODY_BYTES} bytes`));
                req.resume();
                return;
            }
            chunks.push(chunk);
        });
        req.on('end', () => {
            if (size > MAX_BODY_BYTES) return;
            try {
                resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
            } catch {
                reject(new HttpError(400, 'request body must be JSON'));
            }
        });
        req.on('error', reject);
    });
}

function jobView(row) {
    return {
        id: String(row.id),
        kind: row.kind,
        status: row.status,
        input: row.input,
        result: row.result,
        error: row.error,
        created_at: row.created_at,
        started_at: row.started_at,
        finished_at: row.finished_at,
    };
}

async function withTimeout(promise, ms) {
    let timer;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    });
    try {
        return await Promise.race([promise, timeout]);
    } finally {
        clearTimeout(timer);
    }
}

async function healthz(res) {
    if (draining) return send(res, 503, { status: 'draining' });
    try {
        await withTimeout(pool.query('select 1'), HEALTH_QUERY_TIMEOUT_MS);
        return send(res, 200, { status: 'ok' });
    } catch (err) {
        log.warn('health check: database unavailable', errorFields(err));
        return send(res, 503, { status: 'unavailable', reason: 'database' });
    }
}

async function createJob(req, res, visitorId) {
    const body = await readJson(req);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'request body must be a JSON object');
    const problem = validateJob(body.kind, body.input);
    if (problem) throw new HttpError(400, problem);
    const { rows } = await pool.query(
        `INSERT INTO jobs (kind, input, visitor_id) VALUES ($1, $2, $3) RETURNING ${JOB_COLUMNS}`,
        [body.kind, JSON.stringify(body.input), visitorId],
    );
    res.setHeader('location', `/jobs/${rows[0].id}`);
    return send(res, 201, jobView(rows[0]));
}

async function listJobs(res, visitorId) {
    const { rows } = await pool.query(
        `SELECT ${JOB_COLUMNS} FROM jobs WHERE visitor_id = $1 ORDER BY id DESC LIMIT ${LIST_LIMIT}`,
        [visitorId],
    );
    return send(res, 200, { jobs: rows.map(jobView) });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function getJob(res, id, waitParam) {
    let waitMs = 0;
    if (waitParam !== null) {
        waitMs = /^[0-9]{1,6}$/.test(waitParam) ? Number(waitParam) : NaN;
        if (!(waitMs <= MAX_WAIT_MS)) throw new HttpError(400, `wait must be an integer from 0 to ${MAX_WAIT_MS} (milliseconds)`);
    }
    const deadline = Date.now() + waitMs;
    for (;;) {
        const { rows } = await pool.query(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = $1`, [id]);
        if (rows.length === 0) throw new HttpError(404, `job ${id} not found`);
        // A long poll answers early when the process is stopping: the current state is a
        // valid answer, and holding it would only delay the shutdown.
        if (rows[0].status !== 'queued' || Date.now() >= deadline || draining) return send(res, 200, jobView(rows[0]));
        await sleep(Math.min(200, Math.max(0, deadline - Date.now())));
    }
}

async function route(req, res, url) {
    if (url.pathname === '/healthz') {
        if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'use GET');
        return healthz(res);
    }
    const match = /^\/jobs\/([0-9]{1,18})$/.exec(url.pathname);
    if (url.pathname !== '/jobs' && !match) throw new HttpError(404, 'not found');

    const visitor = identify(config.sessionSecret, req);
    if (visitor.setCookie) res.setHeader('set-cookie', visitor.setCookie);
    // Unverifiable: altered, made up, or signed with a secret since rotated. Nothing is recorded
    // for it; the cookie set above deletes it, so the client's next request starts afresh.
    if (visitor.invalid) throw new HttpError(401, 'invalid visitor cookie');

    if (url.pathname === '/jobs') {
        if (req.method === 'POST') return createJob(req, res, visitor.id);
        if (req.method === 'GET') return listJobs(res, visitor.id);
        throw new HttpError(405, 'use GET or POST');
    }
    if (req.method !== 'GET') throw new HttpError(405, 'use GET');
    return getJob(res, match[1], url.searchParams.get('wait'));
}

const server = http.createServer((req, res) => {
    const started = process.hrtime.bigint();
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : crypto.randomUUID();
    res.setHeader('x-request-id', requestId);
    const url = new URL(req.url ?? '/', 'http://localhost');
    res.on('finish', () => {
        const fields = {
            method: req.method,
            path: url.pathname,
            status: res.statusCode,
            duration_ms: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
            request_id: requestId,
        };
        if (url.pathname === '/healthz' && res.statusCode === 200) log.debug('request', fields);
        else log.info('request', fields);
    });
    route(req, res, url).catch((err) => {
        if (res.headersSent) {
            log.error('response failed after headers were sent', { request_id: requestId, ...errorFields(err) });
            res.destroy();
        } else if (err instanceof HttpError) {
            send(res, err.status, { error: err.message });
        } else if (isUnavailable(err)) {
            log.warn('database unavailable', { request_id: requestId, ...errorFields(err) });
            send(res, 503, { error: 'database unavailable' });
        } else {
            log.error('request failed', { request_id: requestId, ...errorFields(err) });
            send(res, 500, { error: 'internal error' });
        }
    });
});

// Longer than the load balancer's idle timeout (ALB: 60 s), so the balancer, not this
// process, closes idle connections; otherwise it may send a request on a socket being closed
// and answer the client 502.
server.keepAliveTimeout = 65000;
server.headersTimeout = 66000;

server.on('error', (err) => {
    log.error('server failed', errorFields(err));
    process.exit(1);
});

server.listen(config.port, () => {
    log.info('listening', { port: config.port, node: process.version });
});

function shutdown(signal) {
    if (draining) return;
    draining = true;
    log.info('shutting down', { signal, timeout_ms: config.shutdownTimeoutMs });

    const force = setTimeout(() => {
        log.error('shutdown timed out, closing open connections', { timeout_ms: config.shutdownTimeoutMs });
        server.closeAllConnections();
        process.exit(1);
    }, config.shutdownTimeoutMs);
    force.unref();

    // Connections that were mid-request when close() ran become idle later; close them then.
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    sweep.unref();

    server.close(async () => {
        clearInterval(sweep);
        try {
            await pool.end();
        } catch (err) {
            log.warn('closing the database pool failed', errorFields(err));
        }
        log.info('stopped');
        process.exit(0);
    });
    server.closeIdleConnections();
}

process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
