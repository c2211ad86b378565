/**
 * What `switchboard plugin new` writes: a working plugin (a method, an event, a tool) and a
 * test, in JavaScript, TypeScript or Python. Each test drives the plugin as the daemon would.
 */
export type Language = 'js' | 'ts' | 'python';

export interface TemplateVars {
  /** The plugin's name (its method and event namespace), e.g. `notes`. */
  name: string;
  /** The switchboard bin that scaffolded it: the tests run it unless SWITCHBOARD_BIN says otherwise. */
  bin: string;
  /** The `switchboard/plugin` declarations, for TypeScript's `paths`. */
  typesFile: string;
  /** e.g. `>=0.1.0`. */
  engines: string;
}

const snake = (name: string) => name.replace(/-/g, '_');

function pluginSource(v: TemplateVars): string {
  return `// A Switchboard plugin: a method, an event and a tool (see docs/PLUGINS.md of Switchboard).
import { defineEvent, defineMethod, definePlugin, defineTool, z } from 'switchboard/plugin';

const Said = defineEvent({ name: '${v.name}/said', description: 'A greeting was said.', payload: z.object({ text: z.string() }) });

const Hello = defineMethod({
  name: '${v.name}/hello',
  description: 'Says hello to someone.',
  params: z.object({ who: z.string().min(1) }),
  result: z.object({ text: z.string() }),
});

const Shout = defineTool({
  name: '${snake(v.name)}_shout',
  description: 'Upper-cases a text.',
  kind: 'think',
  params: z.object({ text: z.string() }),
  run: ({ text }) => text.toUpperCase(),
});

export default definePlugin({
  name: '${v.name}',
  version: '0.1.0',
  methods: [Hello],
  events: [Said],
  tools: [Shout],
  activate(ctx) {
    ctx.handle(Hello, ({ who }) => {
      const text = \`Hello, \${who}!\`;
      ctx.emit(Said, { text });
      return { text };
    });
  },
});
`;
}

function nodeTest(v: TemplateVars, pluginDir: string): string {
  return `// Runs the real daemon on stdio with this plugin loaded, and calls it as a client would.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import assert from 'node:assert/strict';

const BIN = process.env.SWITCHBOARD_BIN ?? ${JSON.stringify(v.bin)};
const PLUGIN_DIR = path.resolve(import.meta.dirname, ${JSON.stringify(pluginDir)});

test('${v.name}/hello answers, and the plugin is active', async () => {
  const home = mkdtempSync(path.join(tmpdir(), '${v.name}-test-'));
  const child = spawn(process.execPath, [BIN, 'stdio', '--plugin-dir', PLUGIN_DIR], { env: { ...process.env, SWITCHBOARD_HOME: home } });
  const answers = new Map();
  createInterface({ input: child.stdout }).on('line', (line) => {
    const msg = JSON.parse(line);
    answers.get(msg.id)?.(msg);
  });
  let id = 0;
  const call = (method, params) => new Promise((resolve) => {
    answers.set(++id, resolve);
    child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\\n');
  });
  try {
    const { result } = await call('${v.name}/hello', { who: 'test' });
    assert.equal(result.text, 'Hello, test!');
    const { result: listed } = await call('host/plugins', {});
    const me = listed.plugins.find((p) => p.name === '${v.name}');
    assert.equal(me.state, 'active', me.error);
    const { error } = await call('${v.name}/hello', { who: '' });
    assert.equal(error.code, -32602);
  } finally {
    child.stdin.end();
    await new Promise((r) => child.once('exit', r));
    rmSync(home, { recursive: true, force: true });
  }
});
`;
}

function pythonPlugin(v: TemplateVars): string {
  return `#!/usr/bin/env python3
"""A Switchboard plugin in Python (standard library only): JSON-RPC, one JSON object per line,
on stdin/stdout (docs/PLUGINS.md of Switchboard). Logs go to stderr; it exits when stdin closes."""
import json
import sys

HANDSHAKE = {
    "apiVersion": 1,
    "name": "${v.name}",
    "version": "0.1.0",
    "methods": [{
        "name": "${v.name}/hello", "description": "Says hello to someone.",
        "params": {"type": "object", "properties": {"who": {"type": "string", "minLength": 1}}, "required": ["who"]},
        "result": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
    }],
    "events": [{"name": "${v.name}/said", "description": "A greeting was said.",
                "payload": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}}],
    "tools": [{"name": "${snake(v.name)}_shout", "description": "Upper-cases a text.", "kind": "think",
               "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}}],
}


def send(msg):
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", **msg}) + "\\n")
    sys.stdout.flush()


def handle(method, params):
    if method == "initialize":
        return HANDSHAKE
    if method == "${v.name}/hello":
        text = f"Hello, {params['who']}!"
        send({"method": "host/emit", "params": {"event": "${v.name}/said", "payload": {"text": text}}})
        return {"text": text}
    if method == "tool/call" and params["tool"] == "${snake(v.name)}_shout":
        return {"content": params["arguments"]["text"].upper()}
    raise LookupError(method)


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        msg = json.loads(line)
        if "id" not in msg or "method" not in msg:
            continue  # notifications ($/cancelRequest) and answers to calls we did not make
        try:
            send({"id": msg["id"], "result": handle(msg["method"], msg.get("params") or {})})
        except LookupError:
            send({"id": msg["id"], "error": {"code": -32601, "message": f"unknown method {msg['method']}"}})


if __name__ == "__main__":
    main()
`;
}

function pythonTest(v: TemplateVars): string {
  return `"""Drives the plugin over its stdin/stdout exactly as Switchboard does: python3 -m unittest"""
import json
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


class PluginTest(unittest.TestCase):
    def setUp(self):
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "${snake(v.name)}_plugin.py")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.next_id = 0

    def tearDown(self):
        self.proc.stdin.close()
        self.assertEqual(self.proc.wait(timeout=10), 0)  # it exits when stdin closes
        self.proc.stdout.close()

    def call(self, method, params):
        self.next_id += 1
        self.proc.stdin.write(json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}) + "\\n")
        self.proc.stdin.flush()
        while True:
            msg = json.loads(self.proc.stdout.readline())
            if msg.get("id") == self.next_id:
                return msg

    def test_handshake_and_hello(self):
        hs = self.call("initialize", {"apiVersion": 1})["result"]
        self.assertEqual(hs["name"], "${v.name}")
        self.assertEqual(self.call("${v.name}/hello", {"who": "test"})["result"], {"text": "Hello, test!"})
        shout = self.call("tool/call", {"tool": "${snake(v.name)}_shout", "arguments": {"text": "hi"}})
        self.assertEqual(shout["result"]["content"], "HI")
        self.assertEqual(self.call("nope", {})["error"]["code"], -32601)


if __name__ == "__main__":
    unittest.main()
`;
}

/** The files of a new plugin, by relative path. */
export function scaffold(language: Language, v: TemplateVars): Record<string, string> {
  const pkg = (extra: Record<string, unknown>) =>
    `${JSON.stringify({ name: `switchboard-plugin-${v.name}`, version: '0.1.0', private: true, type: 'module', ...extra, engines: { switchboard: v.engines } }, null, 2)}\n`;
  if (language === 'python') {
    return {
      'plugin.json': `${JSON.stringify({ command: 'python3', args: [`${snake(v.name)}_plugin.py`] }, null, 2)}\n`,
      [`${snake(v.name)}_plugin.py`]: pythonPlugin(v),
      'test_plugin.py': pythonTest(v),
      'README.md': `# ${v.name}\n\nAn out-of-process Switchboard plugin. Try it: \`switchboard stdio --plugin-dir .\`; test it: \`python3 -m unittest\`.\n`,
    };
  }
  if (language === 'js') {
    return {
      'package.json': pkg({ main: 'index.js', scripts: { test: 'node --test' } }),
      'index.js': pluginSource(v),
      'test/plugin.test.js': nodeTest(v, '..'),
      'README.md': `# ${v.name}\n\nA Switchboard plugin. Try it: \`switchboard serve --plugin-dir .\`; test it: \`npm test\`.\n`,
    };
  }
  return {
    'package.json': pkg({ main: 'dist/index.js', scripts: { build: 'tsc -p .', test: 'tsc -p . && node --test' }, devDependencies: { typescript: '~5.9.3' } }),
    'tsconfig.json': `${JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'dist', rootDir: 'src', skipLibCheck: true,
          // Types of the Switchboard that scaffolded this plugin; at run time the daemon provides the module.
          paths: { 'switchboard/plugin': [v.typesFile] },
        },
        include: ['src'],
      },
      null,
      2,
    )}\n`,
    'src/index.ts': pluginSource(v),
    'test/plugin.test.js': nodeTest(v, '..'),
    'README.md': `# ${v.name}\n\nA Switchboard plugin in TypeScript. Build: \`npx tsc -p .\`; try it: \`switchboard serve --plugin-dir .\`; test it: \`npm test\`.\n`,
  };
}
