import { expect } from 'chai';
import { installFakeStreamPlugin, spawnServe, type Served } from '../../support/spawn-serve.js';
import { openSse, type SseEvent } from '../../support/sse-client.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const seqs = (events: SseEvent[]) => events.filter((e) => e.id !== undefined).map((e) => Number(e.id));
const MiB = 1024 * 1024;
const hasEvent = (name: string) => (events: SseEvent[]) => events.some((e) => e.event === name);

/**
 * The SSE routes, generic over the SessionEventBus contract: the fake-stream plugin declares
 * `stream: 'sse'` routes the bridge knows nothing else about.
 */
describe('switchboard serve (e2e): SSE streams', function () {
  let s: Served;
  const auth = () => ({ authorization: `Bearer ${s.token}` });
  const open = async (id: string, keep?: number) => {
    const res = await s.fetch(`/fake/${id}`, { method: 'POST', body: JSON.stringify(keep ? { keep } : {}) });
    expect(res.status).to.equal(200);
  };
  const message = (id: string, body: object) =>
    openSse(`${s.url}/fake/${id}/message`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: JSON.stringify(body) });

  before(async () => {
    s = await spawnServe([], { SWITCHBOARD_SSE_HEARTBEAT_MS: '50', SWITCHBOARD_SSE_MAX_EVENT_BYTES: String(12 * MiB) }, installFakeStreamPlugin);
  });
  after(async () => {
    if (s) await s.stop();
  });

  it('streams a turn named by kind with id: seq, ending with done and the stop reason', async () => {
    await open('a');
    const sse = await message('a', { tokens: 3 });
    expect(sse.status).to.equal(200);
    expect(sse.contentType).to.contain('text/event-stream');
    await sse.ended;
    expect(sse.events.map((e) => e.event)).to.deep.equal([
      'turn_started',
      'agent_message_chunk',
      'agent_message_chunk',
      'agent_message_chunk',
      'turn_ended',
      'done',
    ]);
    expect(seqs(sse.events)).to.deep.equal([1, 2, 3, 4, 5]);
    expect(sse.events[1].data.update.content.text).to.equal('t0 ');
    expect(sse.events.at(-1)?.data).to.deep.equal({ stopReason: 'end_turn' });
    expect(sse.events.at(-1)?.id).to.equal(undefined);
  });

  it('answers an unknown session with a 404 JSON error and a running turn with 409, not a stream', async () => {
    const missing = await s.fetch('/fake/nope/message', { method: 'POST', body: '{}' });
    expect(missing.status).to.equal(404);
    expect(((await missing.json()) as { error: { code: number } }).error.code).to.equal(-32002);
    await open('busy');
    const first = await message('busy', { tokens: 2, pauseAt: 1 });
    await first.until(hasEvent('agent_message_chunk'));
    const second = await s.fetch('/fake/busy/message', { method: 'POST', body: '{}' });
    expect(second.status).to.equal(409);
    expect(second.headers.get('content-type')).to.contain('application/json');
    await s.fetch('/fake/busy/release', { method: 'POST' });
    await first.ended;
    expect(first.events.at(-1)?.event).to.equal('done');
  });

  it('keeps the turn going when the client disconnects, and Last-Event-ID resumes it losing and duplicating nothing', async () => {
    await open('b');
    const first = await message('b', { tokens: 10, pauseAt: 4 });
    await first.until((ev) => ev.filter((e) => e.event === 'agent_message_chunk').length === 4);
    first.close();
    await first.ended;
    const seen = seqs(first.events);
    expect(seen).to.deep.equal([1, 2, 3, 4, 5]);
    // The turn is paused, not cancelled: releasing it lets it finish with nobody listening.
    const released = await s.fetch('/fake/b/release', { method: 'POST' });
    expect(await released.json()).to.deep.equal({ released: true });
    const resumed = await openSse(`${s.url}/fake/b/events`, { headers: { ...auth(), 'last-event-id': String(seen.at(-1)) } });
    expect(resumed.status).to.equal(200);
    await resumed.until(hasEvent('turn_ended'));
    resumed.close();
    const all = [...seen, ...seqs(resumed.events)];
    expect(all).to.deep.equal(Array.from({ length: 12 }, (_, i) => i + 1));
    const text = [...first.events, ...resumed.events]
      .filter((e) => e.event === 'agent_message_chunk')
      .map((e) => e.data.update.content.text)
      .join('');
    expect(text).to.equal('t0 t1 t2 t3 t4 t5 t6 t7 t8 t9 ');
    expect(resumed.events.find((e) => e.event === 'turn_ended')?.data.stopReason).to.equal('end_turn');
  });

  it('tails a session live from ?after=N: replay then live, in order, without duplicates', async () => {
    await open('c');
    const turn1 = await message('c', { tokens: 2 });
    await turn1.ended;
    const tail = await openSse(`${s.url}/fake/c/events?after=2`, { headers: auth() });
    await tail.until((ev) => seqs(ev).includes(4));
    const turn2 = await message('c', { tokens: 2 });
    await turn2.ended;
    await tail.until((ev) => seqs(ev).includes(8));
    tail.close();
    expect(seqs(tail.events)).to.deep.equal([3, 4, 5, 6, 7, 8]);
  });

  it('without a resume point streams only what happens from now on', async () => {
    await open('d');
    await (await message('d', { tokens: 1 })).ended;
    const tail = await openSse(`${s.url}/fake/d/events`, { headers: auth() });
    await tail.until(() => tail.comments.includes('live'));
    await (await message('d', { tokens: 1 })).ended;
    await tail.until((ev) => ev.some((e) => e.event === 'turn_ended'));
    tail.close();
    expect(seqs(tail.events)).to.deep.equal([4, 5, 6]);
  });

  it('tells a client too far behind with an explicit error event, then goes on live', async () => {
    await open('e', 3);
    await (await message('e', { tokens: 4 })).ended;
    const tail = await openSse(`${s.url}/fake/e/events?after=1`, { headers: auth() });
    await tail.until(hasEvent('error'));
    expect(tail.events[0].event).to.equal('error');
    expect(tail.events[0].data.code).to.equal(-32009);
    expect(tail.events[0].data.message).to.contain('evicted');
    await (await message('e', { tokens: 1 })).ended;
    await tail.until((ev) => seqs(ev).includes(9));
    tail.close();
    expect(seqs(tail.events)).to.deep.equal([7, 8, 9]);
  });

  it('delivers an event over 8 MiB to the turn stream and to a live tail, and again on resume', async function () {
    this.timeout(60_000);
    await open('big');
    const tail = await openSse(`${s.url}/fake/big/events`, { headers: auth() });
    await tail.until(() => tail.comments.includes('live'));
    const turn = await message('big', { tokens: 4, bigAt: 1, bigBytes: 9 * MiB });
    await turn.ended;
    await tail.until(hasEvent('turn_ended'));
    tail.close();
    for (const stream of [turn, tail]) {
      expect(seqs(stream.events)).to.deep.equal([1, 2, 3, 4, 5, 6]);
      expect(stream.events.find((e) => e.id === '3')?.data.update.content.text.length).to.equal(9 * MiB);
    }
    expect(turn.events.at(-1)?.event).to.equal('done');
    // Resuming from before the big event replays it once, and the stream goes on.
    const resumed = await openSse(`${s.url}/fake/big/events`, { headers: { ...auth(), 'last-event-id': '2' } });
    await resumed.until((ev) => seqs(ev).includes(6));
    resumed.close();
    expect(seqs(resumed.events)).to.deep.equal([3, 4, 5, 6]);
    expect(resumed.events[0].data.update.content.text.length).to.equal(9 * MiB);
  });

  it('replaces an event over SWITCHBOARD_SSE_MAX_EVENT_BYTES by a truncated marker with its id: resuming goes past it', async function () {
    this.timeout(60_000);
    await open('huge');
    const turn = await message('huge', { tokens: 3, bigAt: 1, bigBytes: 13 * MiB });
    await turn.ended;
    expect(turn.events.map((e) => e.event)).to.deep.equal(['turn_started', 'agent_message_chunk', 'truncated', 'agent_message_chunk', 'turn_ended', 'done']);
    const marker = turn.events[2];
    expect(marker.id).to.equal('3');
    expect(marker.data).to.include({ truncated: true, event: 'agent_message_chunk', limit: 12 * MiB });
    const resumed = await openSse(`${s.url}/fake/huge/events`, { headers: { ...auth(), 'last-event-id': '3' } });
    await resumed.until((ev) => seqs(ev).includes(5));
    resumed.close();
    expect(seqs(resumed.events)).to.deep.equal([4, 5]);
  });

  it('answers an unknown session on the events route with 404, and sends heartbeat comments', async () => {
    const missing = await s.fetch('/fake/ghost/events');
    expect(missing.status).to.equal(404);
    await open('f');
    const tail = await openSse(`${s.url}/fake/f/events`, { headers: auth() });
    await tail.until(() => tail.comments.includes('heartbeat'));
    tail.close();
  });

  it('on SIGTERM ends open streams with a final shutdown event, disposes plugins (no child left) and exits 0', async () => {
    const t = await spawnServe([], { SWITCHBOARD_FAKE_CHILD: '1' }, installFakeStreamPlugin);
    try {
      await t.fetch('/fake/z', { method: 'POST', body: '{}' });
      const turn = await openSse(`${t.url}/fake/z/message`, { method: 'POST', headers: { authorization: `Bearer ${t.token}` }, body: JSON.stringify({ tokens: 3, pauseAt: 1 }) });
      await turn.until(hasEvent('agent_message_chunk'));
      const tail = await openSse(`${t.url}/fake/z/events`, { headers: { authorization: `Bearer ${t.token}` } });
      await tail.until(() => tail.comments.includes('live'));
      const { pid } = (await (await t.fetch('/fake-child')).json()) as { pid: number };
      expect(alive(pid)).to.equal(true);
      const exit = await t.stop();
      await Promise.all([turn.ended, tail.ended]);
      // The plugin's child was reaped before the daemon exited.
      expect(alive(pid)).to.equal(false);
      expect(turn.events.at(-1)?.event).to.equal('shutdown');
      expect(tail.events.at(-1)?.event).to.equal('shutdown');
      expect(exit.code).to.equal(0);
    } finally {
      await t.stop();
    }
  });
});
