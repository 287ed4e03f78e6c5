'use strict';

// Visitor cookie: a random id that the web process issues and signs with HMAC-SHA256 keyed by
// SESSION_SECRET, so a client can carry it but not make one up or alter it. Jobs record the
// visitor who queued them, and GET /jobs lists only the caller's own.
//
//   tf_visitor=v1.<uuid>.<base64url HMAC-SHA256(SESSION_SECRET, "tf_visitor.v1.<uuid>")>
//
// Rotating SESSION_SECRET invalidates every cookie: a client's next request with the old one
// gets 401 and a cookie that deletes it, and the one after that a new visitor id.

const crypto = require('node:crypto');

const NAME = 'tf_visitor';
const VERSION = 'v1';
const MAX_AGE_S = 365 * 24 * 3600;
const FORMAT = /^v1\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{43})$/;

function signature(secret, id) {
    return crypto.createHmac('sha256', secret).update(`${NAME}.${VERSION}.${id}`, 'utf8').digest('base64url');
}

/** The id in a cookie value, or null unless it is well-formed and signed with this secret. */
function verify(secret, value) {
    const m = FORMAT.exec(value);
    if (m === null) return null;
    const expected = Buffer.from(signature(secret, m[1]));
    const given = Buffer.from(m[2]);
    return given.length === expected.length && crypto.timingSafeEqual(given, expected) ? m[1] : null;
}

/** The first value of cookie `name` in a Cookie header, or undefined. */
function readCookie(header, name) {
    if (typeof header !== 'string') return undefined;
    for (const part of header.split(';')) {
        const eq = part.indexOf('=');
        if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
    }
    return undefined;
}

function attributes(secure, maxAge) {
    // Secure when the client reached the load balancer over HTTPS (ALB sets x-forwarded-proto).
    return `Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
}

/**
 * The visitor of a request: { id } from a valid cookie; { id, setCookie } for a new visitor
 * when there is none; { invalid: true, setCookie } (a deleting cookie) when it does not verify.
 */
function identify(secret, req) {
    const secure = req.headers['x-forwarded-proto'] === 'https';
    const value = readCookie(req.headers.cookie, NAME);
    if (value === undefined) {
        const id = crypto.randomUUID();
        return { id, setCookie: `${NAME}=${VERSION}.${id}.${signature(secret, id)}; ${attributes(secure, MAX_AGE_S)}` };
    }
    const id = verify(secret, value);
    if (id === null) return { invalid: true, setCookie: `${NAME}=; ${attributes(secure, 0)}` };
    return { id };
}

module.exports = { identify };
