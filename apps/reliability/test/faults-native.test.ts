// The fault suite (support/fault-suite.ts) on the native engine, which trains tinyJob several times
// faster than tfjs: a wider model over more tokens keeps an epoch near a second, so that a fault timed
// "after epoch 2" still lands mid-run.
import { faultSuite } from './support/fault-suite.ts';
import { tinyJob } from './support/runs.ts';

faultSuite({
  engine: 'native',
  job: (training = {}) => tinyJob({ maxTokens: 12_000, ...training }, { model: { hiddenSize: 96 } }),
  prefix: 'rnnlab-rel-faults-native',
});
