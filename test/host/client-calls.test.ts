import { expect } from 'chai';
import { z } from 'zod';
import { requestClient } from '../../src/host/client-calls.js';
import type { ClientPeer } from '../../src/host/client.js';
import { ErrorCodes, RpcError } from '../../src/host/errors.js';
import { defineClientRequest } from '../../src/host/method.js';
import { createTestHost } from '../support/in-memory.js';

const Ask = defineClientRequest({
  name: 'test/ask',
  description: 'x',
  params: z.object({ q: z.string() }),
  result: z.object({ answer: z.number() }),
});

const peerAnswering = (answer: unknown): ClientPeer =>
  ({ id: 'c', transport: 'internal', info: { capabilities: {} }, canRequest: true, request: async () => answer }) as unknown as ClientPeer;

describe('host → client declarations', () => {
  it('validates a client answer: typed data when it fits, UpstreamError naming the field when not', async () => {
    expect(await requestClient(peerAnswering({ answer: 4 }), Ask, { q: '2+2' })).to.deep.equal({ answer: 4 });
    const err = (await requestClient(peerAnswering({ answer: 'four' }), Ask, { q: '2+2' }).catch((e) => e)) as RpcError;
    expect(err).to.be.instanceOf(RpcError);
    expect(err.code).to.equal(ErrorCodes.UpstreamError);
    expect(err.message).to.contain("the client's answer to test/ask does not match its declaration: answer:");
  });

  it('are listed by host/methods with their direction, beside the methods clients call', async () => {
    const t = await createTestHost();
    try {
      const { methods } = await t.connect().client.sendRequest<any>('host/methods');
      const byName = new Map<string, any>(methods.map((m: any) => [m.name, m]));
      for (const [name, plugin, notification] of [
        ['session/request_permission', 'permissions', false],
        ['session/update', 'sessions', true],
        ['fs/read_text_file', 'tools', false],
        ['fs/write_text_file', 'tools', false],
        ['terminal/create', 'tools', false],
        ['terminal/output', 'tools', false],
        ['terminal/wait_for_exit', 'tools', false],
        ['terminal/kill', 'tools', false],
        ['terminal/release', 'tools', false],
      ] as const) {
        expect(byName.get(name), name).to.include({ direction: 'host→client', plugin, notification });
      }
      expect(byName.get('session/prompt').direction).to.equal('client→host');
      expect(byName.get('session/request_permission').result.properties).to.have.property('outcome');
      expect(byName.get('session/events').rest[0]).to.deep.include({ stream: 'sse', event: 'session/event' });
    } finally {
      await t.close();
    }
  });
});
