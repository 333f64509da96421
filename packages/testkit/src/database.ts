// A throwaway Postgres database per test file, so files never see each other's rows. It lives in
// @rnnlab/db, whose own tests use it too; the apps' tests get it from here with the rest of the kit.
export { TEST_SERVER_URL, createTestDatabase, type TestDatabase } from '@rnnlab/db';
