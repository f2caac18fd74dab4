'use strict';

// crc 3.8.0 (https://github.com/alexgorbatchev/crc, MIT) as koa-session 7 uses it: `crc.crc32(string)`
// on the session's JSON, twice per request that loads a session (the hash it compares to decide
// whether to save: `hash` in koa-session's src/util.ts, called from `initFromExternal` and
// `_shouldSaveSession` in src/context.ts). crc 3.8 computes it in JavaScript, a table lookup per
// byte; Node's zlib.crc32 (Node >= 22.2) gives the same CRC-32 natively. Only crc32 is here: npm
// ls shows koa-session as crc's one user, and a package that needs another function fails loudly.

const { crc32: zlibCrc32 } = require('node:zlib');

/** CRC-32 (IEEE) of `data` (a string is taken as UTF-8, as crc 3.8 does), unsigned, continuing from `previous`. */
function crc32(data, previous = 0) {
  return zlibCrc32(data, previous);
}

module.exports = { crc32 };
