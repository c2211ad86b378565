#!/usr/bin/env node
// CommonJS (bin/package.json), because a script starts sooner than an ES module graph (from here
// to cli.cjs compiled: 15 ms as ESM, 8 ms now): the launcher bundled by scripts/bundle.ts, else its
// tsc output (src/boot: the bundles with their code cache, or the tsc output without a fresh bundle).
'use strict';
let launcher;
try {
  launcher = require('../dist/bundle/launch.cjs');
} catch (err) {
  if (err.code !== 'MODULE_NOT_FOUND' || !String(err.message).includes('launch.cjs')) throw err;
}
if (launcher) launcher.launch(process.argv);
else import('../dist/src/boot/launch.js').then((m) => m.launch(process.argv));
