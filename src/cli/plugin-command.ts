import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CAC } from 'cac';
import { packageVersion } from '../app/home.js';
import { BIN_FILE, KIT_TYPES_FILE } from '../app/paths.js';
import { UsageError, startApp, withCommonFlags, type CommonFlags } from './common.js';
import { scaffold, type Language } from './plugin-templates.js';

interface PluginFlags extends CommonFlags {
  language?: string;
  dir?: string;
  json?: boolean;
}

const LANGUAGES: Language[] = ['ts', 'js', 'python'];

/** `switchboard plugin new <name>` scaffolds a plugin; `switchboard plugin list` shows what loads. */
export function registerPluginCommand(cli: CAC): void {
  withCommonFlags(cli.command('plugin <action> [name]', 'Custom plugins: "new <name>" scaffolds one with a test, "list" shows each one, its source and state'))
    .option('--language <language>', `For "new": ${LANGUAGES.join(', ')} (default: js)`)
    .option('--dir <dir>', 'For "new": the folder to create (default: ./<name>)')
    .option('--json', 'For "list": print JSON')
    .action(async (action: string, name: string | undefined, flags: PluginFlags) => {
      if (action === 'new') return newPlugin(name, flags);
      if (action === 'list') return listPlugins(flags);
      throw new UsageError(`unknown plugin action "${action}"; use "switchboard plugin new <name>" or "switchboard plugin list"`);
    });
}

function newPlugin(name: string | undefined, flags: PluginFlags): void {
  if (!name || !/^[a-z][a-z0-9-]{0,63}$/.test(name)) throw new UsageError('plugin new needs a name of lower case letters, digits and "-", starting with a letter');
  const language = (flags.language ?? 'js') as Language;
  if (!LANGUAGES.includes(language)) throw new UsageError(`--language must be one of ${LANGUAGES.join(', ')}; got "${flags.language}"`);
  const dir = path.resolve(flags.dir ?? name);
  if (existsSync(dir)) throw new UsageError(`${dir} already exists; choose another name or --dir`);
  const [major, minor] = packageVersion().split('.');
  const files = scaffold(language, { name, bin: BIN_FILE, typesFile: KIT_TYPES_FILE, engines: major === '0' ? `>=0.${minor}.0 <1` : `^${major}.0.0` });
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  const test = language === 'python' ? 'python3 -m unittest' : 'npm test';
  process.stdout.write(`created ${dir} (${language}): ${Object.keys(files).join(', ')}\n  try it:  switchboard serve --plugin-dir ${dir}\n  test it: cd ${dir} && ${test}\n`);
}

async function listPlugins(flags: PluginFlags): Promise<void> {
  const app = await startApp({ ...flags, logLevel: flags.logLevel ?? 'silent' }, { command: 'plugin' });
  try {
    const custom = app.host.plugins().filter((p) => p.source !== 'built-in');
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ plugins: custom }, null, 2)}\n`);
      return;
    }
    if (!custom.length) process.stdout.write(`no custom plugins (looked in ${path.join(app.config.home, 'plugins')}, config.json and --plugin-dir)\n`);
    for (const p of custom) {
      process.stdout.write(`${p.name}${p.version ? ` ${p.version}` : ''}  ${p.state}  ${p.source}\n`);
      if (p.methods.length) process.stdout.write(`  methods: ${p.methods.join(', ')}\n`);
      if (p.tools?.length) process.stdout.write(`  tools:   ${p.tools.join(', ')}\n`);
      if (p.error) process.stdout.write(`  error:   ${p.error}\n`);
    }
  } finally {
    await app.stop();
  }
}
