// Commands return an exit code; this carries it out of commander's action callbacks.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { contextFor, type Context } from './context.ts';

export type Action<A extends unknown[]> = (ctx: Context, ...args: A) => Promise<number>;

export const outcome = { code: 0 };

/** A commander action that builds the context from the command's options and records the exit code. */
export function action<A extends unknown[]>(fn: Action<A>) {
  return async (...args: unknown[]) => {
    const cmd = args.at(-1) as Command;
    outcome.code = await fn(contextFor(cmd), ...(args.slice(0, -1) as A));
  };
}

/** Collects an async iterator, stopping at `limit` items when one is given. */
export async function take<T>(items: AsyncIterable<T>, limit: number | null): Promise<T[]> {
  const out: T[] = [];
  if (limit === 0) return out;
  for await (const item of items) {
    out.push(item);
    if (limit !== null && out.length >= limit) break;
  }
  return out;
}

/** A flag whose value is a positive integer. */
export function positiveIntOption(flags: string, description: string): Option {
  return new Option(flags, description).argParser((raw: string) => {
    const n = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || n < 1) throw new InvalidArgumentError('must be a positive integer');
    return n;
  });
}
