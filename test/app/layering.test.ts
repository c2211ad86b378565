import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src');

function* files(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (e.name.endsWith('.ts')) yield p;
  }
}

/** Every relative import (static or dynamic) of every file under `folder`, resolved against src/. */
function importsUnder(folder: string): { file: string; target: string }[] {
  const out: { file: string; target: string }[] = [];
  for (const file of files(path.join(SRC, folder))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\()\s*['"](\.[^'"]+)['"]/g)) {
      out.push({ file: path.relative(SRC, file), target: path.relative(SRC, path.resolve(path.dirname(file), m[1])) });
    }
  }
  return out;
}

const offending = (folder: string, forbidden: (target: string) => boolean) =>
  importsUnder(folder)
    .filter((i) => forbidden(i.target))
    .map((i) => `${i.file} imports ${i.target}`);

describe('layering (the README Layout section)', () => {
  it('the host and the adapters import no plugin', () => {
    expect(offending('host', (t) => t.startsWith('plugins/'))).to.deep.equal([]);
    expect(offending('adapters', (t) => t.startsWith('plugins/'))).to.deep.equal([]);
  });

  it('plugins import no adapter, and the host no transport library', () => {
    expect(offending('plugins', (t) => t.startsWith('adapters/'))).to.deep.equal([]);
    const nodeIo = [...files(path.join(SRC, 'host'))].filter((f) => /from ['"](node:)?(http|net|ws)['"]/.test(readFileSync(f, 'utf8')));
    expect(nodeIo.map((f) => path.relative(SRC, f))).to.deep.equal([]);
  });

  it('the plugin kit (the public switchboard/plugin entry) imports no adapter, and nothing in the core imports it', () => {
    expect(offending('plugin-kit', (t) => t.startsWith('adapters/') || t.startsWith('app/') || t.startsWith('cli/'))).to.deep.equal([]);
    for (const folder of ['host', 'adapters', 'plugins']) expect(offending(folder, (t) => t.startsWith('plugin-kit/'))).to.deep.equal([]);
  });

  it('the HTTP and WebSocket adapters do not import each other', () => {
    expect(offending('adapters/http', (t) => t.startsWith('adapters/ws/'))).to.deep.equal([]);
    expect(offending('adapters/ws', (t) => t.startsWith('adapters/http/'))).to.deep.equal([]);
  });
});
