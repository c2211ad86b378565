/**
 * `switchboard/plugin`: the public API for writing a Switchboard plugin. This file is the only
 * part of Switchboard a plugin may import (package.json `exports`); at run time the daemon
 * hands every plugin its own copy of this module, so `z` here is the host's zod.
 *
 * @example
 * ```ts
 * import { definePlugin, defineMethod, z } from 'switchboard/plugin';
 * const Greet = defineMethod({ name: 'hello/greet', description: 'Greets', params: z.object({ who: z.string() }), result: z.object({ text: z.string() }) });
 * export default definePlugin({ name: 'hello', methods: [Greet], activate(ctx) { ctx.handle(Greet, ({ who }) => ({ text: `hi ${who}` })); } });
 * ```
 */
export { z } from 'zod';
export { defineEvent, defineMethod, NoParams } from '../host/method.js';
export type { EventDecl, MethodDecl, ParamsOf, PayloadOf, ResultOf, RestRoute } from '../host/method.js';
export type { Disposable } from '../host/disposable.js';
export { ErrorCodes, RpcError } from '../host/errors.js';
export type { ToolKind } from '../plugins/tools/contract.js';
export { apiVersion, definePlugin } from './define.js';
export type { PluginSpec, SwitchboardPlugin } from './define.js';
export type { HandlerContext, MethodHandler, PluginContext, PluginLogger } from './context.js';
export { defineTool } from './tool.js';
export type { ToolRunContext, ToolSpec } from './tool.js';
