// studies: searches over config fields whose trials are ordinary jobs — list, create, show, metrics, cancel.
import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import type { Study, StudyRequest } from '@rnnlab/client';
import { STUDY_PRESETS, STUDY_STATES } from '@rnnlab/contracts';
import { EXIT } from '../exit-codes.ts';
import { table } from '../format.ts';
import { action, positiveIntOption, take } from '../run.ts';
import { FileError } from './datasets.ts';

const fixed = (n: number | null | undefined) => (n == null ? '-' : n.toFixed(2));
const params = (p: Record<string, unknown>) => Object.entries(p).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');

function studyBlock(s: Study): string[] {
  return [
    `id          ${s.id}`,
    `name        ${s.name ?? '-'}`,
    `state       ${s.state}${s.error ? `: ${s.error.message}` : ''}`,
    `dataset     ${s.dataset}`,
    `trials      ${s.trialCount} (${Object.entries(s.counts).map(([k, v]) => `${k} ${v}`).join(', ')})`,
    `objective   ${s.objective}, best ${fixed(s.bestObjective)}`,
    `epochs      ${s.epochsTrained} trained`,
    '',
    ...table(['RANK', 'TRIAL', 'JOB', 'OBJECTIVE', 'STATUS', 'EPOCH', 'PARAMS'],
      s.leaderboard.map((e) => [String(e.rank), String(e.index), e.jobId, fixed(e.objective), e.status, String(e.epoch), params(e.params)])),
  ];
}

/** The request from `--file` (a path, or - for stdin) with the flags laid over it. */
async function studyRequest(opts: { file?: string; preset?: string; name?: string; dataset?: string }): Promise<StudyRequest> {
  let body: Record<string, unknown> = {};
  if (opts.file) {
    const text = opts.file === '-'
      ? await new Promise<string>((resolve, reject) => {
        let data = '';
        process.stdin.setEncoding('utf8').on('data', (d: string) => (data += d)).on('end', () => resolve(data)).on('error', reject);
      })
      : await readFile(opts.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
        throw new FileError(`${opts.file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
      });
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw new FileError(`${opts.file}: not JSON (${(error as Error).message})`);
    }
  }
  for (const key of ['preset', 'name', 'dataset'] as const) if (opts[key] !== undefined) body[key] = opts[key];
  return body as StudyRequest;
}

export function registerStudyCommands(program: Command): void {
  const studies = program.command('studies').description('searches over config fields, each trial an ordinary job');

  studies.command('list', { isDefault: true })
    .description('studies, newest first (the default)')
    .addOption(new Option('--state <state>', 'only studies in this state').choices(STUDY_STATES))
    .addOption(positiveIntOption('--limit <n>', 'at most this many').default(20))
    .option('--all', 'every study (follows the pages to the end)')
    .action(action(async (ctx, opts: { state?: Study['state']; limit: number; all?: boolean }) => {
      const items = await take(ctx.client.studies({ ...(opts.state ? { state: opts.state } : {}), limit: Math.min(opts.limit, 100) }), opts.all ? null : opts.limit);
      if (ctx.json) ctx.document(items);
      else if (items.length === 0) ctx.line('no studies');
      else {
        table(['ID', 'NAME', 'STATE', 'TRIALS', 'BEST', 'CREATED'],
          items.map((s) => [s.id, s.name ?? '-', s.state, String(s.trialCount), fixed(s.bestObjective), s.createdAt])).forEach(ctx.line);
      }
      return EXIT.ok;
    }));

  studies.command('create')
    .description('create a study from a JSON request (docs/api.md) and/or a preset')
    .option('--file <path>', 'the study request as JSON; - reads stdin')
    .addOption(new Option('--preset <preset>', 'a ready-made study').choices(STUDY_PRESETS))
    .option('--name <name>', 'its name')
    .option('--dataset <id>', 'a built-in name or an uploaded dataset id')
    .action(action(async (ctx, opts: { file?: string; preset?: string; name?: string; dataset?: string }) => {
      const study = await ctx.client.createStudy(await studyRequest(opts));
      ctx.show(study, () => `study ${study.id} ${study.state}: ${study.trialCount} trials on ${study.dataset} (rnnlab studies show ${study.id})`);
      return EXIT.ok;
    }));

  studies.command('show')
    .argument('<id>', 'study id')
    .description('one study: state, trial counts and the leaderboard')
    .action(action(async (ctx, id: string) => {
      const study = await ctx.client.study(id);
      ctx.show(study, () => studyBlock(study));
      return EXIT.ok;
    }));

  studies.command('metrics')
    .argument('<id>', 'study id')
    .description('every trial\'s epochs')
    .action(action(async (ctx, id: string) => {
      const m = await ctx.client.studyMetrics(id);
      if (ctx.json) ctx.document(m);
      else {
        table(['TRIAL', 'JOB', 'STATUS', 'EPOCHS', 'PERPLEXITY', 'PARAMS'], m.items.map((t) => [String(t.index), t.jobId, t.status,
          String(t.metrics.length), fixed(t.metrics.at(-1)?.trainPerplexity), params(t.params)])).forEach(ctx.line);
      }
      return EXIT.ok;
    }));

  studies.command('cancel')
    .argument('<id>', 'study id')
    .description('cancel a study and its unfinished trials')
    .action(action(async (ctx, id: string) => {
      const study = await ctx.client.cancelStudy(id);
      ctx.show(study, () => `study ${study.id} ${study.state}`);
      return EXIT.ok;
    }));
}
