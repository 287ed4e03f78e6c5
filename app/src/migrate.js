'use strict';

// Admin process (factor XII), run once per release before the new web and worker tasks start.
// Several copies may run at once (one per deploy attempt or per task); the advisory lock makes
// them take turns, and the later ones find nothing left to do.
//
// Every migration runs in a transaction, so stopping at any point leaves the schema at the last
// committed migration and the next run carries on. SIGTERM therefore exits at once (code 1: not
// done). The handler is needed all the same: as PID 1 in a container, a process without one
// ignores SIGTERM and is only stopped by SIGKILL at the end of the stop timeout.

const { Client } = require('pg');
const { loadConfig } = require('./config');
const { createLogger, errorFields } = require('./log');
const migrations = require('./migrations');

// Arbitrary but fixed: every release of this app must use the same key to exclude the others.
const MIGRATION_LOCK_KEY = '7266937355';

async function main() {
    const config = loadConfig('migrate', process.env);
    const log = createLogger({ level: config.logLevel, processType: 'migrate', databaseUrl: config.databaseUrl });
    for (const signal of ['SIGTERM', 'SIGINT']) {
        process.on(signal, () => {
            log.warn('interrupted; the migration in progress, if any, rolls back', { signal });
            process.exit(1);
        });
    }
    const client = new Client({
        connectionString: config.databaseUrl,
        application_name: 'twelve-factor-migrate',
        connectionTimeoutMillis: 10000,
    });
    try {
        await client.connect();
        client.on('error', (err) => log.error('database connection failed', errorFields(err)));

        // lock_timeout also bounds the wait for an advisory lock, so a stuck migration elsewhere
        // fails this one with a clear error instead of hanging the deploy.
        await client.query("SELECT set_config('lock_timeout', $1, false)", [`${config.lockTimeoutMs}ms`]);
        log.debug('waiting for migration lock');
        await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
        log.debug('migration lock taken');

        await client.query(`
            CREATE TABLE IF NOT EXISTS schema_migrations (
                id         integer PRIMARY KEY,
                name       text        NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )`);
        const { rows } = await client.query('SELECT id FROM schema_migrations');
        const applied = new Set(rows.map((r) => Number(r.id)));

        let count = 0;
        for (const m of [...migrations].sort((a, b) => a.id - b.id)) {
            if (applied.has(m.id)) continue;
            const started = Date.now();
            await client.query('BEGIN');
            try {
                await client.query(m.sql);
                await client.query('INSERT INTO schema_migrations (id, name) VALUES ($1, $2)', [m.id, m.name]);
                await client.query('COMMIT');
            } catch (err) {
                await client.query('ROLLBACK').catch(() => undefined);
                throw Object.assign(err, { migration: `${m.id}_${m.name}` });
            }
            count += 1;
            log.info('migration applied', { migration: `${m.id}_${m.name}`, duration_ms: Date.now() - started });
        }
        await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
        log.info('migrations complete', { applied: count, total: migrations.length });
        await client.end();
        return 0;
    } catch (err) {
        log.error('migration failed', { ...errorFields(err), ...(err.migration ? { migration: err.migration } : {}) });
        await client.end().catch(() => undefined);
        return 1;
    }
}

main().then((code) => process.exit(code));
