import { expect } from 'chai';
import net from 'node:net';
import { ErrorCodes, RpcError } from '../../../src/host/errors.js';
import { WyomingConnection } from '../../../src/plugins/voice/wyoming/connection.js';
import { encodeEvent } from '../../../src/plugins/voice/wyoming/framing.js';

/** A TCP server that runs `onSocket` for its one connection. */
async function serve(onSocket: (s: net.Socket) => void): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    onSocket(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `tcp://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const target = (url: string) => ({ url, role: 'tts' as const, connectTimeoutMs: 3000, stallTimeoutMs: 10_000 });

describe('voice: Wyoming connection', () => {
  it('holds a fast server back through TCP while the reader is slow, then delivers every event in order', async function () {
    this.timeout(30_000);
    const total = 2000;
    const chunk = (i: number) => encodeEvent({ type: 'audio-chunk', data: { rate: 16000, width: 2, channels: 1, timestamp: i }, payload: Buffer.alloc(4096, i % 256) });
    let written = 0;
    let stuck: (v: 'stuck' | 'done') => void;
    const outcome = new Promise<'stuck' | 'done'>((r) => (stuck = r));
    const srv = await serve((s) => {
      const pump = () => {
        while (written < total) {
          const ok = s.write(chunk(written++));
          if (!ok) {
            // No drain for a while: our reader stopped taking data (what the test wants).
            const t = setTimeout(() => stuck('stuck'), 500);
            s.once('drain', () => (clearTimeout(t), pump()));
            return;
          }
        }
        stuck('done');
      };
      pump();
    });
    const conn = await WyomingConnection.open(target(srv.url), new AbortController().signal);
    try {
      expect((await conn.next('audio')).data.timestamp).to.equal(0);
      expect(await outcome, 'the server could not write everything while nobody read').to.equal('stuck');
      expect(written).to.be.lessThan(total);
      for (let i = 1; i < total; i++) expect((await conn.next('audio')).data.timestamp).to.equal(i);
    } finally {
      conn.close();
      await srv.close();
    }
  });

  it('an abort destroys the socket at once and rejects the waiting read as cancelled', async () => {
    let closed: () => void;
    const serverSawClose = new Promise<void>((r) => (closed = r));
    const srv = await serve((s) => s.on('close', () => closed()));
    const ac = new AbortController();
    const conn = await WyomingConnection.open(target(srv.url), ac.signal);
    const pending = conn.next('audio').catch((e: unknown) => e);
    ac.abort();
    const err = (await pending) as RpcError;
    expect(err.code).to.equal(ErrorCodes.RequestCancelled);
    await serverSawClose;
    await srv.close();
  });

  it('a malformed event from the server is an upstream protocol error, not a crash', async () => {
    const srv = await serve((s) => s.write('{"type":"audio-chunk","payload_length":"many"}\n'));
    const conn = await WyomingConnection.open(target(srv.url), new AbortController().signal);
    const err = (await conn.next('audio').catch((e: unknown) => e)) as RpcError;
    expect(err.code).to.equal(ErrorCodes.UpstreamError);
    expect(err.message).to.include('broke the Wyoming protocol: payload_length is not a byte count');
    conn.close();
    await srv.close();
  });
});
