// Filling blanks in a text. Two ways, chosen by what the model was trained to predict:
// - a cloze model (bidirectional, objective 'cloze') gives each blank's distribution from both sides
//   of it in one forward pass; a run of blanks is filled by iterative refinement: left to right, then
//   each blank again given all the others' current fills, until a round changes nothing. The model
//   gives conditionals p(x_t | the rest), not a joint probability, so refining each blank against the
//   others (coordinate ascent, as Mask-Predict does) is what it can do;
// - a language model (objective 'next') scores the whole text for each candidate — one forward pass
//   per vocabulary entry, batched — which is exact for one blank. A run of blanks is filled by beam
//   search left to right (the text's likelihood up to the blank decides which partial fills survive),
//   and the last blank of the run ranks the surviving fills by the likelihood of the whole text, right
//   context included: the language model's joint probability is what beam search approximates.
// Either way, each blank's candidates are its distribution given every other blank as filled.
import * as tf from '@tensorflow/tfjs';
import type { Tokenizer } from '../data/preprocess.ts';
import type { Vocab } from '../data/vocab.ts';
import { ConfigError } from '../errors.ts';
import type { Network, PreparedNetwork } from '../model/network.ts';
import { oneHotLabels } from '../train/loss.ts';

/** Characters of context read on each side of a blank: bounds the work per blank whatever the text's length. */
export const INFILL_CONTEXT = 40;
/** Blanks one request may hold: each costs forward passes. */
export const MAX_BLANKS = 32;
/** Partial fills a language model's beam keeps between the blanks of a run. */
const BEAM = 4;
/** Refinement rounds of a cloze model at most. */
const ROUNDS = 4;

export interface InfillOptions {
  /** Characters of the model's vocabulary and blanks; lowercased first for the d2l tokenizer. */
  text: string;
  /** The one character that marks a blank; default `_`. */
  blank?: string;
  /** Candidates reported per blank; default 5. */
  topK?: number;
  /** false: only fill (a language model then skips each blank's distribution given the others); default true. */
  candidates?: boolean;
}

export interface InfillCandidate {
  char: string;
  probability: number;
}

export interface InfillBlank {
  /** Position in the text, in characters (code points). */
  index: number;
  char: string;
  /** Most likely first: the blank's distribution given every other blank as filled. */
  candidates: InfillCandidate[];
}

export interface InfillResult {
  text: string;
  blanks: InfillBlank[];
  /** cloze: scored from both sides; language-model: the whole text scored per candidate. */
  method: 'cloze' | 'language-model';
}

const BLANK = -1;

interface Parsed {
  chars: string[];
  /** Vocabulary ids; BLANK at blanks. */
  ids: Int32Array;
  blanks: number[];
  topK: number;
}

function parse(vocab: Vocab, tokenizer: Tokenizer, o: InfillOptions): Parsed {
  const blank = o.blank ?? '_';
  if (Array.from(blank).length !== 1) throw new ConfigError('blank', `must be exactly one character (got ${JSON.stringify(blank)})`);
  if (vocab.has(blank)) throw new ConfigError('blank', `${JSON.stringify(blank)} is a character of the model's vocabulary; choose another`);
  // The d2l tokenizer lowercased the corpus; other preprocessing would turn the blank into a space.
  const chars = Array.from(tokenizer === 'd2l' ? o.text.toLowerCase() : o.text);
  const blanks = chars.flatMap((c, i) => (c === blank ? [i] : []));
  if (blanks.length === 0) throw new ConfigError('text', `has no blank (${JSON.stringify(blank)})`);
  if (blanks.length > MAX_BLANKS) throw new ConfigError('text', `has ${blanks.length} blanks; at most ${MAX_BLANKS}`);
  const unknown = [...new Set(chars.filter((c) => c !== blank && !vocab.has(c)))];
  if (unknown.length > 0) throw new ConfigError('text', `has characters outside the model's vocabulary: ${JSON.stringify(unknown.join(''))}`);
  const topK = o.topK ?? 5;
  if (!Number.isInteger(topK) || topK < 1) throw new ConfigError('topK', `must be an integer ≥ 1 (got ${topK})`);
  const ids = Int32Array.from(chars, (c) => (c === blank ? BLANK : vocab.indexOf(c)));
  return { chars, ids, blanks, topK };
}

/** Runs of consecutive blanks as [start, end) position pairs. */
function runsOf(blanks: readonly number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const b of blanks) {
    const last = runs.at(-1);
    if (last && last[1] === b) last[1] = b + 1;
    else runs.push([b, b + 1]);
  }
  return runs;
}

/** Softmax over the candidates (every id but <unk>, id 0), from scores indexed by id. */
function normalise(scores: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 1; i < scores.length; i++) max = Math.max(max, scores[i] as number);
  const p = new Float64Array(scores.length);
  let sum = 0;
  for (let i = 1; i < scores.length; i++) sum += p[i] = Math.exp((scores[i] as number) - max);
  for (let i = 1; i < p.length; i++) p[i] = (p[i] as number) / sum;
  return p;
}

const best = (p: Float64Array): number => p.reduce((b, v, i) => (v > (p[b] as number) ? i : b), 1);

function candidates(p: Float64Array, vocab: Vocab, topK: number): InfillCandidate[] {
  return Array.from(p.keys()).slice(1).sort((a, b) => (p[b] as number) - (p[a] as number)).slice(0, topK)
    .map((id) => ({ char: vocab.decode([id]), probability: p[id] as number }));
}

/** Logits `[steps·batch, vocab]` of `rows` (each a window of equal length) from zero state. */
function logitsOf(network: Network, prepared: PreparedNetwork, rows: readonly Int32Array[]): tf.Tensor2D {
  const steps = rows[0]?.length ?? 0;
  const x = new Int32Array(rows.length * steps);
  rows.forEach((r, b) => x.set(r, b * steps));
  return network.forward(prepared, x, rows.length, steps, network.zeroState(rows.length), { record: false, dropout: null }).logits as tf.Tensor2D;
}

// --- cloze models ---------------------------------------------------------------------------------

/** Blank t's scores by id from both sides, the other positions as `ids` holds them now. */
function clozeScores(network: Network, prepared: PreparedNetwork, ids: Int32Array, t: number): Float32Array {
  const lo = Math.max(0, t - INFILL_CONTEXT);
  const hi = Math.min(ids.length, t + INFILL_CONTEXT + 1);
  // The logits at t never read x_t (model/cloze.ts): any id may stand there.
  const window = ids.slice(lo, hi).map((id) => Math.max(id, 0));
  return tf.tidy(() => {
    const logits = logitsOf(network, prepared, [window]);
    return tf.slice(logits, [t - lo, 0], [1, -1]).dataSync() as Float32Array;
  });
}

function fillCloze(network: Network, prepared: PreparedNetwork, parsed: Parsed): Float64Array[] {
  const { ids, blanks } = parsed;
  const dist: Float64Array[] = [];
  // Left to right: each blank sees the fills before it (and not yet those after it).
  blanks.forEach((t, i) => {
    dist[i] = normalise(clozeScores(network, prepared, ids, t));
    ids[t] = best(dist[i] as Float64Array);
  });
  for (let round = 0; round < ROUNDS && blanks.length > 1; round++) {
    let changed = false;
    blanks.forEach((t, i) => {
      dist[i] = normalise(clozeScores(network, prepared, ids, t));
      const id = best(dist[i] as Float64Array);
      if (id !== ids[t]) changed = true;
      ids[t] = id;
    });
    if (!changed) break;
  }
  return dist;
}

// --- language models ------------------------------------------------------------------------------

/**
 * Σ log p(x_i | x_<i) over i ≥ `from` of each row (windows of equal length), `[rows]`. Position 0 of a
 * window has no prediction (no context), so it is never scored.
 */
function logLikelihoods(network: Network, prepared: PreparedNetwork, rows: readonly Int32Array[], from: number): Float32Array {
  const steps = rows[0]?.length ?? 0;
  const batch = rows.length;
  const vocab = network.spec.vocabSize;
  return tf.tidy(() => {
    const logits = logitsOf(network, prepared, rows);
    // Step j's logits predict x_{j+1}; the last step predicts past the window and is dropped.
    const y = new Int32Array(batch * steps);
    rows.forEach((r, b) => y.set([...r.subarray(1), 0], b * steps));
    const labels = oneHotLabels(y, batch, steps, vocab);
    const weights = new Float32Array(steps * batch);
    for (let j = Math.max(from - 1, 0); j < steps - 1; j++) weights.fill(1, j * batch, (j + 1) * batch);
    const picked = tf.sum(tf.mul(tf.logSoftmax(logits), labels), 1); // [steps·batch]
    const weighted = tf.reshape(tf.mul(picked, tf.tensor1d(weights)), [steps, batch]);
    return tf.sum(weighted, 0).dataSync() as Float32Array;
  });
}

interface Hypothesis {
  fill: number[];
  score: number;
}

/**
 * Beam search over the run [a, b): `ids` holds the text with every earlier blank filled; the window
 * reaches INFILL_CONTEXT characters to the left and to the right, stopping before a later blank.
 * Returns the best fill and, for the run's last blank, its scores by id under the best prefix.
 */
function fillRun(network: Network, prepared: PreparedNetwork, ids: Int32Array, a: number, b: number): { fill: number[]; lastScores: Float64Array } {
  const V = network.spec.vocabSize;
  const lo = Math.max(0, a - INFILL_CONTEXT);
  let hi = Math.min(ids.length, b + INFILL_CONTEXT);
  for (let i = b; i < hi; i++) if (ids[i] === BLANK) hi = i;
  let beam: Hypothesis[] = [{ fill: [], score: 0 }];
  let lastScores = new Float64Array(V).fill(-Infinity);
  for (let t = a; t < b; t++) {
    const last = t === b - 1;
    const end = last ? hi : t + 1;
    const expansions: Hypothesis[] = [];
    const rows: Int32Array[] = [];
    for (const h of beam) {
      for (let c = 1; c < V; c++) {
        const row = ids.slice(lo, end);
        [...h.fill, c].forEach((id, k) => (row[a + k - lo] = id));
        rows.push(row);
        expansions.push({ fill: [...h.fill, c], score: 0 });
      }
    }
    const scores = logLikelihoods(network, prepared, rows, a - lo);
    expansions.forEach((e, i) => (e.score = scores[i] as number));
    expansions.sort((x, y) => y.score - x.score);
    if (last) {
      const top = expansions[0] as Hypothesis;
      // The last blank's scores, its run's earlier blanks fixed as the best fill has them.
      const same = (e: Hypothesis) => e.fill.slice(0, -1).every((id, k) => id === top.fill[k]);
      lastScores = new Float64Array(V).fill(-Infinity);
      for (const e of expansions) if (same(e)) lastScores[e.fill.at(-1) as number] = e.score;
    }
    beam = expansions.slice(0, BEAM);
  }
  return { fill: (beam[0] as Hypothesis).fill, lastScores };
}

/** Blank t's scores by id: the likelihood of the text around it with each candidate there (the rest filled). */
function conditionalScores(network: Network, prepared: PreparedNetwork, ids: Int32Array, t: number): Float64Array {
  const V = network.spec.vocabSize;
  const lo = Math.max(0, t - INFILL_CONTEXT);
  const hi = Math.min(ids.length, t + 1 + INFILL_CONTEXT);
  const rows = Array.from({ length: V - 1 }, (_, k) => {
    const row = ids.slice(lo, hi);
    row[t - lo] = k + 1;
    return row;
  });
  const scores = logLikelihoods(network, prepared, rows, t - lo);
  const out = new Float64Array(V).fill(-Infinity);
  scores.forEach((s, k) => (out[k + 1] = s));
  return out;
}

function fillLanguageModel(network: Network, prepared: PreparedNetwork, parsed: Parsed, withCandidates: boolean): Float64Array[] {
  const { ids, blanks } = parsed;
  const lastScores = new Map<number, Float64Array>();
  for (const [a, b] of runsOf(blanks)) {
    const run = fillRun(network, prepared, ids, a, b);
    run.fill.forEach((id, k) => (ids[a + k] = id));
    lastScores.set(b - 1, run.lastScores);
  }
  // A lone blank's scores from the search are already its exact distribution given the rest.
  if (!withCandidates) return blanks.map(() => new Float64Array(network.spec.vocabSize));
  return blanks.map((t) => {
    const lone = !blanks.includes(t - 1) && !blanks.some((u) => u > t && u <= t + INFILL_CONTEXT);
    return normalise(lone ? (lastScores.get(t) as Float64Array) : conditionalScores(network, prepared, ids, t));
  });
}

/** Fills every blank of `options.text`; throws a ConfigError naming `text`, `blank` or `topK` for bad input. */
export function infillText(network: Network, vocab: Vocab, tokenizer: Tokenizer, options: InfillOptions, prepared: PreparedNetwork): InfillResult {
  const parsed = parse(vocab, tokenizer, options);
  const cloze = network.spec.cloze;
  const withCandidates = options.candidates ?? true;
  const dist = cloze ? fillCloze(network, prepared, parsed) : fillLanguageModel(network, prepared, parsed, withCandidates);
  const chars = [...parsed.chars];
  const blanks = parsed.blanks.map((t, i) => {
    const char = vocab.decode([parsed.ids[t] as number]);
    chars[t] = char;
    return { index: t, char, candidates: withCandidates ? candidates(dist[i] as Float64Array, vocab, parsed.topK) : [] };
  });
  return { text: chars.join(''), blanks, method: cloze ? 'cloze' : 'language-model' };
}
