import { expect } from 'chai';
import type { MessageConnection, ResponseError } from 'vscode-jsonrpc/node';
import { ErrorCodes } from '../../../src/host/errors.js';
import { startFakeOpenAI, type FakeProvider } from '../../support/fake-provider.js';
import { createTestHost, type TestHost } from '../../support/in-memory.js';
import { enginesOrSkip } from '../../support/voice-engines.js';
import { startWyomingServer, type WyomingTestServer } from '../../support/wyoming-server.js';
import { collectAudio } from './helpers.js';

const fail = (p: Promise<unknown>) => p.then(() => null, (e: ResponseError<any>) => e);

/** Resolves when the client has seen an agent_message_chunk containing `text` for the session. */
function sawText(client: MessageConnection, sessionId: string, text: string): Promise<void> {
  let seen = '';
  return new Promise((resolve) => {
    const d = client.onNotification('session/update', (p: any) => {
      if (p.sessionId !== sessionId || p.update?.sessionUpdate !== 'agent_message_chunk') return;
      seen += p.update.content?.text ?? '';
      if (seen.includes(text)) {
        d.dispose();
        resolve();
      }
    });
  });
}

describe('voice/speak: speaks a streaming turn sentence by sentence', function () {
  this.timeout(60_000);
  let t: TestHost;
  let client: MessageConnection;
  let fake: FakeProvider;
  let wy: WyomingTestServer;
  let audio: ReturnType<typeof collectAudio>;

  before(async function () {
    enginesOrSkip(this);
    fake = await startFakeOpenAI();
    wy = await startWyomingServer();
    t = await createTestHost({ env: { ...process.env, SWITCHBOARD_VOICE_TTS_URL: wy.url } });
    ({ client } = t.connect());
    audio = collectAudio(client);
    await client.sendRequest('profiles/create', { name: 'f', provider: 'openai-compatible', model: 'm', baseUrl: fake.baseUrl });
  });
  after(async () => {
    await t?.close();
    await fake?.close();
    await wy?.close();
  });
  beforeEach(() => audio.clear());

  it('follows the next turn and speaks each sentence as it completes, then answers turn_ended', async () => {
    const s = await client.sendRequest<any>('session/new', {});
    const speaking = client.sendRequest<any>('voice/speak', { sessionId: s.sessionId, streamId: 'speak-1' });
    fake.enqueue({ type: 'text', chunks: ['Hello', ' there. How are', ' you today? I am', ' fine, thank you.'] });
    // Requests are handled in order: voice/speak is subscribed before the prompt starts the turn.
    const turn = await client.sendRequest<any>('session/prompt', { sessionId: s.sessionId, message: 'hi' });
    expect(turn.stopReason).to.equal('end_turn');
    const r = await speaking;
    expect(r).to.deep.include({ streamId: 'speak-1', sessionId: s.sessionId, stopReason: 'turn_ended', sentences: 3 });
    expect(audio.notes.every((n) => n.sessionId === s.sessionId && n.streamId === 'speak-1')).to.equal(true);
    const sentences = [...new Set(audio.notes.map((n) => n.sentence))];
    expect(sentences).to.deep.equal([0, 1, 2]);
    expect(audio.notes.map((n) => n.index)).to.deep.equal(audio.notes.map((_, i) => i));
    // One synthesize per sentence, in order.
    const said = wy.connections.filter((c) => c.events.includes('synthesize')).length;
    expect(said).to.be.greaterThanOrEqual(3);
  });

  it('joins a running turn, speaks what it has streamed so far while it still runs, and stops at once on cancel', async () => {
    const s = await client.sendRequest<any>('session/new', {});
    fake.enqueue({ type: 'hang', chunks: ['The first sentence is here. ', 'The second sentence', ' follows. And a third'] });
    const streamed = sawText(client, s.sessionId, 'And a third');
    const turn = client.sendRequest<any>('session/prompt', { sessionId: s.sessionId, message: 'hi' });
    await streamed;
    const speaking = client.sendRequest<any>('voice/speak', { sessionId: s.sessionId });
    // Both complete sentences are spoken while the model is still "typing" (the turn hangs).
    await audio.until((notes) => notes.some((n) => n.sentence === 1));
    expect(new Set(audio.notes.map((n) => n.sentence))).to.deep.equal(new Set([0, 1]));
    await client.sendRequest('session/cancel', { sessionId: s.sessionId });
    expect((await turn).stopReason).to.equal('cancelled');
    const r = await speaking;
    expect(r.stopReason).to.equal('cancelled');
    expect(r.sentences).to.equal(2); // "And a third" was never finished, so never said
  });

  it('voice/stop {sessionId} stops speaking; an unknown session is a precise error', async () => {
    const s = await client.sendRequest<any>('session/new', {});
    const speaking = client.sendRequest<any>('voice/speak', { sessionId: s.sessionId });
    // host/status lists the streams in flight: wait until this one is there.
    while (!(await client.sendRequest<any>('host/status')).voice.streams.some((x: any) => x.sessionId === s.sessionId));
    const stopped = await client.sendRequest<any>('voice/stop', { sessionId: s.sessionId });
    expect(stopped.stopped).to.have.length(1);
    expect((await speaking).stopReason).to.equal('stopped');
    const e = await fail(client.sendRequest('voice/speak', { sessionId: 'no-such-session' }));
    expect(e?.code).to.equal(ErrorCodes.NotFound);
  });
});
