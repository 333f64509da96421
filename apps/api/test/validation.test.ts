// Every validation rule in docs/api.md, each sent as a bad value: a 400 whose message names the field,
// and no row written. The good edge of each range is accepted, so the bound sits exactly where
// the contract puts it.
import { ARCHS } from '@rnnlab/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, tinyJob, type TestApp } from './helpers.ts';

let t: TestApp;
beforeAll(async () => { t = await createTestApp({ RATE_LIMIT_SUBMIT_PER_MIN: '100000', RATE_LIMIT_GENERATE_PER_MIN: '100000' }); });
afterAll(async () => { await t.close(); });

const count = () => t.services.db.job.count();
const withModel = (model: object) => tinyJob({ model: { hiddenSize: 8, ...model } });
const withTraining = (training: object) => tinyJob({ training: { epochs: 2, batchSize: 4, numSteps: 5, maxTokens: 500, ...training } });

const rejected: Array<[string, object, string]> = [
  ['arch', { arch: 'cnn' }, `body/arch must be one of ${ARCHS.join(', ')}`],
  ['name too long', tinyJob({ name: 'x'.repeat(101) }), 'body/name must NOT have more than 100 characters'],
  ['name not a string', tinyJob({ name: 5 }), 'body/name must be string'],
  ['dataset empty', tinyJob({ dataset: '' }), 'body/dataset must NOT have fewer than 1 characters'],
  ['priority low', tinyJob({ priority: 0 }), 'body/priority must be >= 1'],
  ['priority high', tinyJob({ priority: 11 }), 'body/priority must be <= 10'],
  ['priority fractional', tinyJob({ priority: 1.5 }), 'body/priority must be integer'],
  ['hiddenSize low', withModel({ hiddenSize: 0 }), 'body/model/hiddenSize must be >= 1'],
  ['hiddenSize high', withModel({ hiddenSize: 4097 }), 'body/model/hiddenSize must be <= 4096'],
  ['numLayers low', withModel({ numLayers: 0 }), 'body/model/numLayers must be >= 1'],
  ['numLayers high', withModel({ numLayers: 9 }), 'body/model/numLayers must be <= 8'],
  ['cell', tinyJob({ arch: 'deep', model: { hiddenSize: 8, cell: 'transformer' } }), 'body/model/cell must be one of rnn, gru, lstm'],
  ['gru reset gate', tinyJob({ arch: 'gru', model: { hiddenSize: 8, gruResetGate: 'middle' } }), 'body/model/gruResetGate must be one of before, after'],
  ['dropout low', withModel({ dropout: -0.1 }), 'body/model/dropout must be >= 0'],
  ['dropout high', withModel({ dropout: 0.91 }), 'body/model/dropout must be <= 0.9'],
  ['model unknown', withModel({ embedding: 16 }), 'body/model/embedding is not allowed'],
  ['epochs low', withTraining({ epochs: 0 }), 'body/training/epochs must be >= 1'],
  ['epochs high', withTraining({ epochs: 100_001 }), 'body/training/epochs must be <= 100000'],
  ['batchSize low', withTraining({ batchSize: 0 }), 'body/training/batchSize must be >= 1'],
  ['batchSize high', withTraining({ batchSize: 4097 }), 'body/training/batchSize must be <= 4096'],
  ['numSteps low', withTraining({ numSteps: 0 }), 'body/training/numSteps must be >= 1'],
  ['numSteps high', withTraining({ numSteps: 1001 }), 'body/training/numSteps must be <= 1000'],
  ['learningRate zero', withTraining({ learningRate: 0 }), 'body/training/learningRate must be > 0'],
  ['learningRate string', withTraining({ learningRate: '1' }), 'body/training/learningRate must be number'],
  ['optimizer', withTraining({ optimizer: 'rmsprop' }), 'body/training/optimizer must be one of sgd, adam'],
  ['gradClipNorm zero', withTraining({ gradClipNorm: 0 }), 'body/training/gradClipNorm must be > 0'],
  ['sampling', withTraining({ sampling: 'shuffled' }), 'body/training/sampling must be one of sequential, random'],
  ['maxTokens', withTraining({ maxTokens: 1 }), 'body/training/maxTokens must be >= 2'],
  ['validationFraction low', withTraining({ validationFraction: -0.1 }), 'body/training/validationFraction must be >= 0'],
  ['validationFraction high', withTraining({ validationFraction: 0.51 }), 'body/training/validationFraction must be <= 0.5'],
  ['seed', withTraining({ seed: -1 }), 'body/training/seed must be >= 0'],
  ['checkpointEvery', withTraining({ checkpointEvery: 0 }), 'body/training/checkpointEvery must be >= 1'],
  ['checkpointEvery high', withTraining({ checkpointEvery: 100_001 }), 'body/training/checkpointEvery must be <= 100000'],
  ['sampleEvery high', withTraining({ sampleEvery: 100_001 }), 'body/training/sampleEvery must be <= 100000'],
  ['seed high', withTraining({ seed: 2 ** 31 }), 'body/training/seed must be <= 2147483647'],
  ['maxTokens high', withTraining({ maxTokens: 100_000_001 }), 'body/training/maxTokens must be <= 100000000'],
  ['name control character', tinyJob({ name: 'tab\there' }), 'body/name must not contain control characters (U+0000 to U+001F, U+007F)'],
  ['dataset not an id', tinyJob({ dataset: 'a b' }), 'body/dataset must match pattern "^[A-Za-z0-9_-]+$"'],
  ['samplePrefix', withTraining({ samplePrefix: '' }), 'body/training/samplePrefix must NOT have fewer than 1 characters'],
  ['sampleEvery', withTraining({ sampleEvery: 0 }), 'body/training/sampleEvery must be >= 1'],
  ['training unknown', withTraining({ momentum: 0.9 }), 'body/training/momentum is not allowed'],
  ['tokenizer', tinyJob({ tokenizer: 'bpe' }), 'body/tokenizer must be one of d2l, raw'],
];

describe('POST /v1/jobs validation', () => {
  it.each(rejected)('%s → 400 naming the field, no row', async (_rule, body, message) => {
    const before = await count();
    const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: body });
    expect(res.statusCode).toBe(400);
    // `field` is the path the message starts with.
    expect(res.json()).toEqual({ statusCode: 400, error: 'Bad Request', message, field: message.split(' ')[0] });
    expect(await count()).toBe(before);
  });

  it.each([
    ['edges of every range', tinyJob({ name: 'x'.repeat(100), priority: 10, model: { hiddenSize: 8, numLayers: 1, dropout: 0.9 }, training: { epochs: 1, batchSize: 4, numSteps: 5, maxTokens: 500, learningRate: 1e-6, validationFraction: 0.5, seed: 2 ** 31 - 1, checkpointEvery: 1, sampleEvery: 1, gradClipNorm: null } })],
    ['adam, random sampling, whole corpus', tinyJob({ training: { epochs: 1, batchSize: 4, numSteps: 5, optimizer: 'adam', sampling: 'random', maxTokens: null } })],
  ])('accepts %s', async (_what, body) => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: body });
    expect(res.statusCode, res.body).toBe(201);
  });
});

describe('POST /v1/jobs/{id}/generate validation', () => {
  const cases: Array<[string, object, string]> = [
    ['prefix missing', { length: 5 }, 'body/prefix is required'],
    ['prefix empty', { prefix: '' }, 'body/prefix must NOT have fewer than 1 characters'],
    ['prefix too long', { prefix: 'x'.repeat(1001) }, 'body/prefix must NOT have more than 1000 characters'],
    ['length low', { prefix: 'a', length: 0 }, 'body/length must be >= 1'],
    ['length high', { prefix: 'a', length: 2001 }, 'body/length must be <= 2000'],
    ['strategy', { prefix: 'a', strategy: 'beam' }, 'body/strategy must be one of greedy, sample'],
    ['temperature', { prefix: 'a', temperature: 0 }, 'body/temperature must be > 0'],
    ['topK', { prefix: 'a', topK: 0 }, 'body/topK must be >= 1'],
    ['topP', { prefix: 'a', topP: 1.5 }, 'body/topP must be <= 1'],
    ['checkpoint', { prefix: 'a', checkpoint: 'first' }, 'body/checkpoint must be latest, best or an epoch number from 0 to 100000'],
    ['checkpoint past any epoch', { prefix: 'a', checkpoint: 100_001 }, 'body/checkpoint must be latest, best or an epoch number from 0 to 100000'],
    ['seed high', { prefix: 'a', seed: 2 ** 31 }, 'body/seed must be <= 2147483647'],
    ['unknown', { prefix: 'a', beam: 4 }, 'body/beam is not allowed'],
  ];
  it.each(cases)('%s → 400 naming the field', async (_rule, body, message) => {
    const job = (await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: tinyJob() })).json();
    const res = await t.app.inject({ method: 'POST', url: `/v1/jobs/${job.id}/generate`, payload: body });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe(message);
  });
});
