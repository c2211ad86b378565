import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createParser } from 'eventsource-parser';
import { SseWriter } from '../../../src/adapters/http/sse-writer.js';

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
});
