'use strict';

const { LOG_LEVELS } = require('./config');

// Values that must never reach the log stream, in the forms they take inside a JSON line: the
// database URL and its password, and any other secret the process holds (SESSION_SECRET).
function secretForms(databaseUrl, others) {
    const forms = new Set();
    const add = (s) => {
        // Very short strings would blank out ordinary words; a real password is longer.
        if (typeof s === 'string' && s.length >= 4) forms.add(JSON.stringify(s).slice(1, -1));
    };
    add(databaseUrl);
    try {
        const url = new URL(databaseUrl);
        add(url.password);
        add(decodeURIComponent(url.password));
    } catch {
        // loadConfig has already rejected an unparsable URL.
    }
    for (const s of others) add(s);
    return [...forms].sort((a, b) => b.length - a.length);
}

/** JSON lines on stdout: the execution environment routes and stores the stream (factor XI). */
function createLogger({ level, processType, databaseUrl, secrets: others = [] }) {
    const threshold = LOG_LEVELS.indexOf(level);
    const secrets = secretForms(databaseUrl, others);

    function write(lvl, msg, fields) {
        if (LOG_LEVELS.indexOf(lvl) < threshold) return;
        let line = JSON.stringify({ time: new Date().toISOString(), level: lvl, process: processType, msg, ...fields });
        for (const secret of secrets) line = line.split(secret).join('***');
        process.stdout.write(line + '\n');
    }

    return {
        debug: (msg, fields) => write('debug', msg, fields),
        info: (msg, fields) => write('info', msg, fields),
        warn: (msg, fields) => write('warn', msg, fields),
        error: (msg, fields) => write('error', msg, fields),
    };
}

/** The parts of an error worth logging; never the whole object, which may hold connection settings. */
function errorFields(err) {
    if (!(err instanceof Error)) return { error: String(err) };
    const fields = { error: err.message };
    if (typeof err.code === 'string') fields.code = err.code;
    return fields;
}

module.exports = { createLogger, errorFields };
