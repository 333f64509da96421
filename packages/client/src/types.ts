// Names for the request and response bodies, all derived from the generated `paths`, so they follow
// the API's document whether it names its schemas or inlines them.
import type { paths } from './generated/api.ts';

type Operation<P extends keyof paths, M extends keyof paths[P]> = NonNullable<paths[P][M]>;
type JsonContent<R> = R extends { content: { 'application/json': infer T } } ? T : never;

/** The JSON body of the `S` response of `M P`. */
export type ResponseBody<P extends keyof paths, M extends keyof paths[P], S extends number> =
  Operation<P, M> extends { responses: infer R } ? (S extends keyof R ? JsonContent<R[S]> : never) : never;
/** The JSON request body of `M P`. */
export type RequestBody<P extends keyof paths, M extends keyof paths[P]> =
  Operation<P, M> extends { requestBody?: infer B } ? JsonContent<NonNullable<B>> : never;
/** The query parameters of `M P`. */
export type Query<P extends keyof paths, M extends keyof paths[P]> =
  Operation<P, M> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

export type Job = ResponseBody<'/v1/jobs/{id}', 'get', 200>;
export type JobRequest = RequestBody<'/v1/jobs', 'post'>;
export type JobStatus = Job['status'];
export type JobListQuery = Query<'/v1/jobs', 'get'>;
export type EpochMetric = ResponseBody<'/v1/jobs/{id}/metrics', 'get', 200>['items'][number];
export type Sample = ResponseBody<'/v1/jobs/{id}/samples', 'get', 200>['items'][number];
export type Checkpoint = ResponseBody<'/v1/jobs/{id}/checkpoints', 'get', 200>['items'][number];
export type Dataset = ResponseBody<'/v1/datasets/{id}', 'get', 200>;
export type GenerateRequest = RequestBody<'/v1/jobs/{id}/generate', 'post'>;
export type GenerateResponse = ResponseBody<'/v1/jobs/{id}/generate', 'post', 200>;
export type InfillRequest = RequestBody<'/v1/jobs/{id}/infill', 'post'>;
export type InfillResponse = ResponseBody<'/v1/jobs/{id}/infill', 'post', 200>;
export type OpsSummary = ResponseBody<'/v1/ops/summary', 'get', 200>;
export type StudyRequest = RequestBody<'/v1/studies', 'post'>;
export type Study = ResponseBody<'/v1/studies/{id}', 'get', 200>;
export type StudySummary = ResponseBody<'/v1/studies', 'get', 200>['items'][number];
export type StudyListQuery = Query<'/v1/studies', 'get'>;
export type StudyMetrics = ResponseBody<'/v1/studies/{id}/metrics', 'get', 200>;
