import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Handler results are checked against their schemas in tests: a mismatch fails loudly.
process.env.SWITCHBOARD_VALIDATE_RESULTS = '1';

// The binaries the tests spawn keep their V8 code cache in one folder per run, not in the
// user's ~/.cache (src/boot/launch.ts); a test that is about the cache sets its own.
if (!process.env.SWITCHBOARD_COMPILE_CACHE) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-test-cache-'));
  process.env.SWITCHBOARD_COMPILE_CACHE = path.join(dir, 'cache');
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
}
