// The `rnnlab` command's definition: global options and every subcommand.
import { Command } from 'commander';
import { registerDatasetCommands } from './commands/datasets.ts';
import { registerExportCommand } from './commands/export.ts';
import { registerGenerateCommand } from './commands/generate.ts';
import { registerInfillCommand } from './commands/infill.ts';
import { registerJobCommands } from './commands/jobs.ts';
import { registerOpsCommand } from './commands/ops.ts';
import { registerStudyCommands } from './commands/studies.ts';

export function buildProgram(): Command {
  const program = new Command('rnnlab')
    .description('Train recurrent language models on an rnnlab API and sample from them.')
    .option('--url <url>', 'the API (default: $RNNLAB_URL, else http://127.0.0.1:3000)')
    .option('--api-key <key>', 'the API key (default: $RNNLAB_API_KEY)')
    .option('--json', 'JSON for scripts: one document, or one object a line for a followed job')
    .showHelpAfterError('(rnnlab --help lists the commands)')
    .exitOverride();
  registerJobCommands(program);
  registerGenerateCommand(program);
  registerInfillCommand(program);
  registerExportCommand(program);
  registerDatasetCommands(program);
  registerStudyCommands(program);
  registerOpsCommand(program);
  program.addHelpText('after', '\nExit codes: 0 ok, 1 unexpected error, 2 bad arguments or a field the API refused, 3 no or wrong API key,\n'
    + '4 not found, 5 conflict, 6 API unreachable or failing, 7 followed job failed, 8 followed job cancelled or pruned, 130 Ctrl-C.\n'
    + 'See docs/cli.md.');
  // Subcommands of subcommands too (datasets upload, studies create), so every error comes back here.
  const override = (cmd: Command): void => {
    cmd.exitOverride();
    cmd.commands.forEach(override);
  };
  program.commands.forEach(override);
  return program;
}
