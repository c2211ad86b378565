import { expect } from 'chai';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { createParser } from 'eventsource-parser';
import { SseWriter, type SseWriterOptions } from '../../../src/adapters/http/sse-writer.js';

/** A server whose one route runs `write` on a fresh SseWriter; resolves the writer once made. */
async function sseServer(opts: SseWriterOptions, write: (w: SseWriter) => void | Promise<void>) {
  let made!: (w: SseWriter) => void;
  const writer = new Promise<SseWriter>((r) => (made = r));
  const server = http.createServer((_req, res) => {
    const w = new SseWriter(res, { heartbeatMs: 0, ...opts });
    made(w);
    void write(w);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return { url, writer, close: () => (server.closeAllConnections(), server.close()) };
}

const parse = (text: string) => {
  const events: { id?: string; event?: string; data: string }[] = [];
  createParser({ onEvent: (e) => events.push(e) }).feed(text);
  return events;
};

describe('SSE writer', () => {
  it('sends a burst from one tick in one write, with id/event/data a real parser reads back', async () => {
    let writes = 0;
    const server = http.createServer((_req, res) => {
      const w = new SseWriter(res, { heartbeatMs: 0 });
      const write = res.write.bind(res);
      res.write = ((chunk: unknown, ...rest: never[]) => {
        writes++;
        return write(chunk as string, ...rest);
      }) as typeof res.write;
      for (let i = 1; i <= 1000; i++) w.send('agent_message_chunk', { i, text: 'line\nbreak' }, i);
      w.send('done', { stopReason: 'end_turn' });
      w.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      expect(res.headers.get('content-type')).to.contain('text/event-stream');
      const events: { id?: string; event?: string; data: string }[] = [];
      const parser = createParser({ onEvent: (e) => events.push(e) });
      parser.feed(await res.text());
      expect(writes).to.equal(1);
      expect(events).to.have.length(1001);
      expect(events[0]).to.deep.include({ id: '1', event: 'agent_message_chunk' });
      expect(JSON.parse(events[999].data)).to.deep.equal({ i: 1000, text: 'line\nbreak' });
      expect(events[1000].event).to.equal('done');
    } finally {
      server.close();
    }
  });

  it('delivers one event far over the backlog limit to a client that keeps up, and the events after it', async () => {
    const big = 'x'.repeat(9 * 1024 * 1024);
    const srv = await sseServer({ maxBufferedBytes: 1024 * 1024 }, async (w) => {
      w.send('agent_message_chunk', { n: 1 }, 1);
      w.send('tool_call_update', { diff: big }, 2);
      // More events while the big one is still on its way: they wait, they do not drop the client.
      for (let i = 3; i <= 50; i++) w.send('agent_message_chunk', { n: i }, i);
      await new Promise((r) => setTimeout(r, 20));
      w.send('done', {});
      w.end();
    });
    try {
      const events = parse(await (await fetch(srv.url)).text());
      expect(events.map((e) => Number(e.id ?? 0))).to.deep.equal([...Array.from({ length: 50 }, (_, i) => i + 1), 0]);
      expect(JSON.parse(events[1].data).diff.length).to.equal(big.length);
      expect(events.at(-1)?.event).to.equal('done');
    } finally {
      srv.close();
    }
  });

  it('drops a client that does not read once the backlog behind it keeps growing', async function () {
    this.timeout(30_000);
    let stop = false;
    const srv = await sseServer({ maxBufferedBytes: 256 * 1024 }, async (w) => {
      const pad = 'y'.repeat(16 * 1024);
      for (let i = 1; !stop && !w.closed && i < 100_000; i++) {
        w.send('agent_message_chunk', { i, pad }, i);
        if (i % 50 === 0) await new Promise((r) => setImmediate(r));
      }
    });
    const sock = net.connect(Number(new URL(srv.url).port), '127.0.0.1');
    sock.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    sock.pause();
    try {
      const w = await srv.writer;
      while (!w.closed) await new Promise((r) => setTimeout(r, 20));
      expect(w.closed).to.equal(true);
    } finally {
      stop = true;
      sock.destroy();
      srv.close();
    }
  });

  it('replaces an event over the per-event limit by a truncated marker with the same id, and goes on', async () => {
    const srv = await sseServer({ maxEventBytes: 1000 }, (w) => {
      w.send('agent_message_chunk', { text: 'small' }, 1);
      w.send('tool_call_update', { diff: 'z'.repeat(5000) }, 2);
      w.send('agent_message_chunk', { text: 'after' }, 3);
      w.end();
    });
    try {
      const events = parse(await (await fetch(srv.url)).text());
      expect(events.map((e) => [e.id, e.event])).to.deep.equal([
        ['1', 'agent_message_chunk'],
        ['2', 'truncated'],
        ['3', 'agent_message_chunk'],
      ]);
      const marker = JSON.parse(events[1].data);
      expect(marker).to.include({ truncated: true, event: 'tool_call_update', id: 2, limit: 1000 });
      expect(marker.bytes).to.be.greaterThan(5000);
    } finally {
      srv.close();
    }
  });
});
