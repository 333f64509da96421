// @rnnlab/client: a typed client of the rnnlab API. Its types are generated from the API's OpenAPI
// document (`npm run client:generate`); a test keeps them equal to what the API publishes.
export { RnnlabClient, createRnnlabClient, isFinished, type ClientOptions, type FollowOptions, type ExportQuery, type ExportedModel, type GenerateOptions } from './client.ts';
export { ApiError, NetworkError, apiErrorFrom, parseField, type FieldLocation } from './errors.ts';
export { isRetryable, retryingFetch, type RetryOptions } from './retry.ts';
export type * from './types.ts';
export type { paths } from './generated/api.ts';
