// The whole service for tests that drive it from outside, as a client would: a throwaway database,
// a private queue prefix, the API process and one worker process; `close()` removes all of it.
import { createTestDatabase } from './database.ts';
import { spawnApi, spawnWorker, type ApiProcess, type WorkerProcess } from './processes.ts';
import { deleteKeys, testQueuePrefix } from './redis.ts';

export interface ServiceStack {
  api: ApiProcess;
  worker: WorkerProcess;
  /** The API's base URL. */
  url: string;
  close(): Promise<void>;
}

/** `name` labels the database and queue prefix; `apiEnv` goes to the API only (API_KEYS, limits). */
export async function startServiceStack(name: string, apiEnv: Record<string, string> = {}): Promise<ServiceStack> {
  const database = await createTestDatabase(name);
  const prefix = testQueuePrefix(name);
  const service = { DATABASE_URL: database.url, QUEUE_PREFIX: prefix };
  let api: ApiProcess | undefined;
  let worker: WorkerProcess | undefined;
  const close = async () => {
    await worker?.kill('SIGKILL');
    await api?.kill('SIGTERM');
    await deleteKeys(`${prefix}:*`);
    await database.drop();
  };
  try {
    api = await spawnApi({ ...service, LOG_LEVEL: 'warn', ...apiEnv });
    worker = await spawnWorker(service);
  } catch (error) {
    await close();
    throw error;
  }
  return { api, worker, url: api.url, close };
}
