// generate: text from a checkpoint of a job, written as it comes.
import type { Command } from 'commander';
import type { GenerateRequest } from '@rnnlab/client';
import { GenerateRequest as GenerateRequestSchema } from '@rnnlab/contracts';
import { EXIT } from '../exit-codes.ts';
import { action } from '../run.ts';
import { bodyFromFlags, flagsFromSchema } from '../schema-flags.ts';

/** Every field of a generation request but `prefix` (the argument) as a flag. */
export const GENERATE_FLAGS = flagsFromSchema(GenerateRequestSchema, ['prefix']);
const SAMPLING_FIELDS = ['temperature', 'topK', 'topP'];

export function registerGenerateCommand(program: Command): void {
  const cmd = program.command('generate')
    .description('generate text from a checkpoint of the job, streamed as it comes (--temperature, --top-k or --top-p sample instead of greedy)')
    .argument('<id>', 'job id')
    .argument('<prefix>', 'the text to continue');
  for (const f of GENERATE_FLAGS) cmd.addOption(f.option);
  cmd.action(action(async (ctx, id: string, prefix: string, opts: Record<string, unknown>) => {
    const request = { prefix, ...bodyFromFlags(GENERATE_FLAGS, opts) } as GenerateRequest;
    // Asking for a temperature means sampling; greedy decoding would ignore it.
    if (request.strategy === undefined && SAMPLING_FIELDS.some((f) => f in request)) request.strategy = 'sample';
    if (ctx.json) {
      ctx.document(await ctx.client.generate(id, request));
      return EXIT.ok;
    }
    let started = false;
    const out = await ctx.client.generate(id, request, {
      onText: (chunk) => {
        if (!started) ctx.stdout.write(prefix);
        started = true;
        ctx.stdout.write(chunk);
      },
    });
    if (!started) ctx.stdout.write(out.text);
    ctx.stdout.write('\n');
    for (const w of out.warnings) ctx.stderr.write(`warning: ${w}\n`);
    return EXIT.ok;
  }));
}
