import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { renderMethodsDoc } from '../../src/app/methods-doc.js';
import { ROOT } from '../support/spawn-cli.js';

describe('docs/METHODS.md', () => {
  it('is what the method table generates (run `npm run docs` after changing a method)', async () => {
    const committed = readFileSync(path.join(ROOT, 'docs', 'METHODS.md'), 'utf8');
    const generated = await renderMethodsDoc();
    expect(generated.includes('### `session/prompt`')).to.equal(true);
    expect(committed).to.equal(generated);
  });
});
