'use strict';

// Container health check for the web process: the slim base image has no curl, and node is
// always there. Exit 0 when /healthz answers 200 within 3 s, 1 otherwise.

const http = require('node:http');

const TIMEOUT_MS = 3000;

function finish(code, msg, fields) {
    process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level: code === 0 ? 'debug' : 'warn', process: 'healthcheck', msg, ...fields }) + '\n');
    process.exit(code);
}

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
    finish(1, 'invalid configuration: PORT must be an integer from 1 to 65535', { variable: 'PORT' });
}

setTimeout(() => finish(1, 'health check timed out', { timeout_ms: TIMEOUT_MS }), TIMEOUT_MS).unref();

const req = http.get({ host: '127.0.0.1', port, path: '/healthz', timeout: TIMEOUT_MS }, (res) => {
    res.resume();
    if (res.statusCode === 200) finish(0, 'healthy', { status: res.statusCode });
    else finish(1, 'unhealthy', { status: res.statusCode });
});
req.on('timeout', () => req.destroy(new Error('timed out')));
req.on('error', (err) => finish(1, 'health check failed', { error: err.message }));
