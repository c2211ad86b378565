import { expect } from 'chai';
import { z } from 'zod';
import { defineMethod, NoParams } from '../../../src/host/method.js';
import { camelCase, compileRoutes, matchRoute, paramsFromQuery } from '../../../src/adapters/http/routes.js';

const m = (name: string, rest: object, params: z.ZodType = NoParams) =>
  defineMethod({ name, description: name, params, result: z.unknown(), rest: rest as never });

describe('REST routes derived from the method table', () => {
  it('camel-cases path parameters', () => {
    expect(camelCase('session_id')).to.equal('sessionId');
    expect(camelCase('server_name')).to.equal('serverName');
    expect(camelCase('name')).to.equal('name');
  });

  it('matches literal segments before parameters, whatever the declaration order', () => {
    const routes = compileRoutes([
      m('a/one', { verb: 'GET', path: '/mcp/{server_name}' }),
      m('a/list', { verb: 'GET', path: '/mcp/servers' }),
      m('a/conn', { verb: 'POST', path: '/sessions/{session_id}/mcp/{server_name}/connect' }),
    ]);
    const list = matchRoute(routes, 'GET', '/mcp/servers');
    expect(list && 'route' in list && list.route.decl.name).to.equal('a/list');
    const one = matchRoute(routes, 'GET', '/mcp/other');
    expect(one && 'route' in one && one.params).to.deep.equal({ serverName: 'other' });
    const conn = matchRoute(routes, 'POST', '/sessions/s%201/mcp/fs/connect');
    expect(conn && 'route' in conn && conn.params).to.deep.equal({ sessionId: 's 1', serverName: 'fs' });
    expect(matchRoute(routes, 'DELETE', '/mcp/servers')).to.deep.equal({ allow: ['GET'] });
    expect(matchRoute(routes, 'GET', '/nothing')).to.equal(undefined);
  });

  it('refuses two methods claiming the same verb and path at start-up', () => {
    expect(() =>
      compileRoutes([m('a/x', { verb: 'GET', path: '/things/{id}' }), m('b/y', { verb: 'GET', path: '/things/{name}' })]),
    ).to.throw(/declared by both "a\/x" and "b\/y"/);
  });

  it('converts query values by the params schema and leaves bad ones for validation', () => {
    const decl = m('q', { verb: 'GET', path: '/q' }, z.object({ after: z.number().int().optional(), all: z.boolean().optional(), ids: z.array(z.number()).optional(), name: z.string().optional() }));
    expect(paramsFromQuery(decl, new URLSearchParams('after=5&all=false&ids=1,2&ids=3&name=007'))).to.deep.equal({ after: 5, all: false, ids: [1, 2, 3], name: '007' });
    expect(paramsFromQuery(decl, new URLSearchParams('after=five'))).to.deep.equal({ after: 'five' });
  });
});
