// datasets: list, show, upload.
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { Command } from 'commander';
import { EXIT } from '../exit-codes.ts';
import { datasetRows } from '../format.ts';
import { action, take } from '../run.ts';

export class FileError extends Error {
  override readonly name = 'FileError';
}

export function registerDatasetCommands(program: Command): void {
  const datasets = program.command('datasets').description('the built-in corpora and uploaded ones');

  datasets.command('list', { isDefault: true })
    .description('every dataset (the default)')
    .action(action(async (ctx) => {
      const items = await take(ctx.client.datasets(), null);
      ctx.show(items, () => datasetRows(items));
      return EXIT.ok;
    }));

  datasets.command('show')
    .argument('<id>', 'dataset id or built-in name')
    .description('one dataset')
    .action(action(async (ctx, id: string) => {
      const d = await ctx.client.dataset(id);
      ctx.show(d, () => datasetRows([d]));
      return EXIT.ok;
    }));

  datasets.command('upload')
    .argument('<file>', 'a UTF-8 text file')
    .option('--name <name>', 'its name (default: the file name without extension)')
    .description('upload a corpus; train on it with: rnnlab train <arch> --dataset <id>')
    .action(action(async (ctx, file: string, opts: { name?: string }) => {
      const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
        throw new FileError(`${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
      });
      const d = await ctx.client.uploadDataset(opts.name ?? basename(file, extname(file)), text);
      ctx.show(d, () => `dataset ${d.id} uploaded: ${d.name}, ${d.chars ?? '?'} characters (rnnlab train lstm --dataset ${d.id})`);
      return EXIT.ok;
    }));
}
