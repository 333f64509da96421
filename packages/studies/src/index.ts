// @rnnlab/studies: studies as pure functions — search-space expansion, early-stopping decisions,
// the scheduler's plan for one tick, objectives and rankings. No I/O: the API's scheduler feeds it rows.
export { SpaceError, expandSpace, parseSpace } from './space.ts';
export { MEDIAN_MIN_OTHERS, ashaBracket, ashaRungs, pruneDecision, type CurvePoint, type PruneDecision, type TrialCurve } from './pruning.ts';
export { halvingPlan, nextRung, type HalvingPlan, type HalvingTrial } from './halving.ts';
export {
  DEFAULT_EARLY_STOPPING, DEFAULT_MAX_PARALLEL, bestObjective, firstEpochLimit, planStudy, planTick, rankTrials, storedSpec, trialName, trialRequest,
  type PlannedTrial, type StudyPlan, type TickPlan, type TrialState,
} from './plan.ts';
