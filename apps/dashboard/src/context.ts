// What every view gets: the API client, the one poller, and state that outlives a view.
import type { Api } from './api.ts';
import type { Poller } from './poller.ts';
import { JobTracker } from './tracker.ts';
import type { Job } from './types.ts';

export interface Route {
  /** First path segment after `#/`: '' (jobs), 'jobs', 'compare', 'new'. */
  name: string;
  id: string | null;
  query: URLSearchParams;
}

export interface Ctx {
  api: Api;
  poller: Poller;
  pollMs: number;
  /** The latest job objects seen in list polls, so a view can draw before its first poll. */
  jobs: Map<string, Job>;
  /** Jobs ticked for comparison in the table; survives view changes. */
  selection: Set<string>;
  tracker(id: string): JobTracker;
  navigate(hash: string): void;
}

/** A view draws into `root`, registers its poll tasks, and returns a function that undoes both. */
export type View = (ctx: Ctx, root: HTMLElement, route: Route) => () => void;

export function createTrackers(): (id: string) => JobTracker {
  const trackers = new Map<string, JobTracker>();
  return (id) => {
    let tracker = trackers.get(id);
    if (!tracker) {
      tracker = new JobTracker(id);
      trackers.set(id, tracker);
    }
    return tracker;
  };
}

/** `#/jobs/abc?x=1` → { name: 'jobs', id: 'abc', query: x=1 }. */
export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  const [name = '', id = null] = path.split('/').filter(Boolean).map(safeDecode);
  return { name, id, query };
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
