import { expect } from 'chai';
import { z } from 'zod';
import { ResponseError } from 'vscode-jsonrpc/node';
import { defineMethod } from '../../src/host/method.js';
import type { Plugin } from '../../src/host/plugin.js';
import { ErrorCodes } from '../../src/host/errors.js';
import { createTestHost, type TestHost } from '../support/in-memory.js';

const Add = defineMethod({
  name: 'math/add',
  description: 'adds two numbers',
  params: z.object({ a: z.number(), b: z.number() }),
  result: z.object({ sum: z.number() }),
});
const Boom = defineMethod({
  name: 'math/boom',
  description: 'throws an internal error',
  params: z.object({}).optional(),
  result: z.null(),
});
const Wait = defineMethod({
  name: 'math/wait',
  description: 'waits until cancelled',
  params: z.object({}).optional(),
  result: z.object({ aborted: z.boolean() }),
});

let observedAbort: (() => void) | undefined;
const mathPlugin: Plugin = {
  name: 'math',
  methods: [Add, Boom, Wait],
  activate(ctx) {
    ctx.handle(Add, ({ a, b }) => ({ sum: a + b }));
    ctx.handle(Boom, () => {
      throw new Error('secret internal detail at /home/user/.ssh');
    });
    ctx.handle(Wait, (_p, call) =>
      new Promise((_resolve, reject) => {
        call.signal.addEventListener('abort', () => {
          observedAbort?.();
          reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
        });
      }),
    );
  },
};

describe('dispatcher (over an in-memory connection)', () => {
  let t: TestHost;
  before(async () => {
    t = await createTestHost({ plugins: [mathPlugin] });
  });
  after(() => t.close());

  it('calls a handler with validated params', async () => {
    const { client } = t.connect();
    expect(await client.sendRequest('math/add', { a: 2, b: 3 })).to.deep.equal({ sum: 5 });
  });

  it('answers an unknown method with -32601', async () => {
    const { client } = t.connect();
    const err = await client.sendRequest('math/nope', {}).then(() => null, (e: ResponseError<unknown>) => e);
    expect(err?.code).to.equal(ErrorCodes.MethodNotFound);
    expect(err?.message).to.contain('math/nope');
  });

  it('answers bad params with -32602 and the zod issues in data', async () => {
    const { client } = t.connect();
    const err = await client.sendRequest('math/add', { a: 'two' }).then(() => null, (e: ResponseError<{ issues: { path: string[] }[] }>) => e);
    expect(err?.code).to.equal(ErrorCodes.InvalidParams);
    expect(err?.message).to.match(/a: .*expected number/);
    expect(err?.data?.issues.map((i) => i.path.join('.'))).to.have.members(['a', 'b']);
  });

  it('maps a throwing handler to an internal error without its message or stack', async () => {
    const { client } = t.connect();
    const err = await client.sendRequest('math/boom', {}).then(() => null, (e: ResponseError<unknown>) => e);
    expect(err?.code).to.equal(ErrorCodes.InternalError);
    expect(err?.message).not.to.contain('secret');
    expect(JSON.stringify(err?.data ?? null)).not.to.contain('.ssh');
  });

  it('aborts the handler signal on $/cancelRequest and answers -32800', async () => {
    const { client } = t.connect();
    const { CancellationTokenSource } = await import('vscode-jsonrpc/node');
    const source = new CancellationTokenSource();
    const aborted = new Promise<void>((r) => (observedAbort = r));
    const pending = client.sendRequest('math/wait', {}, source.token).then(() => null, (e: ResponseError<unknown>) => e);
    setImmediate(() => source.cancel());
    await aborted;
    const err = await pending;
    expect(err?.code).to.equal(ErrorCodes.RequestCancelled);
  });

  it('keeps serving after errors', async () => {
    const { client } = t.connect();
    await client.sendRequest('math/nope').catch(() => undefined);
    await client.sendRequest('math/add', { a: 'x' }).catch(() => undefined);
    expect(await client.sendRequest('math/add', { a: 1, b: 1 })).to.deep.equal({ sum: 2 });
  });
});
