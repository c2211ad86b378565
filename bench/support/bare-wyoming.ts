import net from 'node:net';

/**
 * The baseline for bench/voice: the least a Wyoming client can do (a socket, one header line per
 * event, no checks), so the figures beside it show what Switchboard adds.
 */
export function bareEvent(type: string, data: Record<string, unknown> = {}, payload?: Buffer): Buffer {
  const body = Buffer.from(JSON.stringify(data));
  const header = Buffer.from(JSON.stringify({ type, data_length: body.length, ...(payload ? { payload_length: payload.length } : {}) }) + '\n');
  return Buffer.concat(payload ? [header, body, payload] : [header, body]);
}

/** Connects, sends `events`, and reports when each event type first came back (ms from the connect). */
export function bareExchange(host: string, port: number, events: Buffer[], until: string): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const seen: Record<string, number> = {};
    // Timed from the connect, as Switchboard's figures are: one connection per request.
    const started = performance.now();
    const socket = net.connect({ host, port });
    socket.setNoDelay(true);
    let buf = Buffer.alloc(0);
    let need: { type: string; rest: number } | undefined;
    socket.on('connect', () => socket.write(Buffer.concat(events)));
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (!need) {
          const nl = buf.indexOf(10);
          if (nl < 0) return;
          const h = JSON.parse(buf.subarray(0, nl).toString());
          buf = buf.subarray(nl + 1);
          need = { type: h.type, rest: (h.data_length ?? 0) + (h.payload_length ?? 0) };
        }
        if (buf.length < need.rest) return;
        buf = buf.subarray(need.rest);
        seen[need.type] ??= performance.now() - started;
        const type = need.type;
        need = undefined;
        if (type === until) {
          socket.destroy();
          return resolve(seen);
        }
      }
    });
    socket.on('error', reject);
  });
}
