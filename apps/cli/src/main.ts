// The `rnnlab` command. Configured by RNNLAB_URL and RNNLAB_API_KEY (or --url, --api-key); see
// docs/cli.md for the commands and the exit codes.
import { CommanderError } from 'commander';
import { EXIT } from './exit-codes.ts';
import { explain } from './explain.ts';
import { buildProgram } from './program.ts';
import { outcome } from './run.ts';

const HELP_CODES = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return outcome.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its message (or the help) already.
      return HELP_CODES.has(error.code) || error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const { code, message, detail } = explain(error);
    if (argv.includes('--json')) process.stderr.write(`${JSON.stringify({ error: detail })}\n`);
    else process.stderr.write(`error: ${message}\n`);
    return code;
  }
}

process.exitCode = await main(process.argv.slice(2));
