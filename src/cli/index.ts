import { cac } from 'cac';
import { packageVersion } from '../app/home.js';
import { UsageError } from './common.js';
import { registerServeCommand } from './serve-command.js';
import { registerMcpCommand } from './mcp-command.js';
import { registerStdioCommand } from './stdio-command.js';
import { registerPluginCommand } from './plugin-command.js';

/** The `switchboard` command line. Each command registers itself from its own file. */
export async function main(argv: string[]): Promise<void> {
  const cli = cac('switchboard');
  registerServeCommand(cli);
  registerStdioCommand(cli);
  registerMcpCommand(cli);
  registerPluginCommand(cli);
  cli.help();
  cli.version(packageVersion());
  try {
    cli.parse(argv, { run: false });
    if (cli.options.help || cli.options.version) return;
    if (!cli.matchedCommand) {
      if (cli.args.length > 0) throw new UsageError(`unknown command "${cli.args.join(' ')}"; see switchboard --help`);
      cli.outputHelp();
      return;
    }
    await cli.runMatchedCommand();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`switchboard: ${message}\n`);
    process.exit(err instanceof UsageError || /unknown option|missing required/i.test(message) ? 2 : 1);
  }
}
