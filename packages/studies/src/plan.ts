// A study request → what the scheduler follows (the spec with every default, the trial points, each
// trial's job request), and the scheduler's decisions as pure functions of what Postgres holds.
import {
  ACTIVE_STATUSES, ARCHS, ConfigConflictError, SPACE_FIELDS, resolveJobConfig,
  type EarlyStoppingConfig, type JobRequest, type JobStatus, type Objective, type RunConfig, type StudyBase,
  type StudyRequest, type StudySpec, type TrialParams,
} from '@rnnlab/contracts';
import { halvingPlan, nextRung, type HalvingPlan } from './halving.ts';
import { ashaBracket, pruneDecision, type CurvePoint, type TrialCurve } from './pruning.ts';
import { SpaceError, expandSpace } from './space.ts';

export const DEFAULT_MAX_PARALLEL = 4;
export const DEFAULT_EARLY_STOPPING: EarlyStoppingConfig = { rule: 'none', gracePeriod: 1, reductionFactor: 3, brackets: 1 };

export interface PlannedTrial {
  index: number;
  params: TrialParams;
  request: JobRequest;
  config: RunConfig;
}

export interface StudyPlan {
  spec: StudySpec;
  trials: PlannedTrial[];
}

/** A trial's job request: the base with the trial's point written into the sections its fields belong to. */
export function trialRequest(base: StudyBase, params: TrialParams, dataset: string | undefined, name: string): JobRequest {
  const top: Record<string, unknown> = {};
  const model: Record<string, unknown> = { ...base.model };
  const training: Record<string, unknown> = { ...base.training };
  for (const [field, value] of Object.entries(params)) {
    const section = SPACE_FIELDS[field]?.section;
    if (section === 'model') model[field] = value;
    else if (section === 'training') training[field] = value;
    else top[field] = value;
  }
  const request = {
    arch: base.arch, tokenizer: base.tokenizer, priority: base.priority, ...top, name, dataset,
    ...(Object.keys(model).length ? { model } : {}), ...(Object.keys(training).length ? { training } : {}),
  };
  return Object.fromEntries(Object.entries(request).filter(([, v]) => v !== undefined)) as JobRequest;
}

const describe = (params: TrialParams) => Object.entries(params).map(([k, v]) => `${k}=${String(v)}`).join(' ');

/** The job name of a trial: the study's name and the trial's point, within the job name's 100 characters. */
export function trialName(studyName: string | undefined, index: number, params: TrialParams): string {
  return `${studyName ?? 'study'} #${index} ${describe(params)}`.slice(0, 100);
}

/** Expands and checks a study request. Throws SpaceError naming the field (the API answers 400). */
export function planStudy(body: StudyRequest): StudyPlan {
  const preset = body.preset ?? null;
  if (preset) {
    for (const field of ['space', 'search', 'earlyStopping'] as const) {
      if (body[field] !== undefined) throw new SpaceError(field, `is not allowed with a preset (${preset} sets it)`);
    }
    if (body.base?.arch !== undefined) throw new SpaceError('base/arch', `is not allowed with a preset (${preset} compares every architecture)`);
  } else if (body.space === undefined) {
    throw new SpaceError('space', 'is required (or give a preset)');
  }
  const base = body.base ?? {};
  // d2l-chapter: the five architectures, each at d2l's own config for it (deep at lr 2), as the chapter.
  const space = preset ? { arch: [...ARCHS] } : body.space!;
  const search = body.search ?? 'grid';
  const points = expandSpace(space, search);
  if (base.arch === undefined && !('arch' in space)) throw new SpaceError('base/arch', 'is required unless the space names arch');

  const trials = points.map((params, index) => {
    const request = trialRequest(base, params, body.dataset, trialName(body.name, index, params));
    try {
      return { index, params, request, config: resolveJobConfig(request) };
    } catch (err) {
      if (err instanceof ConfigConflictError) throw new SpaceError(`space (trial ${index}: ${describe(params)})`, `gives ${err.message.replace(/^body\//, '')}`);
      throw err;
    }
  });
  const withoutValidation = trials.find((t) => t.config.training.validationFraction === 0);
  const objective: Objective = body.objective ?? (withoutValidation ? 'trainPerplexity' : 'validationPerplexity');
  if (objective === 'validationPerplexity' && withoutValidation) {
    throw new SpaceError('objective', `validationPerplexity needs training.validationFraction > 0, and trial ${withoutValidation.index} has none`);
  }
  const earlyStopping = { ...DEFAULT_EARLY_STOPPING, ...body.earlyStopping };
  if (earlyStopping.rule === 'sha' && earlyStopping.brackets !== 1) throw new SpaceError('earlyStopping/brackets', 'must be 1 with rule sha (brackets are asynchronous Hyperband, rule asha)');
  return {
    spec: { preset, base, space, search, objective, maxParallel: body.maxParallel ?? DEFAULT_MAX_PARALLEL, earlyStopping },
    trials,
  };
}

/** A spec as a study row holds it, with the defaults of fields added since it was written. */
export function storedSpec(json: unknown): StudySpec {
  const spec = json as StudySpec;
  return { ...spec, earlyStopping: { ...DEFAULT_EARLY_STOPPING, ...spec.earlyStopping } };
}

/** The epoch limit a trial's job is submitted with: its first rung under `sha`, else none. */
export function firstEpochLimit(spec: StudySpec, request: JobRequest): number | null {
  return spec.earlyStopping.rule === 'sha' ? nextRung(spec.earlyStopping, resolveJobConfig(request).training.epochs) : null;
}

/** What the scheduler knows of one submitted trial. */
export interface TrialState {
  index: number;
  jobId: string;
  status: JobStatus;
  epochs: number;
  epochLimit: number | null;
  pruneRequested: boolean;
  curve: CurvePoint[];
}

export interface TickPlan {
  /** Running trials to stop (median, asha). */
  prune: Array<{ jobId: string; index: number; reason: string }>;
  /** sha: paused trials that missed their rung's cut, and those that made it (within maxParallel). */
  prunePaused: HalvingPlan['prune'];
  promote: HalvingPlan['promote'];
  /** Indices of the points to submit now, in order. */
  submit: number[];
  /** Every point submitted and every trial finished. */
  finished: boolean;
}

const isActive = (s: JobStatus) => (ACTIVE_STATUSES as readonly string[]).includes(s);

/** One scheduling step: which running trials to stop, which points to submit, whether the study is done. */
export function planTick(spec: StudySpec, pointCount: number, submitted: number, trials: readonly TrialState[]): TickPlan {
  const curves: TrialCurve[] = trials.map((t) => ({ id: t.jobId, points: t.curve, epochs: t.epochs, bracket: ashaBracket(spec.earlyStopping, t.index) }));
  const prune: TickPlan['prune'] = [];
  for (const [i, t] of trials.entries()) {
    if (t.status !== 'running' || t.pruneRequested) continue;
    const d = pruneDecision(spec.earlyStopping, curves[i]!, curves);
    if (d.prune) prune.push({ jobId: t.jobId, index: t.index, reason: d.reason });
  }
  const active = trials.filter((t) => isActive(t.status)).length;
  const room = Math.max(0, spec.maxParallel - active);
  const submit = Array.from({ length: Math.min(room, pointCount - submitted) }, (_, k) => submitted + k);
  const halving = halvingPlan(spec.earlyStopping, pointCount, trials);
  const promote = halving.promote.slice(0, room - submit.length);
  const paused = trials.some((t) => t.status === 'paused');
  return { prune, prunePaused: halving.prune, promote, submit, finished: submit.length === 0 && submitted >= pointCount && active === 0 && !paused };
}

/** The best objective value over a trial's epochs and the epoch it came from (lower is better). */
export function bestObjective<M extends { epoch: number }>(metrics: readonly M[], pick: (m: M) => number | null): { value: number; epoch: number } | null {
  let best: { value: number; epoch: number } | null = null;
  for (const m of metrics) {
    const v = pick(m);
    if (v !== null && Number.isFinite(v) && (best === null || v < best.value)) best = { value: v, epoch: m.epoch };
  }
  return best;
}

/** Trials with an objective, best first (ties: the earlier trial). */
export function rankTrials<T extends { index: number; objective: number | null }>(trials: readonly T[]): Array<T & { objective: number; rank: number }> {
  return trials
    .filter((t): t is T & { objective: number } => t.objective !== null)
    .sort((a, b) => a.objective - b.objective || a.index - b.index)
    .map((t, i) => ({ ...t, rank: i + 1 }));
}
