// The fault suite (support/fault-suite.ts) on the tfjs engine: about a quarter of a second an epoch
// for tinyJob on one core, the same on every machine.
import { faultSuite } from './support/fault-suite.ts';
import { tinyJob } from './support/runs.ts';

faultSuite({ engine: 'tfjs', job: (training = {}) => tinyJob(training), prefix: 'rnnlab-rel-faults' });
