// An in-process plugin: a method, an event and a tool. See examples/README.md.
import { readFile } from 'node:fs/promises';
import { defineEvent, defineMethod, definePlugin, defineTool, z } from 'switchboard/plugin';

const Greeted = defineEvent({ name: 'hello/greeted', description: 'Someone was greeted.', payload: z.object({ who: z.string() }) });

const Greet = defineMethod({
  name: 'hello/greet',
  description: 'Greets someone by name, and says so with a hello/greeted event.',
  params: z.object({ who: z.string().min(1) }),
  result: z.object({ text: z.string() }),
});

const WordCount = defineTool({
  name: 'word_count',
  description: 'Counts the words of a text file in the workspace.',
  kind: 'read',
  params: z.object({ path: z.string().describe('file path, relative to the workspace') }),
  paths: ['path'],
  run: async ({ path }, ctx) => ({ path, words: (await readFile(await ctx.resolve(path), 'utf8')).split(/\s+/).filter(Boolean).length }),
});

export default definePlugin({
  name: 'hello', version: '1.0.0', description: 'Example plugin: a method, an event, a tool',
  methods: [Greet], events: [Greeted], tools: [WordCount],
  activate(ctx) {
    ctx.handle(Greet, ({ who }) => (ctx.emit(Greeted, { who }), { text: `Hello, ${who}!` }));
  },
});
