import { expect } from 'chai';
import { decide, ruleMatches, type CallFacts } from '../../../src/plugins/permissions/policy.js';
import type { Grant } from '../../../src/plugins/permissions/schemas.js';

const base: CallFacts = { tool: 'read_file', kind: 'read', subject: 'src/a.ts', inside: true, workspace: '/ws', sessionId: 's1' };
const write: CallFacts = { ...base, tool: 'write_file', kind: 'edit' };
const shell: CallFacts = { ...base, tool: 'shell', kind: 'execute', subject: 'rm -rf /tmp/x' };
const grant = (g: Partial<Grant>): Grant => ({ grantId: 'g', scope: 'workspace', workspace: '/ws', tool: 'write_file', effect: 'allow', createdAt: '', ...g });

describe('permissions: policy', () => {
  it('ask mode: reads inside run, reads outside, edits and execution ask', () => {
    expect(decide(base, 'ask', [], []).action).to.equal('allow');
    expect(decide({ ...base, inside: false, subject: '/etc/passwd' }, 'ask', [], []).action).to.equal('ask');
    expect(decide(write, 'ask', [], []).action).to.equal('ask');
    expect(decide(shell, 'ask', [], []).action).to.equal('ask');
    expect(decide({ ...base, tool: 'mcp_x', kind: 'other' }, 'ask', [], []).action).to.equal('ask');
  });

  it('accept-edits runs edits inside the workspace, still asks for commands', () => {
    expect(decide(write, 'accept-edits', [], []).action).to.equal('allow');
    expect(decide({ ...write, tool: 'rm', kind: 'delete' }, 'accept-edits', [], []).action).to.equal('allow');
    expect(decide({ ...write, inside: false }, 'accept-edits', [], []).action).to.equal('ask');
    expect(decide(shell, 'accept-edits', [], []).action).to.equal('ask');
  });

  it('read-only denies anything that changes things, with a reason, even when an allow rule or grant says yes', () => {
    const v = decide(write, 'read-only', [{ pattern: 'write_file', action: 'allow' }], [grant({})]);
    expect(v.action).to.equal('deny');
    expect(v.why).to.contain('read-only (plan) mode').and.to.contain('permissions/set_mode');
    expect(decide(base, 'read-only', [], []).action).to.equal('allow');
    expect(decide({ ...base, kind: 'fetch', tool: 'fetch' }, 'read-only', [], []).action).to.equal('deny');
  });

  it('bypass runs everything but deny rules', () => {
    expect(decide(shell, 'bypass', [], []).action).to.equal('allow');
    expect(decide(shell, 'bypass', [{ pattern: 'shell:rm *', action: 'deny' }], []).action).to.equal('deny');
  });

  it('rules: deny beats ask beats allow; path globs stay in folders, command globs span', () => {
    const rules = [
      { pattern: 'read_file:src/**', action: 'allow' as const },
      { pattern: 'read_file:src/secret/*', action: 'ask' as const },
      { pattern: 'shell:rm *', action: 'deny' as const },
      { pattern: 'shell:npm test', action: 'allow' as const },
    ];
    expect(decide({ ...base, inside: false, subject: 'src/x/y.ts' }, 'ask', rules, []).action).to.equal('allow');
    expect(decide({ ...base, subject: 'src/secret/k' }, 'ask', rules, []).action).to.equal('ask');
    expect(decide(shell, 'ask', rules, []).why).to.contain('deny shell:rm *');
    expect(decide({ ...shell, subject: 'npm test' }, 'ask', rules, []).action).to.equal('allow');
    expect(decide({ ...shell, subject: 'npm test; rm -rf .' }, 'ask', rules, []).action).to.equal('ask');
    expect(ruleMatches('write_*', write)).to.equal(true);
    expect(ruleMatches('read_file:*.ts', { ...base, subject: 'src/a.ts' })).to.equal(false);
  });

  it('grants: never in another workspace; session grants only in their session; deny grants win over allow', () => {
    expect(decide(write, 'ask', [], [grant({})]).action).to.equal('allow');
    expect(decide({ ...write, workspace: '/other' }, 'ask', [], [grant({})]).action).to.equal('ask');
    expect(decide(write, 'ask', [], [grant({ scope: 'session', sessionId: 's2' })]).action).to.equal('ask');
    expect(decide(write, 'ask', [], [grant({ scope: 'session', sessionId: 's1' })]).action).to.equal('allow');
    expect(decide(write, 'ask', [], [grant({}), grant({ effect: 'deny' })]).action).to.equal('deny');
    expect(decide(shell, 'ask', [], [grant({ tool: 'shell', subject: 'npm test' })]).action).to.equal('ask');
  });
});
