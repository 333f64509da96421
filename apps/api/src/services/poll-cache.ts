import { createHash } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import pg from 'pg';

/** The channel the database's triggers notify with a job's id whenever anything about the job changes. */
export const JOB_CHANGED_CHANNEL = 'rnnlab_job_changed';

/** A serialised answer and its entity tag. */
export interface Tagged {
  etag: string;
  body: string;
}

// A strong validator: the same bytes give the same tag in every API process, so a load balancer
// may send a client's polls to any of them.
export function etagOf(body: string): string {
  return `"${createHash('sha1').update(body).digest('base64url')}"`;
}

interface Entry extends Tagged {
  version: string;
}

// Bounds memory: pollers of many jobs (or of ever-growing `after=`) would otherwise keep every answer.
// Past either bound everything is dropped at once (and refilled by the next polls): simpler than an
// LRU, and a full cache means polls of thousands of answers, each re-read once.
const MAX_ENTRIES = 5_000;
const MAX_CHARS = 32 * 2 ** 20;
const RECONNECT_MS = 1_000;

/**
 * Answers to polls about a job (the job, its metrics, samples, checkpoints and continuations), kept
 * until the job changes. The database tells the API through LISTEN/NOTIFY (triggers in the migration
 * job_change_notify) on a connection of its own; while that connection is down nothing is cached, so
 * a missed notification can never leave a stale answer behind. An answer computed while a change
 * arrived is not kept: each job has a version, bumped by every notification, and an answer is kept
 * only under the version it started reading at.
 *
 * A write shows in the cached answers once its notification arrives, which is at its commit plus the
 * time to cross the socket (well under a millisecond on one host).
 */
export class PollCache {
  private readonly entries = new Map<string, Map<string, Entry>>();
  private readonly versions = new Map<string, number>();
  private size = 0;
  private chars = 0;
  /** Bumped whenever listening starts or stops: answers from another period are never served. */
  private period = 0;
  private client: pg.Client | null = null;
  private listening = false;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;
  private started = false;

  constructor(private readonly databaseUrl: string, private readonly log: FastifyBaseLogger) {}


  /** Whether answers are being kept (the notification connection is listening). */
  get active(): boolean {
    return this.listening;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.stopListening();
    await this.client?.end().catch(() => undefined);
  }

  /** The cached answer for `key` of job `jobId`, or `compute`'s, kept when nothing changed meanwhile. */
  async get(jobId: string, key: string, compute: () => Promise<string>): Promise<Tagged> {
    // Connects on the first poll, not at construction: building the app (for its OpenAPI document,
    // say) touches no database. Until LISTEN succeeds nothing is kept.
    if (!this.started) {
      this.started = true;
      void this.connect();
    }
    const version = this.versionOf(jobId);
    const hit = this.entries.get(jobId)?.get(key);
    if (hit && hit.version === version) return hit;
    const body = await compute();
    const tagged = { etag: etagOf(body), body };
    if (this.listening && this.versionOf(jobId) === version) this.keep(jobId, key, { ...tagged, version });
    return tagged;
  }

  /** The job changed: its answers are dropped and answers being computed are not kept. */
  invalidate(jobId: string): void {
    this.versions.set(jobId, (this.versions.get(jobId) ?? 0) + 1);
    const forJob = this.entries.get(jobId);
    if (forJob) {
      this.size -= forJob.size;
      for (const entry of forJob.values()) this.chars -= entry.body.length;
      this.entries.delete(jobId);
    }
    // Versions of jobs nobody asks about need not live forever; a bumped period covers the reset.
    if (this.versions.size > MAX_ENTRIES) this.clear();
  }

  private versionOf(jobId: string): string {
    return `${this.period}:${this.versions.get(jobId) ?? 0}`;
  }

  private keep(jobId: string, key: string, entry: Entry): void {
    if (this.size >= MAX_ENTRIES || this.chars + entry.body.length > MAX_CHARS) {
      this.clear(); // which also ends the period `entry` was read in: it would never be served
      return;
    }
    let forJob = this.entries.get(jobId);
    if (!forJob) this.entries.set(jobId, (forJob = new Map()));
    const old = forJob.get(key);
    if (old) this.chars -= old.body.length;
    else this.size += 1;
    this.chars += entry.body.length;
    forJob.set(key, entry);
  }

  private clear(): void {
    this.entries.clear();
    this.versions.clear();
    this.size = 0;
    this.chars = 0;
    this.period += 1;
  }

  private stopListening(): void {
    this.listening = false;
    this.clear();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.databaseUrl });
    this.client = client;
    const lost = (err?: Error) => {
      if (this.client !== client) return;
      this.client = null;
      this.stopListening();
      client.end().catch(() => undefined);
      if (this.closed) return;
      this.log.warn({ err }, 'poll cache: lost the database notification connection; caching nothing until it is back');
      this.timer = setTimeout(() => void this.connect(), RECONNECT_MS);
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (n) => {
      if (n.channel === JOB_CHANGED_CHANNEL && n.payload) this.invalidate(n.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${JOB_CHANGED_CHANNEL}`);
      if (this.client !== client) return;
      this.clear(); // whatever changed while nobody listened
      this.listening = true;
    } catch (err) {
      lost(err as Error);
    }
  }
}
