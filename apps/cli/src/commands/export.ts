// export: a checkpoint of a job as a file for another runtime (docs/export.md).
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { ExportQuery } from '@rnnlab/client';
import { ExportQuery as ExportQuerySchema } from '@rnnlab/contracts';
import { EXIT } from '../exit-codes.ts';
import { action } from '../run.ts';
import { bodyFromFlags, flagsFromSchema } from '../schema-flags.ts';

/** --format and --checkpoint, from the route's query schema. */
const EXPORT_FLAGS = flagsFromSchema(ExportQuerySchema);

export function registerExportCommand(program: Command): void {
  const cmd = program.command('export')
    .description('download a checkpoint of the job as ONNX, safetensors with PyTorch names, or a TF.js zip')
    .argument('<id>', 'job id')
    .option('-o, --output <file>', 'where to write it (default: the file name the API suggests, in this folder)');
  for (const f of EXPORT_FLAGS) cmd.addOption(f.field === 'format' ? f.option.makeOptionMandatory() : f.option);
  cmd.action(action(async (ctx, id: string, opts: Record<string, unknown>) => {
    const file = await ctx.client.exportModel(id, bodyFromFlags(EXPORT_FLAGS, opts) as unknown as ExportQuery);
    const path = typeof opts.output === 'string' ? opts.output : file.filename;
    await writeFile(path, file.bytes);
    if (ctx.json) ctx.document({ file: path, bytes: file.bytes.length, warnings: file.warnings });
    else {
      ctx.line(`${path}: ${file.bytes.length} bytes`);
      for (const w of file.warnings) ctx.stderr.write(`warning: ${w}\n`);
    }
    return EXIT.ok;
  }));
}
