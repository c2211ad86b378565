import { expect } from 'chai';
import { RpcError } from '../../../src/host/errors.js';
import { taskStream } from '../../../src/plugins/api-proxy/chat-routes.js';
import { TaskStore } from '../../../src/plugins/api-proxy/task-store.js';

/** The chat task store and its janitor, with an injected clock (nothing sleeps). */
describe('api-proxy: task store and janitor (injected clock)', () => {
  let now = 1_000_000;
  const clock = () => now;
  const store = (maxTasks = 200) => new TaskStore({ cap: 10_000, ttlMs: 10 * 60_000, maxTasks, now: clock });
  const reasonOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      expect(err).to.be.instanceOf(RpcError);
      expect((err as RpcError).code).to.equal(-32002);
      return ((err as RpcError).data as { reason: string }).reason;
    }
    throw new Error('expected a 404');
  };

  it('evicts a finished task 10 minutes after it finished, never a running one', () => {
    const tasks = store();
    const done = tasks.create();
    const running = tasks.create();
    done.push('task', {});
    done.finish();
    now += 10 * 60_000 - 1;
    expect(tasks.sweep()).to.equal(0);
    expect(tasks.require(done.id)).to.equal(done);
    now += 1;
    expect(tasks.sweep()).to.equal(1);
    expect(reasonOf(() => tasks.require(done.id))).to.equal('evicted');
    now += 24 * 3600_000;
    expect(tasks.sweep()).to.equal(0);
    expect(tasks.require(running.id)).to.equal(running);
    expect(reasonOf(() => tasks.require('task_never'))).to.equal('unknown');
  });

  it('keeps at most maxTasks: the oldest finished go first', () => {
    const tasks = store(3);
    const made = Array.from({ length: 3 }, () => tasks.create());
    made.forEach((t, i) => {
      now += 1000;
      if (i !== 1) t.finish();
    });
    const fourth = tasks.create();
    expect(tasks.size).to.equal(3);
    expect(reasonOf(() => tasks.require(made[0].id))).to.equal('evicted');
    expect(tasks.require(made[1].id)).to.equal(made[1]);
    expect(tasks.require(fourth.id)).to.equal(fourth);
    // 200 by default: 250 finished tasks leave 200.
    const big = store();
    for (let i = 0; i < 250; i++) big.create().finish();
    expect(big.size).to.equal(200);
  });

  it('caps the buffer with a final truncation error event; nothing is added after', () => {
    const t = new TaskStore({ cap: 300, ttlMs: 1, maxTasks: 1, now: clock }).create();
    for (let i = 0; i < 50; i++) t.push('agent_message_chunk', { text: 'x'.repeat(20), i });
    expect(t.truncated).to.equal(true);
    expect(t.finished).to.equal(true);
    const last = t.frames.at(-1)!;
    expect(last).to.match(/^id: \d+\nevent: error\n/);
    expect(last).to.contain('"truncated":true');
    expect(t.bytes - Buffer.byteLength(last)).to.be.at.most(300);
    const n = t.frames.length;
    t.push('late', {});
    expect(t.frames.length).to.equal(n);
  });

  it('a reader that goes away stops reading; the task goes on and a new reader gets everything', async () => {
    const t = store().create();
    t.push('task', { task_id: t.id });
    const reader = taskStream(t, 0, 60_000).getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).to.contain('event: task');
    const pending = reader.read();
    await reader.cancel();
    await pending;
    t.push('agent_message_chunk', { n: 1 });
    t.push('done', {});
    t.finish();
    let text = '';
    const again = taskStream(t, 1, 60_000).getReader();
    for (;;) {
      const { value, done } = await again.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect([...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))).to.deep.equal([1, 2]);
  });
});
