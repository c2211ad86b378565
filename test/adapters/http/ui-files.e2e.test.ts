import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Download, Page } from 'playwright-core';
import yauzl from 'yauzl';
import { hostileZip, makeZip } from '../../plugins/api-proxy/zip-fixtures.js';
import { uiSuite } from '../../support/ui-page.js';

const CAP = 200_000;

/** The names in a zip file (yauzl, reading the central directory). */
function zipNames(file: string): Promise<string[]> {
  return new Promise((resolve, reject) =>
    yauzl.open(file, { lazyEntries: false }, (err, zip) => {
      if (err) return reject(err);
      const names: string[] = [];
      zip.on('entry', (e: yauzl.Entry) => names.push(e.fileName));
      zip.on('end', () => resolve(names));
      zip.on('error', reject);
    }),
  );
}

async function downloaded(page: Page, click: () => Promise<void>): Promise<{ d: Download; body: Buffer }> {
  const [d] = await Promise.all([page.waitForEvent('download'), click()]);
  return { d, body: readFileSync((await d.path())!) };
}

/** Waits for the panel's status line to say `text`; a timeout says what it said instead. */
const status = (page: Page, text: string) =>
  page.waitForFunction((t) => document.getElementById('files-status')?.textContent?.includes(t), text).catch(async (err: Error) => {
    throw new Error(`${err.message}\nthe status line says: ${await page.textContent('#files-status')}`);
  });

describe('the browser UI: the files panel on a real workspace in headless Chromium', function () {
  const ui = uiSuite(this, { env: { SWITCHBOARD_UPLOAD_MAX_BYTES: String(CAP) } });
  let outside: string;
  let sessionId: string;
  const urls: string[] = [];

  before(async () => {
    outside = mkdtempSync(path.join(os.tmpdir(), 'sb-ui-outside-'));
    writeFileSync(path.join(outside, 'secret.txt'), 'not for the page');
    writeFileSync(path.join(ui.workspace, 'a.txt'), 'alpha\n');
    mkdirSync(path.join(ui.workspace, 'sub'));
    writeFileSync(path.join(ui.workspace, 'sub', 'b é.md'), '# bee\n');
    symlinkSync(outside, path.join(ui.workspace, 'out'));
    ui.page.on('request', (r) => urls.push(r.url()));
    sessionId = await ui.newSession('files', ui.workspace);
  });
  after(() => rmSync(outside, { recursive: true, force: true }));

  it('browses folders (symlinks shown, not followed) and downloads a file with the token in a header only', async () => {
    const { page } = ui;
    await ui.openPanel('files');
    await page.waitForSelector('#files-list li[data-path="a.txt"]');
    const rows = await page.$$eval('#files-list li', (lis) => lis.map((li) => `${li.getAttribute('data-kind')}:${li.getAttribute('data-path')}`));
    expect(rows, 'folders first, then by name').to.deep.equal(['folder:sub', 'file:a.txt', 'symlink:out']);
    expect(await page.textContent('#files-list li[data-path="a.txt"] .file-size')).to.equal('6 B');
    expect(await page.$('#files-list li[data-path="out"] button'), 'a symlink is not a folder to open').to.equal(null);
    await ui.shot('files-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await ui.shot('files-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    const a = await downloaded(page, () => page.click('#files-list li[data-path="a.txt"] .file-download'));
    expect(a.d.suggestedFilename()).to.equal('a.txt');
    expect(a.body.toString()).to.equal('alpha\n');

    // Into the folder (keyboard: the folder is a button), a name that needs percent-encoding, and back.
    await page.focus('#files-list li[data-path="sub"] button');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#files-list li[data-path="sub/b é.md"]');
    expect(await page.textContent('#files-crumbs')).to.equal('workspace/sub');
    const b = await downloaded(page, () => page.click('#files-list li[data-path="sub/b é.md"] .file-download'));
    expect(b.d.suggestedFilename()).to.equal('b é.md');
    expect(b.body.toString()).to.equal('# bee\n');
    await page.click('#files-up');
    await page.waitForSelector('#files-list li[data-path="a.txt"]');
    expect(urls.filter((u) => u.includes(ui.s.token)), 'the token never rides in a URL').to.deep.equal([]);
  });

  it('workspace/list is fenced: ../, absolute paths and a symlink out are refused with the reason', async () => {
    const list = async (p: string) => ui.s.fetch(`/sessions/${sessionId}/files?path=${encodeURIComponent(p)}`);
    const ok = await list('sub');
    expect(ok.status).to.equal(200);
    expect(((await ok.json()) as any).entries.map((e: any) => e.path)).to.deep.equal(['sub/b é.md']);
    for (const p of ['..', '../..', outside, 'out', 'out/']) {
      const res = await list(p);
      expect(res.status, p).to.equal(403);
      expect(((await res.json()) as any).error.message, p).to.match(/not allowed|outside/);
    }
    const file = await list('a.txt');
    expect(file.status).to.equal(400);
    expect(((await file.json()) as any).error.message).to.include('a.txt is a file, not a folder');
    const missing = await list('nope');
    expect(missing.status).to.equal(404);
    // More entries than asked for: the first ones (folders first, then by name), and says so.
    const many = path.join(ui.workspace, 'many');
    mkdirSync(path.join(many, 'zz-folder'), { recursive: true });
    for (let i = 0; i < 7; i++) writeFileSync(path.join(many, `f${i}`), '');
    try {
      const got = (await (await ui.s.fetch(`/sessions/${sessionId}/files?path=many&limit=5`)).json()) as any;
      expect(got).to.include({ truncated: true, path: 'many' });
      expect(got.entries.map((e: any) => e.path)).to.deep.equal(['many/zz-folder', 'many/f0', 'many/f1', 'many/f2', 'many/f3']);
      const all = (await (await ui.s.fetch(`/sessions/${sessionId}/files?path=many`)).json()) as any;
      expect(all.truncated).to.equal(false);
      expect(all.entries.length).to.equal(8);
      const bad = await ui.s.fetch(`/sessions/${sessionId}/files?path=many&limit=5000`);
      expect(bad.status).to.equal(400);
    } finally {
      rmSync(many, { recursive: true, force: true });
    }
  });

  it('uploads into the folder shown; a file over the cap is refused with the daemon\'s message and nothing saved', async () => {
    const { page } = ui;
    await page.click('#files-list li[data-path="sub"] button');
    await page.waitForSelector('#files-list li[data-path="sub/b é.md"]');
    await page.setInputFiles('#files-upload', [
      { name: 'up.txt', mimeType: 'text/plain', buffer: Buffer.from('uploaded through the page') },
      { name: 'two.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(3000, 7) },
    ]);
    // The daemon lists the files in the order their writes finished.
    await status(page, 'Uploaded ');
    expect(await page.textContent('#files-status')).to.include('sub/up.txt (25 B)').and.to.include('sub/two.bin (2.9 KB)');
    await page.waitForSelector('#files-list li[data-path="sub/two.bin"]');
    expect(readFileSync(path.join(ui.workspace, 'sub', 'up.txt'), 'utf8')).to.equal('uploaded through the page');
    expect(readFileSync(path.join(ui.workspace, 'sub', 'two.bin')).length).to.equal(3000);

    await page.setInputFiles('#files-upload', [{ name: 'huge.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(CAP + 5000, 1) }]);
    await status(page, 'Upload failed');
    expect(await page.textContent('#files-status')).to.include(`the file "huge.bin" is over the ${CAP}-byte upload limit; nothing was saved`);
    expect(await page.getAttribute('#files-status', 'class')).to.equal('error');
    expect(existsSync(path.join(ui.workspace, 'sub', 'huge.bin'))).to.equal(false);
    // The browser logs a failed fetch (413) as a console error: that one is expected.
    ui.problems.splice(0, ui.problems.length, ...ui.problems.filter((p) => !/status of 413/.test(p)));
    await page.click('#files-crumbs .crumb');
    await page.waitForSelector('#files-list li[data-path="a.txt"]');
  });

  it('saves the workspace as a zip and loads one; a zip with a path escape is refused, whole, with its reason', async () => {
    const { page } = ui;
    await page.click('#files-crumbs .crumb');
    await page.waitForSelector('#files-list li[data-path="a.txt"]');
    const saved = await downloaded(page, () => page.click('#files-save'));
    expect(saved.d.suggestedFilename()).to.equal(`${sessionId}.zip`);
    const names = await zipNames((await saved.d.path())!);
    expect(names).to.include.members(['a.txt', 'sub/', 'sub/b é.md', 'sub/up.txt']);
    expect(names.some((n) => n.startsWith('out')), 'the symlink out is left out').to.equal(false);
    await status(page, 'Saved the workspace');

    const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-ui-zips-'));
    try {
      const good = path.join(dir, 'good.zip');
      writeFileSync(good, await makeZip([{ name: 'loaded/one.txt', data: 'one' }, { name: 'loaded/two.txt', data: 'two!' }]));
      await page.setInputFiles('#files-load', good);
      await status(page, 'Loaded good.zip: 2 files');
      await page.waitForSelector('#files-list li[data-path="loaded"]');
      expect(readFileSync(path.join(ui.workspace, 'loaded', 'two.txt'), 'utf8')).to.equal('two!');

      const evil = path.join(dir, 'evil.zip');
      writeFileSync(evil, await hostileZip('xx/evil.txt', '../evil.txt'));
      await page.setInputFiles('#files-load', evil);
      await status(page, 'Loading evil.zip failed');
      const shown = (await page.textContent('#files-status'))!;
      expect(shown).to.include('the archive was refused, nothing was changed');
      expect(shown).to.include('../evil.txt');
      expect(existsSync(path.join(path.dirname(ui.workspace), 'evil.txt'))).to.equal(false);
      ui.problems.splice(0, ui.problems.length, ...ui.problems.filter((p) => !/status of 403/.test(p)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says what to do with no session open', async () => {
    const page = await ui.newPage();
    await ui.openPanel('files', page);
    expect(await page.textContent('#files-note')).to.equal('Open a session to browse its workspace.');
    expect(await page.isHidden('#files-body')).to.equal(true);
    await page.context().close();
  });
});
