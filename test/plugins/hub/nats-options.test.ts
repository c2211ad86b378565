import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { natsSettings } from '../../../src/plugins/hub/nats/options.js';

describe('hub: NATS settings from --hub and the environment', () => {
  it('takes user:password or a token from the URL, and shows only scheme, host and port', () => {
    const up = natsSettings('nats://alice:s3cr%40t@nats.example:4333', {});
    expect(up).to.deep.include({ servers: ['nats.example:4333'], display: 'nats://nats.example:4333', user: 'alice', pass: 's3cr@t', tls: false });
    const tok = natsSettings('tls://tok-123@10.0.0.5', {});
    expect(tok).to.deep.include({ servers: ['10.0.0.5:4222'], display: 'tls://10.0.0.5:4222', token: 'tok-123', tls: true });
    for (const s of [up, tok]) expect(s.display).not.to.match(/s3cr|tok-123|alice/);
  });

  it('reads several servers, the credential variables and a .creds file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-creds-'));
    try {
      const creds = path.join(dir, 'user.creds');
      writeFileSync(creds, '-----BEGIN NATS USER JWT-----\nabc\n------END NATS USER JWT------\n');
      const s = natsSettings('nats://a:4222, nats://b:4223', { SWITCHBOARD_HUB_CREDS: creds, SWITCHBOARD_HUB_USER: 'u', SWITCHBOARD_HUB_PASSWORD: 'p' });
      expect(s.servers).to.deep.equal(['a:4222', 'b:4223']);
      expect(Buffer.from(s.creds!).toString()).to.contain('NATS USER JWT');
      expect(s).to.deep.include({ user: 'u', pass: 'p' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses what is not a NATS URL, and an unreadable .creds file, without quoting secrets', () => {
    expect(() => natsSettings('http://x:1', {})).to.throw(/nats:\/\/ or tls:\/\//);
    expect(() => natsSettings('not a url', {})).to.throw(/not a URL/);
    const err = (() => {
      try {
        natsSettings('nats://h', { SWITCHBOARD_HUB_CREDS: '/nonexistent/secret-name.creds' });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message).to.match(/cannot read/).and.not.to.contain('secret-name');
  });
});
