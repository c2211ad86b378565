import { expect } from 'chai';
import { readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { spawnCli } from '../../support/spawn-cli.js';
import { tempHome } from '../../support/temp-home.js';
import { installFakeStreamPlugin, spawnServe, type Served } from '../../support/spawn-serve.js';

/** A raw request, for headers fetch would not let us forge (Host) or set (Origin). */
function raw(
  s: Served,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: s.port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('switchboard serve (e2e): auth, Host/Origin, derived routes, errors, OpenAPI', function () {
  let s: Served;
  before(async () => {
    s = await spawnServe(['--allow-origin', 'http://app.example:3000'], {}, installFakeStreamPlugin);
  });
  after(async () => {
    if (s) await s.stop();
  });

  it('writes the token file with mode 0600 and prints it only in the #token= page URL', () => {
    const file = path.join(s.home, 'token');
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(readFileSync(file, 'utf8').trim()).to.have.length.greaterThan(30);
    const page = new URL(s.pageUrl);
    expect(page.hash).to.equal(`#token=${s.token}`);
    expect(page.search).to.equal('');
    // Every other line of stderr (the pino log) is free of the token.
    const logLines = s.cli.stderr().split('\n').filter((l) => !l.startsWith('switchboard: open '));
    expect(logLines.join('\n')).not.to.contain(s.token);
  });

  it('answers /health without a token', async () => {
    const res = await fetch(`${s.url}/health`);
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({ status: 'ok' });
  });

  it('answers 401 with the error shape without a token, with a wrong one, and 200 with Bearer or X-Ghost-Key', async () => {
    const none = await fetch(`${s.url}/version`);
    expect(none.status).to.equal(401);
    expect(none.headers.get('www-authenticate')).to.match(/^Bearer/);
    const body = (await none.json()) as { error: { code: number; message: string } };
    expect(body.error.code).to.equal(-32000);
    expect(body.error.message).to.contain('Authorization: Bearer');
    const wrong = await fetch(`${s.url}/version`, { headers: { authorization: `Bearer ${s.token}x` } });
    expect(wrong.status).to.equal(401);
    const bearer = await s.fetch('/version');
    expect(bearer.status).to.equal(200);
    expect(((await bearer.json()) as { name: string }).name).to.equal('switchboard');
    const ghost = await fetch(`${s.url}/version`, { headers: { 'x-ghost-key': s.token } });
    expect(ghost.status).to.equal(200);
  });

  it('GET /status is host/status with the plugins and an http section', async () => {
    const res = await s.fetch('/status');
    expect(res.status).to.equal(200);
    const st = (await res.json()) as { plugins: { name: string; state: string }[]; http: { url: string; ws: object } };
    expect(st.plugins.map((p) => p.name)).to.include.members(['host', 'fake-stream']);
    expect(st.plugins.find((p) => p.name === 'fake-stream')?.state).to.equal('active');
    expect(st.http.url).to.equal(s.url);
  });

  it('answers 403 to a rebinding Host, even with the token', async () => {
    const res = await raw(s, { path: '/version', headers: { host: `attacker.example:${s.port}`, authorization: `Bearer ${s.token}` } });
    expect(res.status).to.equal(403);
    expect(JSON.parse(res.body).error.message).to.contain('DNS-rebinding');
    const ok = await raw(s, { path: '/version', headers: { host: `localhost:${s.port}`, authorization: `Bearer ${s.token}` } });
    expect(ok.status).to.equal(200);
  });

  it('answers 403 to a foreign Origin; allows its own and a configured one, with CORS only for the configured one', async () => {
    const auth = { authorization: `Bearer ${s.token}` };
    const foreign = await raw(s, { path: '/version', headers: { ...auth, origin: 'http://evil.example' } });
    expect(foreign.status).to.equal(403);
    expect(JSON.parse(foreign.body).error.code).to.equal(-32001);
    const own = await raw(s, { path: '/version', headers: { ...auth, origin: `http://127.0.0.1:${s.port}` } });
    expect(own.status).to.equal(200);
    expect(own.headers['access-control-allow-origin']).to.equal(undefined);
    const allowed = await raw(s, { path: '/version', headers: { ...auth, origin: 'http://app.example:3000' } });
    expect(allowed.status).to.equal(200);
    expect(allowed.headers['access-control-allow-origin']).to.equal('http://app.example:3000');
    const preflight = await raw(s, {
      method: 'OPTIONS',
      path: '/version',
      headers: { origin: 'http://app.example:3000', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    expect(preflight.status).to.equal(204);
    expect(preflight.headers['access-control-allow-headers']).to.contain('authorization');
    const badPreflight = await raw(s, { method: 'OPTIONS', path: '/version', headers: { origin: 'http://evil.example' } });
    expect(badPreflight.status).to.equal(403);
  });

  it('derives routes: path params camel-cased, query coerced by the schema, JSON body, declared status', async () => {
    const got = await s.fetch('/fake-items/a%2Fb?count=3&flag=true&tags=x,y');
    expect(got.status).to.equal(200);
    expect(await got.json()).to.deep.equal({ itemId: 'a/b', count: 3, flag: true, tags: ['x', 'y'] });
    const del = await s.fetch('/fake-items/z', { method: 'DELETE' });
    expect(await del.json()).to.deep.equal({ itemId: 'z' });
    const posted = await s.fetch('/fake-echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'hi', n: 2 }) });
    expect(posted.status).to.equal(201);
    expect(await posted.json()).to.deep.equal({ text: 'hi', n: 2 });
  });

  it('gives each REST call a client peer that closes when the call ends (nothing stays attached)', async () => {
    for (let i = 0; i < 3; i++) await s.fetch('/fake-echo', { method: 'POST', body: JSON.stringify({ text: String(i) }) });
    const peers = (await (await s.fetch('/fake-peers')).json()) as { seen: number; open: number; transports: string[] };
    expect(peers.seen).to.be.at.least(3);
    expect(peers.open).to.equal(0);
    expect(peers.transports).to.deep.equal(['http']);
  });

  it('answers bad params with 400 and the dispatcher issues', async () => {
    const bad = await s.fetch('/fake-items/a?count=many');
    expect(bad.status).to.equal(400);
    const body = (await bad.json()) as { error: { code: number; message: string; data: { issues: { path: string[] }[] } } };
    expect(body.error.code).to.equal(-32602);
    expect(body.error.data.issues[0].path).to.deep.equal(['count']);
    const missing = await s.fetch('/fake-echo', { method: 'POST', body: '{}' });
    expect(missing.status).to.equal(400);
    expect(((await missing.json()) as { error: { message: string } }).error.message).to.contain('text');
  });

  it('answers a malformed JSON body with 400 (-32700) and a non-object body with 400', async () => {
    const res = await s.fetch('/fake-echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text": ' });
    expect(res.status).to.equal(400);
    const body = (await res.json()) as { error: { code: number; message: string } };
    expect(body.error.code).to.equal(-32700);
    expect(body.error.message).to.contain('malformed JSON');
    const arr = await s.fetch('/fake-echo', { method: 'POST', body: '[1]' });
    expect(arr.status).to.equal(400);
  });

  it('answers a body over the limit with 413 and a clear message', async () => {
    const big = JSON.stringify({ text: 'x'.repeat(1024 * 1024 + 10) });
    const res = await raw(s, { method: 'POST', path: '/fake-echo', headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' }, body: big });
    expect(res.status).to.equal(413);
    const body = JSON.parse(res.body) as { error: { code: number; message: string; data: { limit: number } } };
    expect(body.error.code).to.equal(-32004);
    expect(body.error.message).to.contain('--max-body-bytes');
    expect(body.error.data.limit).to.equal(1024 * 1024);
  });

  it('answers unknown routes and wrong verbs with 404 in the one error shape', async () => {
    const none = await s.fetch('/nope');
    expect(none.status).to.equal(404);
    expect(((await none.json()) as { error: { code: number } }).error.code).to.equal(-32601);
    const verb = await s.fetch('/version', { method: 'PUT' });
    expect(verb.status).to.equal(404);
    expect(((await verb.json()) as { error: { data: { allow: string[] } } }).error.data.allow).to.deep.equal(['GET']);
  });

  it('hands plugin mounts (HttpMountsToken) authenticated requests with their parsed JSON body', async () => {
    expect((await fetch(`${s.url}/fake-mount/x`)).status).to.equal(401);
    const res = await s.fetch('/fake-mount/a/b?q=1', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"k":1}' });
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({ method: 'POST', url: '/fake-mount/a/b?q=1', body: { k: 1 } });
  });

  it('GET /openapi.json is OpenAPI 3.1 generated from the method table', async () => {
    const res = await s.fetch('/openapi.json');
    expect(res.status).to.equal(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, any>> };
    expect(doc.openapi).to.equal('3.1.0');
    expect(doc.paths['/version'].get.summary).to.equal('host/version');
    expect(doc.paths['/status'].get.summary).to.equal('host/status');
    expect(doc.paths['/health'].get.security).to.deep.equal([]);
    const item = doc.paths['/fake-items/{item_id}'];
    expect(Object.keys(item)).to.have.members(['get', 'delete']);
    expect(item.get.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).to.include.members(['path:item_id', 'query:count']);
    const echo = doc.paths['/fake-echo'].post;
    expect(echo.requestBody.content['application/json'].schema.required).to.deep.equal(['text']);
    expect(Object.keys(echo.responses)).to.include('201');
    expect(doc.paths['/fake/{session_id}/message'].post.responses['200'].content).to.have.property('text/event-stream');
  });

  it('serves the static UI without a token, with a CSP', async () => {
    const res = await fetch(`${s.url}/`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.contain('text/html');
    expect(res.headers.get('content-security-policy')).to.contain("default-src 'self'");
    const traversal = await raw(s, { path: '/..%2f..%2fpackage.json' });
    expect(traversal.status).to.equal(401);
  });

  it('serves the built bundle with its content types, revalidated by ETag (304 when unchanged)', async () => {
    const types: Record<string, string> = {
      '/app.js': 'text/javascript; charset=utf-8',
      '/app.css': 'text/css; charset=utf-8',
      '/app.js.map': 'application/json; charset=utf-8',
      '/favicon.svg': 'image/svg+xml',
    };
    for (const [file, type] of Object.entries(types)) {
      const res = await fetch(`${s.url}${file}`);
      expect(res.status, file).to.equal(200);
      expect(res.headers.get('content-type'), file).to.equal(type);
      expect(res.headers.get('cache-control'), file).to.equal('no-cache');
      const etag = res.headers.get('etag');
      expect(etag, file).to.match(/^W\/"[0-9a-f]+-[0-9a-f]+"$/);
      expect((await res.text()).length, file).to.be.greaterThan(0);
      const again = await fetch(`${s.url}${file}`, { headers: { 'if-none-match': etag! } });
      expect(again.status, file).to.equal(304);
      expect(await again.text()).to.equal('');
      const stale = await fetch(`${s.url}${file}`, { headers: { 'if-none-match': 'W/"0-0"' } });
      expect(stale.status, file).to.equal(200);
      await stale.arrayBuffer();
    }
    // The page loads nothing from a CDN: every script and stylesheet it names is on the daemon.
    const html = await (await fetch(`${s.url}/`)).text();
    expect(html).to.not.match(/(src|href)="(https?:)?\/\//);
  });

  it('fails clearly when the port is taken (exit 1) and on a bad flag (exit 2)', async () => {
    const taken = spawnCli(['serve', '--port', String(s.port)], { SWITCHBOARD_HOME: s.home });
    const exit = await taken.exited;
    expect(exit.code).to.equal(1);
    expect(taken.stderr()).to.contain(`cannot listen on 127.0.0.1:${s.port}`);
    // The running daemon's token file is left alone.
    expect(readFileSync(path.join(s.home, 'token'), 'utf8').trim()).to.equal(s.token);
    const bad = spawnCli(['serve', '--port', 'eighty'], { SWITCHBOARD_HOME: s.home });
    expect((await bad.exited).code).to.equal(2);
    expect(bad.stderr()).to.contain('--port must be');
  });

  it('never writes the token to a log file, and exits 0 on SIGTERM', async () => {
    const dir = tempHome('sb-log-');
    const log = path.join(dir.dir, 'serve.log');
    const t = await spawnServe(['--log-file', log, '--log-level', 'debug']);
    try {
      expect((await t.fetch('/version')).status).to.equal(200);
      expect((await t.fetch('/status?x=1')).status).to.equal(400);
      expect((await fetch(`${t.url}/version`, { headers: { 'x-ghost-key': t.token } })).status).to.equal(200);
      const exit = await t.stop();
      expect(exit.code).to.equal(0);
      const text = readFileSync(log, 'utf8');
      expect(text).to.contain('http request');
      expect(text).not.to.contain(t.token);
    } finally {
      await t.stop();
      dir.remove();
    }
  });
});
