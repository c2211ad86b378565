/**
 * A minimal out-of-process plugin for bench/plugin-call.ts: answers `initialize` and echoes
 * `echo/echo`. Plain Node, the protocol of docs/PLUGINS.md, nothing from Switchboard.
 */
import { createInterface } from 'node:readline';

const handshake = {
  apiVersion: 1,
  name: 'echo',
  methods: [
    {
      name: 'echo/echo',
      description: 'echoes its params',
      params: { type: 'object', properties: { text: { type: 'string' }, n: { type: 'integer' } }, required: ['text'] },
      result: { type: 'object' },
    },
  ],
};

createInterface({ input: process.stdin }).on('line', (line) => {
  const msg = JSON.parse(line) as { id?: number; method?: string; params?: unknown };
  if (msg.id === undefined || !msg.method) return;
  const result = msg.method === 'initialize' ? handshake : msg.params;
  process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', id: msg.id, result })}\n`);
});
