// ops: what the dashboard shows at the top — queue depth, jobs by status, the workers.
import type { Command } from 'commander';
import { EXIT } from '../exit-codes.ts';
import { table } from '../format.ts';
import { action } from '../run.ts';

export function registerOpsCommand(program: Command): void {
  program.command('ops')
    .description('queue depth, jobs by status and the workers with their current job')
    .action(action(async (ctx) => {
      const s = await ctx.client.opsSummary();
      if (ctx.json) {
        ctx.document(s);
        return EXIT.ok;
      }
      ctx.line(`queue  ${Object.entries(s.queue).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      ctx.line(`jobs   ${Object.entries(s.jobs).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      table(['WORKER', 'HOST', 'BACKEND', 'DEVICE', 'JOB', 'LAST SEEN'],
        s.workers.map((w) => [w.id, w.host ?? '-', w.backend ?? '-', w.device ?? '-', w.currentJobId ?? '-', w.lastSeenAt ?? '-'])).forEach(ctx.line);
      return EXIT.ok;
    }));
}
