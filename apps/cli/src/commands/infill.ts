// infill: fills the blanks of a text with a checkpoint of a job.
import type { Command } from 'commander';
import type { InfillRequest } from '@rnnlab/client';
import { InfillRequest as InfillRequestSchema } from '@rnnlab/contracts';
import { EXIT } from '../exit-codes.ts';
import { action } from '../run.ts';
import { bodyFromFlags, flagsFromSchema } from '../schema-flags.ts';

/** Every field of an infill request but `text` (the argument) as a flag. */
export const INFILL_FLAGS = flagsFromSchema(InfillRequestSchema, ['text']);

export function registerInfillCommand(program: Command): void {
  const cmd = program.command('infill')
    .description('fill the blanks (_ unless --blank) of a text with a checkpoint of the job, printing each blank\'s candidates')
    .argument('<id>', 'job id')
    .argument('<text>', 'the text with blanks, e.g. "the time tr_veller"');
  for (const f of INFILL_FLAGS) cmd.addOption(f.option);
  cmd.action(action(async (ctx, id: string, text: string, opts: Record<string, unknown>) => {
    const out = await ctx.client.infill(id, { text, ...bodyFromFlags(INFILL_FLAGS, opts) } as InfillRequest);
    if (ctx.json) {
      ctx.document(out);
      return EXIT.ok;
    }
    ctx.stdout.write(`${out.text}\n`);
    for (const b of out.blanks) {
      const list = b.candidates.map((c) => `${JSON.stringify(c.char)} ${(100 * c.probability).toFixed(1)}%`).join(', ');
      ctx.stdout.write(`  [${b.index}] ${JSON.stringify(b.char)}: ${list}\n`);
    }
    return EXIT.ok;
  }));
}
