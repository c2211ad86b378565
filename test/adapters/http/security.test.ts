import { expect } from 'chai';
import { statSync, readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { RequestGuard, hostnameOf, presentedToken, tokenMatches, writeTokenFile } from '../../../src/adapters/http/security.js';
import { tempHome } from '../../support/temp-home.js';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe('local-daemon security', () => {
  it('writes a fresh 0600 token each start', () => {
    const home = tempHome();
    try {
      const a = writeTokenFile(home.dir);
      const b = writeTokenFile(home.dir);
      expect(a).not.to.equal(b);
      expect(readFileSync(path.join(home.dir, 'token'), 'utf8').trim()).to.equal(b);
      expect(statSync(path.join(home.dir, 'token')).mode & 0o777).to.equal(0o600);
    } finally {
      home.remove();
    }
  });

  it('compares tokens of any length without throwing', () => {
    expect(tokenMatches('abc', 'abc')).to.equal(true);
    expect(tokenMatches('abcd', 'abc')).to.equal(false);
    expect(tokenMatches('', 'abc')).to.equal(false);
    expect(tokenMatches(undefined, 'abc')).to.equal(false);
  });

  it('finds the token in Bearer, X-Ghost-Key, and (upgrades only) a subprotocol entry', () => {
    expect(presentedToken(req({ authorization: 'Bearer t1' }), false)).to.equal('t1');
    expect(presentedToken(req({ 'x-ghost-key': 't2' }), false)).to.equal('t2');
    const ws = req({ 'sec-websocket-protocol': 'switchboard.jsonrpc, bearer.t3' });
    expect(presentedToken(ws, true)).to.equal('t3');
    expect(presentedToken(ws, false)).to.equal(undefined);
  });

  it('accepts loopback Hosts and the bound host, refuses others', () => {
    expect(hostnameOf('[::1]:7433')).to.equal('[::1]');
    expect(hostnameOf('LocalHost:1')).to.equal('localhost');
    const g = new RequestGuard({ token: 't', bindHost: '127.0.0.1', allowOrigins: [] });
    for (const h of ['localhost:7433', '127.0.0.1:7433', '[::1]:7433', 'app.localhost']) expect(() => g.checkHost(req({ host: h })), h).not.to.throw();
    for (const h of ['evil.example:7433', '10.0.0.5:7433', '']) expect(() => g.checkHost(req({ host: h })), h).to.throw(/forbidden/);
    const lan = new RequestGuard({ token: 't', bindHost: '192.168.1.20', allowOrigins: [] });
    expect(() => lan.checkHost(req({ host: '192.168.1.20:7433' }))).not.to.throw();
  });

  it("accepts the daemon's own Origin and configured ones; CORS only for configured ones", () => {
    const g = new RequestGuard({ token: 't', bindHost: '127.0.0.1', allowOrigins: ['https://ui.example/'] });
    expect(() => g.checkOrigin(req({ host: 'localhost:7433', origin: 'http://localhost:7433' }))).not.to.throw();
    expect(() => g.checkOrigin(req({ host: 'localhost:7433', origin: 'https://ui.example' }))).not.to.throw();
    expect(() => g.checkOrigin(req({ host: 'localhost:7433', origin: 'null' }))).to.throw(/Origin "null"/);
    expect(g.corsHeaders(req({ host: 'localhost:7433', origin: 'http://localhost:7433' }))).to.deep.equal({});
    expect(g.corsHeaders(req({ host: 'localhost:7433', origin: 'https://ui.example' }))['access-control-allow-origin']).to.equal('https://ui.example');
  });
});
