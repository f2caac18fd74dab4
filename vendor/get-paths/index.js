'use strict';

// get-paths 0.0.7 (https://github.com/niftylettuce/get-paths, MIT), the lookup koa-views runs
// before every render (https://github.com/queckezz/koa-views/blob/master/src/index.js), with one
// change: each answer is remembered, so a view costs one `stat` per process instead of one per
// page. The app compiles its views once at start (src/app/ejs-views.ts) and never sees a changed
// file without a restart, so a remembered answer is as current as the view it names.

const fs = require('node:fs');
const path = require('node:path');

/** Views are a fixed set named by the app's code; the bound only stops a runaway caller. */
const MAX_REMEMBERED = 1000;
const remembered = new Map();

function lookup(abs, rel, ext) {
  return fs.promises
    .stat(path.join(abs, rel))
    .then((stats) => (stats.isDirectory() ? { rel: path.join(rel, `index.${ext}`), ext } : { rel, ext: path.extname(rel).slice(1) }))
    .catch((error) => {
      // Not a file or folder: named without its extension, so try again with it (as get-paths does).
      if (!path.extname(rel) || path.extname(rel).slice(1) !== ext) return lookup(abs, `${rel}.${ext}`, ext);
      throw error;
    });
}

function getPaths(abs, rel, ext) {
  const key = `${abs}\0${rel}\0${ext}`;
  const known = remembered.get(key);
  if (known) return Promise.resolve({ ...known });
  return lookup(abs, rel, ext).then((paths) => {
    if (remembered.size < MAX_REMEMBERED) remembered.set(key, paths);
    return { ...paths };
  });
}

module.exports = getPaths;
