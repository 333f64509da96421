// The polling discipline, checked with fake timers: a task never runs more often than the interval,
// never overlaps itself, waits while the tab is hidden, and ends when told.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Poller, RequestGate } from '../src/poller.ts';

const INTERVAL = 1000;

/** A task that records when it started and takes `ms` to finish. */
function recorder(ms = 0) {
  const starts: number[] = [];
  let running = 0;
  let maxRunning = 0;
  const task = vi.fn(async () => {
    starts.push(Date.now());
    running += 1;
    maxRunning = Math.max(maxRunning, running);
    await new Promise((resolve) => setTimeout(resolve, ms));
    running -= 1;
  });
  return { task, starts, get maxRunning() { return maxRunning; } };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(0);
});
afterEach(() => {
  vi.useRealTimers();
});

function gaps(starts: number[]): number[] {
  return starts.slice(1).map((t, i) => t - (starts[i] ?? 0));
}

describe('Poller', () => {
  it('runs a new task at once, then once per interval', async () => {
    const poller = new Poller(INTERVAL);
    const r = recorder();
    poller.add('jobs', r.task);
    await vi.advanceTimersByTimeAsync(0);
    expect(r.starts).toEqual([0]);
    await vi.advanceTimersByTimeAsync(10 * INTERVAL);
    expect(r.starts).toHaveLength(11);
    for (const gap of gaps(r.starts)) expect(gap).toBeGreaterThanOrEqual(INTERVAL);
    poller.stop();
  });

  it('never overlaps a slow task and never fires sooner than the interval', async () => {
    const poller = new Poller(INTERVAL);
    const r = recorder(2.5 * INTERVAL);
    poller.add('slow', r.task);
    await vi.advanceTimersByTimeAsync(20 * INTERVAL);
    expect(r.maxRunning).toBe(1);
    expect(r.starts.length).toBeGreaterThanOrEqual(7);
    // the next run starts when the previous one ends (plus a timer tick): 2.5 intervals apart
    for (const gap of gaps(r.starts)) {
      expect(gap).toBeGreaterThanOrEqual(2.5 * INTERVAL);
      expect(gap).toBeLessThanOrEqual(2.5 * INTERVAL + 5);
    }
    poller.stop();
  });

  it('does not refire early when a key is removed and added again', async () => {
    const poller = new Poller(INTERVAL);
    const r = recorder();
    poller.add('job:1', r.task);
    await vi.advanceTimersByTimeAsync(300);
    poller.remove('job:1');
    poller.add('job:1', r.task); // e.g. leaving the job page and coming straight back
    await vi.advanceTimersByTimeAsync(300);
    expect(r.starts).toEqual([0]);
    await vi.advanceTimersByTimeAsync(400);
    expect(r.starts).toEqual([0, INTERVAL]);
    poller.stop();
  });

  it('keeps several tasks on their own schedules', async () => {
    const poller = new Poller(INTERVAL);
    const a = recorder();
    const b = recorder();
    poller.add('a', a.task);
    await vi.advanceTimersByTimeAsync(400);
    poller.add('b', b.task);
    await vi.advanceTimersByTimeAsync(5 * INTERVAL);
    expect(a.starts).toEqual([0, 1000, 2000, 3000, 4000, 5000]);
    expect(b.starts).toEqual([400, 1400, 2400, 3400, 4400, 5400]);
    poller.stop();
  });

  it('polls nothing while hidden and resumes at once when visible again', async () => {
    const states: string[] = [];
    const poller = new Poller(INTERVAL, { onState: (s) => states.push(s) });
    const r = recorder();
    poller.add('ops', r.task);
    await vi.advanceTimersByTimeAsync(INTERVAL + 100); // runs at 0 and 1000
    poller.setHidden(true);
    await vi.advanceTimersByTimeAsync(10 * INTERVAL);
    expect(r.starts).toEqual([0, 1000]);
    poller.setHidden(false);
    await vi.advanceTimersByTimeAsync(0);
    expect(r.starts).toEqual([0, 1000, 11_100]);
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(r.starts).toEqual([0, 1000, 11_100, 12_100]);
    expect(states).toEqual(['hidden', 'live']);
    poller.stop();
  });

  it('does not start a due task the moment it becomes visible if its interval has not passed', async () => {
    const poller = new Poller(INTERVAL);
    const r = recorder();
    poller.add('ops', r.task);
    await vi.advanceTimersByTimeAsync(200);
    poller.setHidden(true);
    poller.setHidden(false);
    await vi.advanceTimersByTimeAsync(0);
    expect(r.starts).toEqual([0]);
    await vi.advanceTimersByTimeAsync(800);
    expect(r.starts).toEqual([0, 1000]);
    poller.stop();
  });

  it('holds everything while paused', async () => {
    const poller = new Poller(INTERVAL);
    const r = recorder();
    poller.add('jobs', r.task);
    await vi.advanceTimersByTimeAsync(0);
    poller.pause();
    await vi.advanceTimersByTimeAsync(5 * INTERVAL);
    expect(r.starts).toEqual([0]);
    poller.resume();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.starts).toEqual([0, 5000]);
    poller.stop();
  });

  it('stops for good on stop(), and aborts what is in flight', async () => {
    const poller = new Poller(INTERVAL);
    let signal: AbortSignal | null = null;
    const task = vi.fn(async (s: AbortSignal) => {
      signal = s;
      await new Promise((resolve) => setTimeout(resolve, 5000));
    });
    poller.add('jobs', task);
    await vi.advanceTimersByTimeAsync(10);
    poller.stop();
    expect((signal as AbortSignal | null)?.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(20 * INTERVAL);
    expect(task).toHaveBeenCalledTimes(1);
    poller.add('again', task);
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(task).toHaveBeenCalledTimes(1);
    expect(poller.state).toBe('stopped');
  });

  it("removes a task that resolves 'stop' (a finished, caught-up job)", async () => {
    const poller = new Poller(INTERVAL);
    let runs = 0;
    poller.add('job:1', async () => {
      runs += 1;
      return runs === 3 ? 'stop' : undefined;
    });
    await vi.advanceTimersByTimeAsync(10 * INTERVAL);
    expect(runs).toBe(3);
    expect(poller.has('job:1')).toBe(false);
  });

  it('keeps polling after a failure and reports it', async () => {
    const errors: unknown[] = [];
    const poller = new Poller(INTERVAL, { onError: (_key, e) => errors.push(e) });
    let runs = 0;
    poller.add('jobs', async () => {
      runs += 1;
      if (runs === 1) throw new Error('boom');
    });
    await vi.advanceTimersByTimeAsync(2 * INTERVAL);
    expect(runs).toBe(3);
    expect(errors).toHaveLength(1);
    poller.stop();
  });
});

describe('RequestGate', () => {
  /** How the Api sends through the gate: wait for the turn, then mark and send in one step. */
  async function send(gate: RequestGate, kind: string, log: number[]): Promise<void> {
    while (gate.delay(kind) > 0) await gate.turn(kind);
    gate.mark(kind);
    log.push(Date.now());
  }

  it('spaces requests of one kind by the interval, and leaves other kinds alone', async () => {
    const gate = new RequestGate(INTERVAL);
    const a: number[] = [];
    const b: number[] = [];
    void send(gate, 'a', a);
    void send(gate, 'a', a);
    void send(gate, 'b', b);
    await vi.advanceTimersByTimeAsync(300);
    void send(gate, 'a', a);
    await vi.advanceTimersByTimeAsync(5 * INTERVAL);
    expect(a).toEqual([0, 1000, 2000]);
    expect(b).toEqual([0]);
  });

  it('gives up waiting when aborted', async () => {
    const gate = new RequestGate(INTERVAL);
    gate.mark('a');
    expect(gate.delay('a')).toBe(INTERVAL);
    const controller = new AbortController();
    const waiting = gate.turn('a', controller.signal);
    controller.abort();
    await expect(waiting).rejects.toBeDefined();
  });
});
