import { z } from 'zod';
import type { Plugin } from '../../src/host/plugin.js';
import { ToolRegistryToken } from '../../src/plugins/tools/contract.js';

/**
 * A custom plugin for the daemon tests: a `stuck` tool (kind read, so it runs without asking)
 * that never finishes and ignores its AbortSignal, like a tool caught in a system call. Cancel,
 * delete and shutdown must not wait for it.
 */
const plugin: Plugin = {
  name: 'stuck-tool',
  description: 'test plugin: a tool that never returns',
  dependsOn: ['tools'],
  activate(ctx) {
    const registry = ctx.container.resolve(ToolRegistryToken);
    ctx.subscriptions.add(
      registry.register({
        name: 'stuck',
        description: 'never returns',
        kind: 'read',
        parameters: z.object({}),
        execute: () => new Promise(() => undefined),
      }),
    );
  },
};
export default plugin;
