'use strict';

const { Pool } = require('pg');
const { errorFields } = require('./log');

function createPool({ databaseUrl, max, processType, log, idleErrorLevel = 'warn' }) {
    const pool = new Pool({
        connectionString: databaseUrl,
        max,
        application_name: `twelve-factor-${processType}`,
        // Fail fast when the database is unreachable, so /healthz can answer within the
        // 3 s the health check allows instead of waiting on a TCP timeout.
        connectionTimeoutMillis: 2000,
        idleTimeoutMillis: 10000,
        keepAlive: true,
    });
    // An idle client whose server went away emits 'error' on the pool; unhandled, that would
    // crash the process during a database failover instead of reporting 503 until it is back.
    pool.on('error', (err) => log[idleErrorLevel]('idle database connection failed', errorFields(err)));
    return pool;
}

/** Connection-level failures (database down, restarting, unreachable), as opposed to bad SQL. */
function isUnavailable(err) {
    if (!(err instanceof Error)) return false;
    const code = typeof err.code === 'string' ? err.code : '';
    return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', '57P01', '57P02', '57P03'].includes(code)
        || code.startsWith('08')
        || /timeout|terminat|Connection/i.test(err.message);
}

module.exports = { createPool, isUnavailable };
