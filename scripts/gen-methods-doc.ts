/**
 * Writes docs/METHODS.md from the method table of a fully composed host, so the protocol docs
 * can never drift from the zod declarations. `npm run docs`; test/docs.test.ts checks it is fresh.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderMethodsDoc } from '../src/app/methods-doc.js';
import { ROOT } from '../bench/support/measure.js';

const out = path.join(ROOT, 'docs', 'METHODS.md');
writeFileSync(out, await renderMethodsDoc());
console.error(`wrote ${path.relative(ROOT, out)}`);
