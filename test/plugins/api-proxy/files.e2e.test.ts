import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yauzl from 'yauzl';
import { spawnServe, type Served } from '../../support/spawn-serve.js';
import { hostileZip, makeZip } from './zip-fixtures.js';

const MB = 1024 * 1024;

/** Every path under a folder, relative, sorted (to show that nothing changed or was left behind). */
function tree(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    out.push(r);
    if (e.isDirectory() && !e.isSymbolicLink()) out.push(...tree(dir, r));
  }
  return out.sort();
}

function zipEntries(buf: Buffer): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buf, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      const out = new Map<string, string>();
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('/')) {
          out.set(entry.fileName, '');
          return zip.readEntry();
        }
        zip.openReadStream(entry, (e, stream) => {
          if (e) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            out.set(entry.fileName, Buffer.concat(chunks).toString());
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(out));
      zip.readEntry();
    });
  });
}

/** A multipart body streamed from a generator: `size` bytes of file, never held in memory whole. */
function streamedMultipart(boundary: string, filename: string, size: number): ReadableStream<Uint8Array> {
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const block = Buffer.alloc(256 * 1024, 0x61);
  let sent = -1;
  return new ReadableStream<Uint8Array>({
    pull(ctl) {
      if (sent === -1) {
        ctl.enqueue(head);
        sent = 0;
      } else if (sent < size) {
        const n = Math.min(block.length, size - sent);
        ctl.enqueue(block.subarray(0, n));
        sent += n;
      } else {
        ctl.enqueue(tail);
        ctl.close();
      }
    },
  });
}

/** Upload, download and workspace zips against the real daemon, with real files and symlinks. */
describe('api-proxy (e2e): files and workspaces', function () {
  this.timeout(90_000);
  let s: Served;
  let root: string;
  let ws: string;
  let outside: string;
  let sessionId: string;
  const q = () => `session_id=${sessionId}`;
  const upload = (form: FormData, query = '') => s.fetch(`/api/upload?${q()}${query}`, { method: 'POST', body: form });
  const load = (zip: Buffer, sid = sessionId) => s.fetch(`/api/workspace/load?session_id=${sid}`, { method: 'POST', headers: { 'content-type': 'application/zip' }, body: new Uint8Array(zip) });
  const errorOf = async (res: Response) => ((await res.json()) as any).error;

  before(async () => {
    root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sb-files-')));
    ws = path.join(root, 'ws');
    outside = path.join(root, 'outside');
    mkdirSync(path.join(ws, 'docs'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(path.join(ws, 'hello.txt'), 'hello, world\n');
    writeFileSync(path.join(ws, 'docs', 'data.json'), '{"a":1}');
    writeFileSync(path.join(outside, 'secret.txt'), 'TOP SECRET');
    symlinkSync(outside, path.join(ws, 'out-link'));
    s = await spawnServe([], { SWITCHBOARD_ZIP_MAX_BYTES: String(8 * MB), SWITCHBOARD_ZIP_MAX_ENTRIES: '100' });
    const created = (await (await s.fetch('/sessions', { method: 'POST', body: JSON.stringify({ workspace: ws }) })).json()) as any;
    sessionId = created.sessionId;
  });
  after(async () => {
    await s?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('upload: multipart files land in the workspace (by name, ?path=file, ?path=folder/)', async () => {
    const form = new FormData();
    form.append('file', new Blob(['uploaded!']), 'up.txt');
    const res = await upload(form);
    expect(res.status).to.equal(201);
    expect(((await res.json()) as any).files).to.deep.equal([{ path: 'up.txt', size: 9 }]);
    expect(readFileSync(path.join(ws, 'up.txt'), 'utf8')).to.equal('uploaded!');
    const named = new FormData();
    named.append('file', new Blob(['renamed']), 'ignored.txt');
    expect((await upload(named, '&path=sub/dir/renamed.txt')).status).to.equal(201);
    expect(readFileSync(path.join(ws, 'sub/dir/renamed.txt'), 'utf8')).to.equal('renamed');
    const intoFolder = new FormData();
    intoFolder.append('file', new Blob(['in docs']), 'in.txt');
    expect((await upload(intoFolder, '&path=docs/')).status).to.equal(201);
    expect(readFileSync(path.join(ws, 'docs/in.txt'), 'utf8')).to.equal('in docs');
  });

  it('upload refuses ../, absolute paths and a symlink out (403), and leaves nothing anywhere', async () => {
    const before = tree(ws);
    for (const target of ['../escaped.txt', '/tmp/sb-abs-escape.txt', 'out-link/planted.txt']) {
      const form = new FormData();
      form.append('file', new Blob(['bad']), 'x.txt');
      const res = await upload(form, `&path=${encodeURIComponent(target)}`);
      expect(res.status, target).to.equal(403);
      expect((await errorOf(res)).message).to.contain('not allowed');
    }
    expect(tree(ws)).to.deep.equal(before);
    expect(readdirSync(outside)).to.deep.equal(['secret.txt']);
    expect(existsSync(path.join(root, 'escaped.txt'))).to.equal(false);
    expect(existsSync('/tmp/sb-abs-escape.txt')).to.equal(false);
  });

  it('upload error paths: no session 400, unknown session 404, not multipart 400, no file part 400', async () => {
    const form = new FormData();
    form.append('file', new Blob(['x']), 'x.txt');
    expect((await s.fetch('/api/upload', { method: 'POST', body: form })).status).to.equal(400);
    expect((await s.fetch('/api/upload?session_id=sess_nope', { method: 'POST', body: form })).status).to.equal(404);
    expect((await s.fetch(`/api/upload?${q()}`, { method: 'POST', body: 'raw bytes' })).status).to.equal(400);
    const fieldsOnly = new FormData();
    fieldsOnly.append('note', 'no file here');
    expect((await upload(fieldsOnly)).status).to.equal(400);
    // A body cut inside a part: 400 naming the problem, no file left, and the daemon goes on.
    const before = tree(ws);
    const cut = await s.fetch(`/api/upload?${q()}`, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=xyz' },
      body: '--xyz\r\nContent-Disposition: form-data; name="file"; filename="cut.txt"\r\n\r\nhalf a file',
    });
    expect(cut.status).to.equal(400);
    expect((await errorOf(cut)).message).to.contain('malformed multipart');
    expect(tree(ws)).to.deep.equal(before);
    expect((await s.fetch('/health')).status).to.equal(200);
  });

  it('upload of 100 MB + 1 byte (streamed from a generator): 413 with the limit, and no partial file left', async () => {
    const before = tree(ws);
    const boundary = 'sb-boundary-7d1f';
    const res = await s.fetch(`/api/upload?${q()}`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: streamedMultipart(boundary, 'huge.bin', 100 * MB + 1),
      duplex: 'half',
    } as RequestInit);
    expect(res.status).to.equal(413);
    const err = await errorOf(res);
    expect(err.data.limit).to.equal(100 * MB);
    expect(err.message).to.contain('nothing was saved');
    expect(tree(ws)).to.deep.equal(before);
  });

  it('a client that goes away mid-upload (file or zip) leaves no temp file, and the daemon goes on', async () => {
    const before = tree(ws);
    for (const [route, type] of [['/api/upload', 'multipart/form-data; boundary=b'], ['/api/workspace/load', 'application/zip']]) {
      const gone = new AbortController();
      let n = 0;
      const head = new TextEncoder().encode('--b\r\nContent-Disposition: form-data; name="file"; filename="half.bin"\r\n\r\n');
      const body = new ReadableStream<Uint8Array>({
        pull(ctl) {
          if (n === 0) ctl.enqueue(head);
          if (n++ >= 16) {
            gone.abort();
            return ctl.error(new Error('client gone'));
          }
          ctl.enqueue(new Uint8Array(64 * 1024));
        },
      });
      const res = await s.fetch(`${route}?${q()}`, { method: 'POST', headers: { 'content-type': type }, body, duplex: 'half', signal: gone.signal } as RequestInit).catch((e: Error) => e);
      expect(res).to.be.instanceOf(Error);
    }
    // The daemon cleans up when it sees the connection close: wait for that, bounded.
    for (let i = 0; i < 100 && JSON.stringify(tree(ws)) !== JSON.stringify(before); i++) await new Promise((r) => setTimeout(r, 100));
    expect(tree(ws)).to.deep.equal(before);
    expect((await s.fetch('/health')).status).to.equal(200);
  });

  it('download: streamed with Content-Type and Content-Length; Range gives 206 / 416', async () => {
    const full = await s.fetch(`/api/download/hello.txt?${q()}`);
    expect(full.status).to.equal(200);
    expect(full.headers.get('content-type')).to.equal('text/plain; charset=utf-8');
    expect(full.headers.get('content-length')).to.equal('13');
    expect(full.headers.get('accept-ranges')).to.equal('bytes');
    expect(await full.text()).to.equal('hello, world\n');
    const json = await s.fetch(`/api/download/docs/data.json?${q()}`);
    expect(json.headers.get('content-type')).to.contain('application/json');
    const part = await s.fetch(`/api/download/hello.txt?${q()}`, { headers: { range: 'bytes=7-11' } });
    expect(part.status).to.equal(206);
    expect(part.headers.get('content-range')).to.equal('bytes 7-11/13');
    expect(part.headers.get('content-length')).to.equal('5');
    expect(await part.text()).to.equal('world');
    const suffix = await s.fetch(`/api/download/hello.txt?${q()}`, { headers: { range: 'bytes=-6' } });
    expect(await suffix.text()).to.equal('world\n');
    const open = await s.fetch(`/api/download/hello.txt?${q()}`, { headers: { range: 'bytes=7-' } });
    expect(await open.text()).to.equal('world\n');
    const past = await s.fetch(`/api/download/hello.txt?${q()}`, { headers: { range: 'bytes=100-200' } });
    expect(past.status).to.equal(416);
    expect(past.headers.get('content-range')).to.equal('bytes */13');
    // A bigger file streams whole, and by ranges that add up to it.
    const big = Buffer.alloc(3 * MB + 17);
    for (let i = 0; i < big.length; i++) big[i] = i % 251;
    writeFileSync(path.join(ws, 'big.bin'), big);
    const whole = Buffer.from(await (await s.fetch(`/api/download/big.bin?${q()}`)).arrayBuffer());
    expect(whole.equals(big)).to.equal(true);
    const a = Buffer.from(await (await s.fetch(`/api/download/big.bin?${q()}`, { headers: { range: `bytes=0-${MB - 1}` } })).arrayBuffer());
    const b = Buffer.from(await (await s.fetch(`/api/download/big.bin?${q()}`, { headers: { range: `bytes=${MB}-` } })).arrayBuffer());
    expect(Buffer.concat([a, b]).equals(big)).to.equal(true);
    rmSync(path.join(ws, 'big.bin'));
  });

  it('download refuses ../ (encoded), absolute paths and symlinks out (403); missing 404, a folder 400', async () => {
    for (const p of ['%2e%2e%2foutside%2fsecret.txt', '..%2foutside%2fsecret.txt', '%2Fetc%2Fpasswd', 'out-link/secret.txt']) {
      const res = await s.fetch(`/api/download/${p}?${q()}`);
      expect(res.status, p).to.equal(403);
      expect(await res.text()).not.to.contain('TOP SECRET');
    }
    expect((await s.fetch(`/api/download/nope.txt?${q()}`)).status).to.equal(404);
    expect((await s.fetch(`/api/download/docs?${q()}`)).status).to.equal(400);
    expect((await s.fetch('/api/download/hello.txt')).status).to.equal(400);
    expect((await fetch(`${s.url}/api/download/hello.txt?${q()}`)).status).to.equal(401);
    expect((await fetch(`${s.url}/api/download/docs/data.json?${q()}`, { headers: { 'x-ghost-key': s.token } })).status).to.equal(200);
  });

  it('workspace save: a streamed zip of the files and folders, without the symlink out', async () => {
    const res = await s.fetch('/api/workspace/save', { method: 'POST', body: JSON.stringify({ session_id: sessionId }) });
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('application/zip');
    const entries = await zipEntries(Buffer.from(await res.arrayBuffer()));
    expect(entries.get('hello.txt')).to.equal('hello, world\n');
    expect(entries.get('docs/data.json')).to.equal('{"a":1}');
    expect(entries.has('docs/')).to.equal(true);
    expect([...entries.keys()].some((k) => k.startsWith('out-link'))).to.equal(false);
    expect(JSON.stringify([...entries.values()])).not.to.contain('TOP SECRET');
    expect((await s.fetch('/api/workspace/save', { method: 'POST', body: JSON.stringify({}) })).status).to.equal(400);
    expect((await s.fetch('/api/workspace/save', { method: 'POST', body: JSON.stringify({ session_id: 'sess_nope' }) })).status).to.equal(404);
  });

  it('workspace load: a zip is extracted into the workspace (folders made, files replaced)', async () => {
    const zip = await makeZip([{ name: 'loaded/', dir: true }, { name: 'loaded/a.txt', data: 'A' }, { name: 'hello.txt', data: 'replaced' }]);
    const res = await load(zip);
    expect(res.status).to.equal(200);
    expect(((await res.json()) as any).files).to.equal(2);
    expect(readFileSync(path.join(ws, 'loaded/a.txt'), 'utf8')).to.equal('A');
    expect(readFileSync(path.join(ws, 'hello.txt'), 'utf8')).to.equal('replaced');
    expect(tree(ws).some((p) => p.startsWith('.sb-load-'))).to.equal(false);
  });

  it('workspace load refuses zip-slip, absolute paths, symlinks, devices and an entry through a symlink out, changing nothing', async () => {
    const cases: [string, Buffer, number][] = [
      ['zip-slip', await hostileZip('xx/xx/evil.txt', '../../evil.txt'), 403],
      ['absolute', await hostileZip('xtmp/sb-evil.txt', '/tmp/sb-evil.txt'), 403],
      ['symlink', await makeZip([{ name: 'ok.txt', data: 'fine' }, { name: 'link', data: '/etc', mode: 0o120777 }]), 403],
      ['char device', await makeZip([{ name: 'dev', data: '', mode: 0o020666 }]), 403],
      ['fifo', await makeZip([{ name: 'fifo', data: '', mode: 0o010644 }]), 403],
      ['through the workspace symlink', await makeZip([{ name: 'out-link/planted.txt', data: 'planted' }]), 403],
      ['not a zip', Buffer.from('this is not a zip archive at all'), 400],
    ];
    const before = tree(ws);
    for (const [name, zip, status] of cases) {
      const res = await load(zip);
      expect(res.status, name).to.equal(status);
      if (status === 403) expect((await errorOf(res)).message, name).to.match(/refused|not allowed/);
      expect(tree(ws), name).to.deep.equal(before);
    }
    expect(readdirSync(outside)).to.deep.equal(['secret.txt']);
    expect(existsSync(path.join(root, 'evil.txt'))).to.equal(false);
    expect(existsSync('/tmp/sb-evil.txt')).to.equal(false);
  });

  it('a workspace that holds the daemon\'s home: its token and keys are never downloaded, zipped, uploaded over or loaded over', async () => {
    const created = (await (await s.fetch('/sessions', { method: 'POST', body: JSON.stringify({ workspace: s.home }) })).json()) as any;
    const sid = created.sessionId;
    const token = readFileSync(path.join(s.home, 'token'), 'utf8');
    const dl = await s.fetch(`/api/download/token?session_id=${sid}`);
    expect(dl.status).to.equal(403);
    expect(await dl.text()).not.to.contain(token.trim());
    const saved = await s.fetch('/api/workspace/save', { method: 'POST', body: JSON.stringify({ session_id: sid }) });
    expect(saved.status).to.equal(200);
    const zipped = Buffer.from(await saved.arrayBuffer());
    expect(zipped.includes(Buffer.from(token.trim()))).to.equal(false);
    expect([...(await zipEntries(zipped)).keys()].filter((k) => !k.startsWith('workspaces/'))).to.deep.equal([]);
    const form = new FormData();
    form.append('file', new Blob(['stolen']), 'token');
    expect((await s.fetch(`/api/upload?session_id=${sid}&path=token`, { method: 'POST', body: form })).status).to.equal(403);
    expect((await load(await makeZip([{ name: 'token', data: 'stolen' }]), sid)).status).to.equal(403);
    expect(readFileSync(path.join(s.home, 'token'), 'utf8')).to.equal(token);
    await s.fetch(`/sessions/${sid}`, { method: 'DELETE' });
  });

  it('workspace load refuses zip bombs: too much uncompressed data, too many entries (413), changing nothing', async () => {
    const before = tree(ws);
    const bomb = await makeZip([{ name: 'zeros.bin', data: Buffer.alloc(9 * MB) }]);
    expect(bomb.length).to.be.below(64 * 1024);
    const big = await load(bomb);
    expect(big.status).to.equal(413);
    expect((await errorOf(big)).data.limit).to.equal(8 * MB);
    // Small entries that add up past the limit are caught as well.
    const split = await makeZip(Array.from({ length: 5 }, (_, i) => ({ name: `part${i}.bin`, data: Buffer.alloc(2 * MB) })));
    expect((await load(split)).status).to.equal(413);
    const many = await makeZip(Array.from({ length: 101 }, (_, i) => ({ name: `f${i}.txt`, data: 'x' })));
    const tooMany = await load(many);
    expect(tooMany.status).to.equal(413);
    expect((await errorOf(tooMany)).data).to.deep.include({ entries: 101, limit: 100 });
    expect(tree(ws)).to.deep.equal(before);
  });
});
