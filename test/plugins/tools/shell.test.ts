import { expect } from 'chai';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ClientPeer } from '../../../src/host/client.js';
import { createShellTool } from '../../../src/plugins/tools/builtin/shell.js';
import { detectSandbox, type SandboxInfo } from '../../../src/plugins/tools/sandbox.js';
import { run, tempWorkspace, textOf, toolContext } from './tool-harness.js';

const unboxed: SandboxInfo = { shell: 'none', bwrap: null, detail: 'test: no sandbox' };
const detected = detectSandbox(process.env);

/** Whether a pid is still running (a zombie waiting for init to reap it counts as dead). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function waitFor(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
}

for (const [label, box] of [['unsandboxed', unboxed], ['under bwrap', detected]] as const) {
  describe(`tools: shell (${label})`, function () {
    let t: ReturnType<typeof tempWorkspace>;
    before(function () {
      if (label === 'under bwrap' && detected.shell !== 'bwrap') this.skip();
    });
    beforeEach(() => (t = tempWorkspace()));
    afterEach(() => t.remove());
    const tool = createShellTool(() => box, { PATH: process.env.PATH, OPENAI_API_KEY: 'sk-secret-value' });

    it('runs in the workspace and reports the exit code; hides secret env vars', async () => {
      writeFileSync(path.join(t.ws, 'f.txt'), 'in the workspace');
      const res = await run(tool, { command: 'cat f.txt; echo; echo "key=[$OPENAI_API_KEY]"; exit 3' }, toolContext(t.ws));
      expect(textOf(res)).to.equal('in the workspace\nkey=[]\n[exit code 3]');
      expect(res.isError).to.equal(true);
    });

    it('caps the output, keeping head and tail', async () => {
      const res = await run(tool, { command: 'echo START; head -c 300000 /dev/zero | tr "\\0" x; echo; echo END' }, toolContext(t.ws));
      const text = textOf(res);
      expect(text.length).to.be.lessThan(70 * 1024);
      expect(text).to.match(/^START/).and.to.contain('characters of output dropped').and.to.contain('END\n[exit code 0]');
    });

    it('kills the whole process group on timeout', async () => {
      const res = await run(tool, { command: 'sleep 30 & echo $! > bg.pid; sleep 30', timeoutMs: 300 }, toolContext(t.ws));
      expect(textOf(res)).to.contain('killed after the 300 ms timeout');
      if (box.shell === 'none') {
        const pid = Number(readFileSync(path.join(t.ws, 'bg.pid'), 'utf8'));
        expect(pid).to.be.greaterThan(0);
        await waitFor(() => !alive(pid));
      }
    });

    it('kills the whole process group on cancel', async () => {
      const ac = new AbortController();
      const pending = run(tool, { command: 'sleep 30 & echo $! > bg.pid; echo started; sleep 30' }, toolContext(t.ws, { signal: ac.signal }));
      await waitFor(() => existsSync(path.join(t.ws, 'bg.pid')) && readFileSync(path.join(t.ws, 'bg.pid'), 'utf8').endsWith('\n'));
      ac.abort();
      const res = await pending;
      expect(textOf(res)).to.contain('[cancelled]');
      if (box.shell === 'none') {
        const pid = Number(readFileSync(path.join(t.ws, 'bg.pid'), 'utf8'));
        expect(pid).to.be.greaterThan(0);
        await waitFor(() => !alive(pid));
      }
    });
  });
}

describe('tools: shell under bwrap fences the file system', function () {
  let t: ReturnType<typeof tempWorkspace>;
  before(function () {
    // Skipped only when bwrap truly cannot run here; the reason is printed by detectSandbox.
    if (detected.shell !== 'bwrap') {
      console.warn(`skipping bwrap fence tests: ${detected.detail}`);
      this.skip();
    }
  });
  beforeEach(() => (t = tempWorkspace()));
  afterEach(() => t.remove());
  const tool = createShellTool(() => detected, { PATH: process.env.PATH });

  it('cannot read /etc/passwd, the home folder or files beside the workspace', async () => {
    writeFileSync(path.join(t.outside, 'secret.txt'), 'top secret');
    const res = await run(tool, { command: `cat /etc/passwd; cat ${path.join(t.outside, 'secret.txt')}; ls ${process.env.HOME ?? '/root'}` }, toolContext(t.ws));
    const text = textOf(res);
    expect(text).not.to.contain('root:x:0');
    expect(text).not.to.contain('top secret');
    expect(text).to.contain('No such file');
  });

  it('cannot write outside the workspace, but can write inside it and in a private /tmp', async () => {
    const res = await run(
      tool,
      { command: `echo x > ${path.join(t.outside, 'planted')}; echo y > /usr/planted; echo ok > inside.txt; echo t > /tmp/scratch && cat /tmp/scratch` },
      toolContext(t.ws),
    );
    expect(existsSync(path.join(t.outside, 'planted'))).to.equal(false);
    expect(existsSync('/usr/planted')).to.equal(false);
    expect(readFileSync(path.join(t.ws, 'inside.txt'), 'utf8')).to.equal('ok\n');
    expect(textOf(res)).to.match(/Read-only file system|No such file/);
  });

  it('runs node from the sandbox', async () => {
    const res = await run(tool, { command: 'node -e "console.log(6*7)"' }, toolContext(t.ws));
    expect(textOf(res)).to.equal('42\n[exit code 0]');
  });
});

describe('tools: shell routed to an ACP client terminal', () => {
  it('creates a terminal, waits for exit, reads output and releases it', async () => {
    const t = tempWorkspace();
    const calls: string[] = [];
    let created: any;
    const client = {
      id: 'c1',
      transport: 'internal',
      canRequest: true,
      info: { capabilities: { terminal: true } },
      closed: new AbortController().signal,
      notify() {},
      async request(method: string, params: any) {
        calls.push(method);
        if (method === 'terminal/create') return ((created = params), { terminalId: 't-1' });
        if (method === 'terminal/wait_for_exit') return { exitCode: 0, signal: null };
        if (method === 'terminal/output') return { output: 'hello from the editor\n', truncated: false };
        return {};
      },
    } as unknown as ClientPeer;
    try {
      const ctx = toolContext(t.ws, { client });
      const res = await run(createShellTool(() => unboxed, {}), { command: 'echo hi' }, ctx);
      expect(calls).to.deep.equal(['terminal/create', 'terminal/wait_for_exit', 'terminal/output', 'terminal/release']);
      expect(created).to.deep.include({ sessionId: 'sess-1', command: '/bin/sh', args: ['-c', 'echo hi'], cwd: t.ws });
      expect(res.content[0]).to.deep.equal({ type: 'terminal', terminalId: 't-1' });
      expect(textOf(res)).to.equal('hello from the editor\n[exit code 0]');
      expect(ctx.updates[0]?.content).to.deep.equal([{ type: 'terminal', terminalId: 't-1' }]);
    } finally {
      t.remove();
    }
  });
});
