'use strict';

// Append-only: a migration that has shipped is never edited, a change is a new entry. Each runs
// in its own transaction together with its row in schema_migrations.
module.exports = [
    {
        id: 1,
        name: 'create_jobs',
        sql: `
            CREATE TABLE jobs (
                id          bigserial PRIMARY KEY,
                kind        text        NOT NULL,
                input       jsonb       NOT NULL,
                status      text        NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'done', 'failed')),
                result      jsonb,
                error       text,
                created_at  timestamptz NOT NULL DEFAULT now(),
                finished_at timestamptz
            );
            -- The worker's claim query scans only queued jobs, oldest first.
            CREATE INDEX jobs_queued_idx ON jobs (id) WHERE status = 'queued';
        `,
    },
    {
        id: 2,
        name: 'jobs_processed_by',
        sql: `ALTER TABLE jobs ADD COLUMN processed_by text;`,
    },
    {
        id: 3,
        name: 'jobs_started_at',
        // When the worker claimed the job, by the database's clock, like finished_at.
        sql: `ALTER TABLE jobs ADD COLUMN started_at timestamptz;`,
    },
    {
        id: 4,
        name: 'jobs_visitor_id',
        // The signed visitor cookie's id of whoever queued the job; GET /jobs lists a visitor's own.
        sql: `
            ALTER TABLE jobs ADD COLUMN visitor_id text;
            CREATE INDEX jobs_visitor_idx ON jobs (visitor_id, id) WHERE visitor_id IS NOT NULL;
        `,
    },
];
