// @rnnlab/testkit: what the apps' tests share below the level of any one app — where the repo and
// the corpora it ships are, a throwaway migrated database, a private queue prefix and its cleanup,
// the real API and worker processes, polling with a deadline, and the docs' code snippets.
export { CORPUS_DIR, MIGRATIONS_DIR, REPO_ROOT, TIMEMACHINE_FILE } from './paths.ts';
export { TEST_SERVER_URL, createTestDatabase, type TestDatabase } from './database.ts';
export { REDIS_URL, deleteKeys, testQueuePrefix } from './redis.ts';
export { freePort, spawnApi, spawnWorker, type ApiProcess, type Exit, type LogLine, type ServiceEnv, type ServiceProcess, type SpawnOptions, type WorkerProcess } from './processes.ts';
export { startServiceStack, type ServiceStack } from './stack.ts';
export { waitFor } from './wait.ts';
export { docSnippet, writeSnippet } from './snippets.ts';
