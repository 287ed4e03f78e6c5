'use strict';

const crypto = require('node:crypto');
const { promisify } = require('node:util');

const pbkdf2 = promisify(crypto.pbkdf2);

const MAX_TEXT = 65536;
const MAX_ITERATIONS = 5000000;

function text(input) {
    if (typeof input.text !== 'string') return 'input.text must be a string';
    if (input.text.length > MAX_TEXT) return `input.text must be at most ${MAX_TEXT} characters`;
    return null;
}

// Each kind validates its input (the web process rejects bad jobs with 400 before they are
// queued) and computes a JSON result in the worker.
const kinds = {
    sha256: {
        validate: text,
        run: async (input) => ({ sha256: crypto.createHash('sha256').update(input.text, 'utf8').digest('hex') }),
    },
    wordcount: {
        validate: text,
        run: async (input) => {
            const words = input.text.split(/\s+/).filter((w) => w !== '').length;
            const lines = input.text === '' ? 0 : input.text.split('\n').length;
            return { words, lines, chars: [...input.text].length };
        },
    },
    // Deliberately slow work (key stretching) so that a job can still be running when the
    // worker is told to stop.
    pbkdf2: {
        validate: (input) => {
            const t = text(input);
            if (t) return t;
            if (typeof input.salt !== 'string' || input.salt.length > 1024) return 'input.salt must be a string of at most 1024 characters';
            if (!Number.isSafeInteger(input.iterations) || input.iterations < 1 || input.iterations > MAX_ITERATIONS) {
                return `input.iterations must be an integer from 1 to ${MAX_ITERATIONS}`;
            }
            return null;
        },
        run: async (input) => {
            const key = await pbkdf2(input.text, input.salt, input.iterations, 32, 'sha256');
            return { pbkdf2_sha256: key.toString('hex') };
        },
    },
};

/** Returns a message describing what is wrong with a job request, or null when it is valid. */
function validateJob(kind, input) {
    if (typeof kind !== 'string' || !Object.hasOwn(kinds, kind)) {
        return `kind must be one of ${Object.keys(kinds).join(', ')}`;
    }
    if (input === null || typeof input !== 'object' || Array.isArray(input)) return 'input must be a JSON object';
    return kinds[kind].validate(input);
}

class InvalidJobError extends Error {}

async function runJob(kind, input) {
    const problem = validateJob(kind, input);
    if (problem) throw new InvalidJobError(problem);
    return kinds[kind].run(input);
}

module.exports = { validateJob, runJob, InvalidJobError, KINDS: Object.keys(kinds) };
