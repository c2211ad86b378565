import { expect } from 'chai';
import { fromAcp, redactAcpServers } from '../../../src/plugins/mcp/acp-servers.js';

describe('mcp: ACP session/new mcpServers', () => {
  it('maps stdio, http and sse servers (name/value lists) to the mcpServers shape', () => {
    expect(fromAcp({ name: 'fs', command: '/usr/bin/fs', args: ['/w'], env: [{ name: 'K', value: 'v' }] })).to.deep.equal({
      name: 'fs',
      config: { command: '/usr/bin/fs', args: ['/w'], env: { K: 'v' } },
    });
    expect(fromAcp({ type: 'http', name: 'h', url: 'https://x/mcp', headers: [{ name: 'Authorization', value: 'Bearer t' }] })).to.deep.equal({
      name: 'h',
      config: { type: 'http', url: 'https://x/mcp', headers: { Authorization: 'Bearer t' } },
    });
    expect(fromAcp({ type: 'sse', name: 's', url: 'https://x/sse', headers: null })).to.deep.equal({ name: 's', config: { type: 'sse', url: 'https://x/sse', headers: {} } });
  });

  it('says why an entry is unusable, naming the server but none of its values', () => {
    const bad = fromAcp({ name: 'odd', url: 42 });
    expect(bad).to.have.property('name', 'odd');
    expect(bad).to.have.property('error').that.matches(/not an ACP McpServer/);
  });

  it('redacts env and header values for display', () => {
    expect(
      redactAcpServers([
        { name: 'fs', command: 'x', args: [], env: [{ name: 'K', value: 'secret' }] },
        { type: 'http', name: 'h', url: 'https://x', headers: [{ name: 'Authorization', value: 'Bearer t' }] },
      ]),
    ).to.deep.equal([
      { name: 'fs', command: 'x', args: [], env: [{ name: 'K', value: '[redacted]' }] },
      { type: 'http', name: 'h', url: 'https://x', headers: [{ name: 'Authorization', value: '[redacted]' }] },
    ]);
  });
});
