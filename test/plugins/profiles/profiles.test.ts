import { expect } from 'chai';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { MessageConnection, ResponseError } from 'vscode-jsonrpc/node';
import { ErrorCodes } from '../../../src/host/errors.js';
import { startFakeAnthropic, startFakeOpenAI, type FakeProvider } from '../../support/fake-provider.js';
import { createTestHost, type TestHost } from '../../support/in-memory.js';

const KEY = 'sk-live-SECRET-9f8e7d6c5b4a';
const fail = (p: Promise<unknown>) => p.then(() => null, (e: ResponseError<any>) => e);

describe('profiles', () => {
  let t: TestHost;
  let client: MessageConnection;
  let oa: FakeProvider;
  let an: FakeProvider;

  before(async () => {
    oa = await startFakeOpenAI({ apiKey: KEY, models: ['gpt-a', 'gpt-b'] });
    an = await startFakeAnthropic({ apiKey: KEY });
    t = await createTestHost({ env: { ...process.env, ANTH_KEY: KEY, MISSING_KEY: undefined } });
    ({ client } = t.connect());
  });
  after(async () => {
    await t.close();
    await oa.close();
    await an.close();
  });

  it('has the built-in local Ollama profile when there is no profiles.json', async () => {
    const list = await client.sendRequest<any>('profiles/list');
    expect(list.default).to.equal('local');
    expect(list.profiles).to.have.length(1);
    expect(list.profiles[0]).to.include({ name: 'local', provider: 'ollama', baseUrl: 'http://127.0.0.1:11434/v1', builtin: true, hasApiKey: false });
    const ready = await client.sendRequest<any>('profiles/ready');
    expect(ready).to.deep.include({ ready: true, default: 'local' });
  });

  it('creates a profile: stored 0600 with the key, returned redacted, first one becomes default', async () => {
    const created = await client.sendRequest<any>('profiles/create', { name: 'oa', provider: 'openai-compatible', model: 'gpt-a', baseUrl: oa.baseUrl, apiKey: KEY, headers: { 'x-org': 'org-SECRET' } });
    expect(created).to.include({ name: 'oa', apiKey: '[redacted]', isDefault: true, hasApiKey: true, builtin: false });
    expect(created.headers).to.deep.equal({ 'x-org': '[redacted]' });
    const file = path.join(t.home, 'profiles.json');
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    expect(stored.default).to.equal('oa');
    expect(stored.profiles.find((p: any) => p.name === 'oa').apiKey).to.equal(KEY);
    expect(JSON.stringify(await client.sendRequest('profiles/list'))).not.to.contain('SECRET');
    expect(JSON.stringify(await client.sendRequest('profiles/get', { name: 'oa' }))).not.to.contain('SECRET');
  });

  it('refuses a duplicate name with Conflict', async () => {
    const err = await fail(client.sendRequest('profiles/create', { name: 'oa', provider: 'ollama', model: 'x' }));
    expect(err?.code).to.equal(ErrorCodes.Conflict);
  });

  it('update: the placeholder keeps the stored secret; rename moves the default', async () => {
    const updated = await client.sendRequest<any>('profiles/update', { name: 'oa', newName: 'openai', apiKey: '[redacted]', headers: { 'x-org': '[redacted]' }, model: 'gpt-b' });
    expect(updated).to.include({ name: 'openai', model: 'gpt-b', isDefault: true });
    const stored = JSON.parse(readFileSync(path.join(t.home, 'profiles.json'), 'utf8'));
    const p = stored.profiles.find((x: any) => x.name === 'openai');
    expect(p.apiKey).to.equal(KEY);
    expect(p.headers['x-org']).to.equal('org-SECRET');
    expect(stored.default).to.equal('openai');
    expect((await fail(client.sendRequest('profiles/get', { name: 'oa' })))?.code).to.equal(ErrorCodes.NotFound);
  });

  it('test: ok with the models for a good key, the provider error for a bad one', async () => {
    const ok = await client.sendRequest<any>('profiles/test', { name: 'openai' });
    expect(ok).to.include({ ok: true, profile: 'openai', provider: 'openai-compatible' });
    expect(ok.models).to.deep.equal(['gpt-a', 'gpt-b']);
    await client.sendRequest('profiles/create', { name: 'bad', provider: 'openai-compatible', model: 'm', baseUrl: oa.baseUrl, apiKey: 'sk-wrong-0000000000' });
    const bad = await client.sendRequest<any>('profiles/test', { name: 'bad' });
    expect(bad.ok).to.equal(false);
    expect(bad.error.code).to.equal(ErrorCodes.UpstreamError);
    expect(bad.error.message).to.match(/HTTP 401/);
    expect(JSON.stringify(bad)).not.to.contain('sk-wrong');
  });

  it('${env:NAME} keys resolve at use, are never stored resolved, and readiness reports unset variables', async () => {
    await client.sendRequest('profiles/create', { name: 'claude', provider: 'anthropic', model: 'claude-x', baseUrl: an.baseUrl, apiKey: '${env:ANTH_KEY}' });
    await client.sendRequest('profiles/create', { name: 'nokey', provider: 'anthropic', model: 'claude-x', baseUrl: an.baseUrl, apiKey: '${env:MISSING_KEY}' });
    const shown = await client.sendRequest<any>('profiles/get', { name: 'claude' });
    expect(shown.apiKey).to.equal('${env:ANTH_KEY}');
    expect(readFileSync(path.join(t.home, 'profiles.json'), 'utf8')).to.contain('${env:ANTH_KEY}');
    expect(await client.sendRequest<any>('profiles/test', { name: 'claude' })).to.include({ ok: true, provider: 'anthropic' });
    const ready = await client.sendRequest<any>('profiles/ready');
    const nokey = ready.profiles.find((p: any) => p.name === 'nokey');
    expect(nokey).to.deep.include({ ready: false });
    expect(nokey.reason).to.match(/MISSING_KEY, which is not set/);
    expect(ready.profiles.find((p: any) => p.name === 'claude').ready).to.equal(true);
  });

  it('delete: the default moves to a remaining profile', async () => {
    const res = await client.sendRequest<any>('profiles/delete', { name: 'openai' });
    expect(res.deleted).to.equal(true);
    const list = await client.sendRequest<any>('profiles/list');
    expect(list.profiles.map((p: any) => p.name)).not.to.include('openai');
    expect(list.default).to.equal(res.default);
  });

  it('picks up a hand edit of profiles.json; a broken edit keeps the loaded profiles', async () => {
    const file = path.join(t.home, 'profiles.json');
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    stored.profiles.push({ name: 'hand', provider: 'ollama', model: 'qwen' });
    writeFileSync(file, JSON.stringify(stored));
    expect((await client.sendRequest<any>('profiles/get', { name: 'hand' })).model).to.equal('qwen');
    writeFileSync(file, '{ not json');
    expect((await client.sendRequest<any>('profiles/get', { name: 'hand' })).model).to.equal('qwen');
  });

  it('a prompt to an unreachable local Ollama says how to add a profile', async () => {
    const t3 = await createTestHost();
    try {
      const c = t3.connect().client;
      // No profiles.json: sessions use the built-in local profile.
      const { sessionId } = await c.sendRequest<any>('session/new', {});
      const s = await c.sendRequest<any>('session/get', { sessionId });
      expect(s.profile).to.equal('local');
      await c.sendRequest('profiles/create', { name: 'closed', provider: 'ollama', model: 'llama3.2', baseUrl: 'http://127.0.0.1:9/v1', makeDefault: true });
      const { sessionId: id2 } = await c.sendRequest<any>('session/new', {});
      const err = await fail(c.sendRequest('session/prompt', { sessionId: id2, message: 'hi' }));
      expect(err?.code).to.equal(ErrorCodes.UpstreamError);
      expect(err?.message).to.match(/cannot reach the provider of profile "closed"/);
      expect(err?.message).to.match(/Is Ollama running/);
      expect(err?.message).to.match(/profiles\/create .*POST \/profiles/);
    } finally {
      await t3.close();
    }
  });
});
