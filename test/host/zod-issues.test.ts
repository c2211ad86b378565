import { expect } from 'chai';
import { z } from 'zod';
import { clientIssues } from '../../src/host/zod-issues.js';

/** Union failures opened up to the branch the input was aiming at, so a client can say which field is wrong. */
describe('clientIssues', () => {
  const Stdio = z.object({ command: z.string().min(1), args: z.array(z.string()).optional() });
  const Remote = z.object({ url: z.url(), headers: z.record(z.string(), z.string()).optional() });
  const Params = z.object({ name: z.string(), config: z.union([Stdio, Remote], { error: 'needs command or url' }) });
  const issues = (input: unknown) => clientIssues(Params.safeParse(input).error!.issues, input);

  it('gives the fields of the branch whose keys the input has, with full paths', () => {
    expect(issues({ name: 'a', config: { command: 5, args: 'x' } })).to.deep.equal([
      { path: ['config', 'command'], message: 'Invalid input: expected string, received number', code: 'invalid_type' },
      { path: ['config', 'args'], message: 'Invalid input: expected array, received string', code: 'invalid_type' },
    ]);
    expect(issues({ name: 'a', config: { url: 'https://x', headers: { h: 1 } } }).map((i) => i.path.join('.'))).to.deep.equal(['config.headers.h']);
  });

  it("keeps the union's own message when no branch, or both, fit", () => {
    expect(issues({ name: 'a', config: {} })).to.deep.equal([{ path: ['config'], message: 'needs command or url', code: 'invalid_union' }]);
    expect(issues({ name: 'a', config: 'str' })).to.deep.equal([{ path: ['config'], message: 'needs command or url', code: 'invalid_union' }]);
    // Both keys present and both branches wrong: which one was meant is not knowable.
    expect(issues({ name: 'a', config: { command: 5, url: 5 } })[0]!.code).to.equal('invalid_union');
  });

  it('leaves other issues as they are (paths as strings)', () => {
    const Arr = z.object({ rules: z.array(z.object({ pattern: z.string().min(1) })) });
    const input = { rules: [{ pattern: 'a' }, { pattern: '' }] };
    expect(clientIssues(Arr.safeParse(input).error!.issues, input).map((i) => i.path)).to.deep.equal([['rules', '1', 'pattern']]);
  });
});
