import { expect } from 'chai';
import { ToolRegistryToken } from '../../../src/plugins/tools/contract.js';
import { detectSandbox } from '../../../src/plugins/tools/sandbox.js';
import { toJsonSchema } from '../../../src/host/json-schema.js';
import { createTestHost } from '../../support/in-memory.js';
import { FakeSessions } from '../permissions/fake-sessions.js';

describe('tools plugin', () => {
  it('registers the built-in tools with JSON Schemas and reports the sandbox in host/status', async () => {
    const fake = new FakeSessions();
    const t = await createTestHost({ plugins: [fake.plugin()] });
    try {
      const tools = fake.container.resolve(ToolRegistryToken).list();
      expect(tools.map((x) => `${x.name}:${x.kind}`)).to.deep.equal([
        'read_file:read',
        'list_directory:read',
        'find_files:search',
        'search_files:search',
        'write_file:edit',
        'edit_file:edit',
        'shell:execute',
      ]);
      const schema = toJsonSchema(tools.find((x) => x.name === 'edit_file')!.parameters, 'input') as any;
      expect(schema.required).to.have.members(['path', 'oldText', 'newText']);
      const { client } = t.connect();
      const status: any = await client.sendRequest('host/status', {});
      const expected = detectSandbox(process.env);
      expect(status.sandbox).to.deep.equal(expected);
      expect(status.sandbox.detail).to.match(expected.shell === 'bwrap' ? /run under bubblewrap/ : /NOT sandboxed/);
    } finally {
      await t.close();
    }
  });

  it('says plainly in host/status when shell commands are not sandboxed', async () => {
    const t = await createTestHost({ env: { ...process.env, SWITCHBOARD_SANDBOX: 'none' } });
    try {
      const status: any = await t.connect().client.sendRequest('host/status', {});
      expect(status.sandbox.shell).to.equal('none');
      expect(status.sandbox.detail).to.contain('NOT sandboxed');
    } finally {
      await t.close();
    }
  });
});
