'use strict';

// All configuration comes from the environment (twelve-factor III). Each process type declares
// what it needs; anything missing or malformed stops the process before it touches the network,
// so a bad release fails its first health check instead of half-working.

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'];

class ConfigError extends Error {
    constructor(variable, problem) {
        super(`${variable} ${problem}`);
        this.variable = variable;
        this.problem = problem;
    }
}

function present(env, name) {
    const value = env[name];
    return value !== undefined && value.trim() !== '';
}

function databaseUrl(env) {
    const name = 'DATABASE_URL';
    if (!present(env, name)) {
        throw new ConfigError(name, 'is required (postgres://USER:PASSWORD@HOST:PORT/DATABASE)');
    }
    // The value carries a password, so no message below may echo it.
    let url;
    try {
        url = new URL(env[name].trim());
    } catch {
        throw new ConfigError(name, 'is not a valid URL (expected postgres://USER:PASSWORD@HOST:PORT/DATABASE)');
    }
    if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
        throw new ConfigError(name, `must use the postgres:// or postgresql:// scheme, got ${url.protocol}//`);
    }
    if (url.hostname === '') {
        throw new ConfigError(name, 'has no host');
    }
    return env[name].trim();
}

// The key of the visitor cookie's HMAC-SHA256: shorter than 32 characters it is no key at all.
const MIN_SECRET_LENGTH = 32;

function sessionSecret(env) {
    const name = 'SESSION_SECRET';
    // The value is a key, so no message below may echo it.
    if (!present(env, name)) {
        throw new ConfigError(name, `is required: the key that signs visitor cookies (at least ${MIN_SECRET_LENGTH} characters, e.g. openssl rand -hex 32)`);
    }
    if (env[name].length < MIN_SECRET_LENGTH) {
        throw new ConfigError(name, `must be at least ${MIN_SECRET_LENGTH} characters (e.g. openssl rand -hex 32)`);
    }
    return env[name];
}

function integer(env, name, { min, max, fallback }) {
    if (!present(env, name)) {
        if (fallback === undefined) {
            throw new ConfigError(name, `is required (an integer from ${min} to ${max})`);
        }
        return fallback;
    }
    const raw = env[name].trim();
    const value = /^[0-9]+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
        throw new ConfigError(name, `must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    }
    return value;
}

function logLevel(env) {
    const name = 'LOG_LEVEL';
    if (!present(env, name)) return 'info';
    const raw = env[name].trim().toLowerCase();
    if (!LOG_LEVELS.includes(raw)) {
        throw new ConfigError(name, `must be one of ${LOG_LEVELS.join('|')}, got ${JSON.stringify(env[name])}`);
    }
    return raw;
}

// ECS sends SIGTERM and waits stopTimeout (30 s) before SIGKILL; 25 s leaves room to exit cleanly.
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 25000;

const readers = {
    web: (env) => ({
        databaseUrl: databaseUrl(env),
        port: integer(env, 'PORT', { min: 1, max: 65535 }),
        logLevel: logLevel(env),
        shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', { min: 0, max: 600000, fallback: DEFAULT_SHUTDOWN_TIMEOUT_MS }),
        poolMax: integer(env, 'DATABASE_POOL_MAX', { min: 1, max: 100, fallback: 10 }),
        sessionSecret: sessionSecret(env),
    }),
    worker: (env) => ({
        databaseUrl: databaseUrl(env),
        logLevel: logLevel(env),
        shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', { min: 0, max: 600000, fallback: DEFAULT_SHUTDOWN_TIMEOUT_MS }),
        pollMs: integer(env, 'WORKER_POLL_MS', { min: 10, max: 600000, fallback: 1000 }),
        concurrency: integer(env, 'WORKER_CONCURRENCY', { min: 1, max: 64, fallback: 1 }),
        backoffMaxMs: integer(env, 'WORKER_BACKOFF_MAX_MS', { min: 10, max: 600000, fallback: 30000 }),
    }),
    migrate: (env) => ({
        databaseUrl: databaseUrl(env),
        logLevel: logLevel(env),
        lockTimeoutMs: integer(env, 'MIGRATE_LOCK_TIMEOUT_MS', { min: 1, max: 3600000, fallback: 120000 }),
    }),
};

/**
 * Reads the configuration of one process type, or writes one JSON log line naming the bad
 * variable and exits with code 1.
 */
function loadConfig(processType, env) {
    try {
        return readers[processType](env);
    } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        process.stdout.write(JSON.stringify({
            time: new Date().toISOString(),
            level: 'error',
            process: processType,
            msg: `invalid configuration: ${err.message}`,
            variable: err.variable,
        }) + '\n');
        process.exit(1);
    }
}

module.exports = { loadConfig, ConfigError, LOG_LEVELS };
