// The submit form: architecture, dataset and hyperparameters prefilled with d2l's defaults. Its fields,
// labels, hints and defaults come from the spec (@rnnlab/contracts/spec), so a field added there shows
// here. The server validates; the error's `field` member says which field to show its message next to.
import {
  ARCH_FIELD, ARCH_TABLE, CONFIG_FIELDS, DEFAULT_DATASET, fieldDefault, PRIORITY, type Arch, type FieldSpec,
} from '@rnnlab/contracts/spec';
import type { View } from '../context.ts';
import { fill, h, setText } from '../dom.ts';
import { clearErrors, field, input, numberValue, select, showRequestError } from '../form.ts';
import { rate } from '../format.ts';
import type { JobRequest, StudyRequest } from '../types.ts';

type Kind = 'int' | 'float' | 'text' | 'choice';
type Value = string | number | null;

interface Spec {
  path: string;
  label: string;
  kind: Kind;
  /** d2l's default, which may depend on the architecture. */
  value: Value | ((arch: Arch) => Value);
  choices?: readonly string[];
  /** An empty box sends null (e.g. no gradient clipping) instead of leaving the field out. */
  nullable?: boolean;
  hint?: string;
}

const KINDS = { int: 'int', number: 'float', choice: 'choice', text: 'text' } as const satisfies Record<FieldSpec['kind'], Kind>;

/** A form field for a field of the spec. */
const fromSpec = (path: string, spec: FieldSpec): Spec => ({
  path,
  label: spec.label,
  kind: KINDS[spec.kind],
  value: (arch) => fieldDefault<Value>(spec, arch),
  choices: spec.kind === 'choice' ? spec.values : undefined,
  nullable: (spec.kind === 'int' || spec.kind === 'number') && spec.nullable === true,
  hint: spec.description,
});

const configFields = (section: 'model' | 'training' | null, advanced: boolean) =>
  CONFIG_FIELDS.filter((f) => f.section === section && (f.spec.advanced === true) === advanced).map((f) => fromSpec(f.path, f.spec));

const BASICS: Spec[] = [
  { path: 'name', label: 'Name', kind: 'text', value: '', hint: 'Optional, up to 100 characters' },
  { ...fromSpec('arch', ARCH_FIELD), hint: undefined },
  { path: 'dataset', label: 'Dataset', kind: 'choice', value: DEFAULT_DATASET, choices: [DEFAULT_DATASET] },
  ...configFields(null, false),
];
const MODEL: Spec[] = configFields('model', false);
const TRAINING: Spec[] = configFields('training', false);
const ADVANCED: Spec[] = [...configFields('training', true), fromSpec('priority', PRIORITY)];
const SPECS = [...BASICS, ...MODEL, ...TRAINING, ...ADVANCED];

export const mountSubmit: View = (ctx, root) => {
  document.title = 'New job · rnnlab';
  const controls = new Map<string, HTMLInputElement | HTMLSelectElement>();
  const touched = new Set<string>();
  let idempotencyKey: string | null = null;

  const fieldFor = (spec: Spec): HTMLElement => {
    const initial = typeof spec.value === 'function' ? spec.value(ARCH_FIELD.default) : spec.value;
    const control =
      spec.kind === 'choice'
        ? select(spec.choices ?? [], String(initial))
        : spec.kind === 'text'
          ? input('text', initial)
          : input('number', initial, { step: spec.kind === 'int' ? 1 : 'any' });
    controls.set(spec.path, control);
    control.addEventListener('input', () => {
      touched.add(spec.path);
      idempotencyKey = null; // a changed form is a different request
    });
    return field(spec.label, control, { path: spec.path, hint: spec.hint });
  };

  const button = h('button', { type: 'submit', class: 'button primary' }, 'Submit job');
  const general = h('div', { class: 'form-error', role: 'alert', 'data-testid': 'form-error' });
  const form = h(
    'form',
    { class: 'submit-form', novalidate: true, 'data-testid': 'submit-form' },
    h('fieldset', {}, h('legend', {}, 'Run'), h('div', { class: 'grid' }, ...BASICS.map(fieldFor))),
    h('fieldset', {}, h('legend', {}, 'Model'), h('div', { class: 'grid' }, ...MODEL.map(fieldFor))),
    h('fieldset', {}, h('legend', {}, 'Training'), h('div', { class: 'grid' }, ...TRAINING.map(fieldFor))),
    h('details', {}, h('summary', {}, 'Advanced'), h('div', { class: 'grid' }, ...ADVANCED.map(fieldFor))),
    h('div', { class: 'form-actions' }, button, general),
  );
  fill(root, h('section', { class: 'card form-card' }, h('div', { class: 'toolbar' }, h('h1', {}, 'New training job')), h('p', { class: 'muted' }, 'Defaults follow d2l’s setup (chapters 8–9).'), form));

  const archControl = controls.get('arch') as HTMLSelectElement;
  const datasetControl = controls.get('dataset') as HTMLSelectElement;
  const syncArch = () => {
    const arch = archControl.value as Arch;
    // Defaults that depend on the architecture follow it until the user edits them.
    for (const spec of SPECS) {
      const control = controls.get(spec.path);
      if (control && typeof spec.value === 'function' && !touched.has(spec.path)) control.value = String(spec.value(arch));
    }
    const cell = controls.get('model.cell');
    if (cell) cell.disabled = ARCH_TABLE[arch].fixedCell !== null;
  };
  archControl.addEventListener('change', syncArch);
  syncArch();

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    setText(general, '');
    const body = readBody(form, controls);
    if (!body) return setText(general, 'Please fix the highlighted field.');
    idempotencyKey ??= uuid();
    button.disabled = true;
    setText(button, 'Submitting…');
    try {
      const job = await ctx.api.submit(body, idempotencyKey);
      ctx.jobs.set(job.id, job);
      ctx.navigate(`#/jobs/${encodeURIComponent(job.id)}`);
    } catch (error) {
      showRequestError(form, general, error);
      button.disabled = false;
      setText(button, 'Submit job');
    }
  });

  // A study from the same form: the chapter's comparison with the fields edited here, or a sweep of one field.
  const sweepable = SPECS.filter((spec) => spec.kind !== 'text' && (spec.path.startsWith('model.') || spec.path.startsWith('training.')));
  const sweepField = select(sweepable.map((spec) => spec.path), 'training.learningRate', Object.fromEntries(sweepable.map((spec) => [spec.path, spec.label])));
  const sweepValues = input('text', '0.5, 1, 2', { 'aria-label': 'values to try' });
  const parallel = input('number', 4, { step: 1, min: 1, 'aria-label': 'trials at once' });
  const studyError = h('div', { class: 'form-error', role: 'alert', 'data-testid': 'study-error' });
  const compareButton = h('button', { type: 'button', class: 'button', 'data-testid': 'compare-architectures' }, 'Compare architectures');
  const sweepButton = h('button', { type: 'button', class: 'button', 'data-testid': 'sweep-field' }, 'Sweep this field');
  root.append(h(
    'section',
    { class: 'card form-card', 'data-testid': 'study-form' },
    h('h2', {}, 'Or run a study from this form'),
    h('p', { class: 'muted' }, 'Compare architectures: the five models at d2l’s configs, with the fields you edited above. Sweep: one job per value of the chosen field, the rest as above.'),
    h('div', { class: 'grid' }, field('Field to sweep', sweepField, { path: 'sweep.field' }), field('Values (comma-separated)', sweepValues, { path: 'sweep.values' }), field('Trials at once', parallel, { path: 'maxParallel' })),
    h('div', { class: 'form-actions' }, compareButton, sweepButton, studyError),
  ));

  const createStudy = async (build: (body: JobRequest) => StudyRequest | string) => {
    clearErrors(form);
    setText(studyError, '');
    const body = readBody(form, controls);
    if (!body) return setText(studyError, 'Please fix the highlighted field.');
    const request = build(body);
    if (typeof request === 'string') return setText(studyError, request);
    try {
      const study = await ctx.api.createStudy({ ...request, maxParallel: Number(parallel.value) || 1 });
      ctx.navigate(`#/studies/${encodeURIComponent(study.id)}`);
    } catch (error) {
      showRequestError(form, studyError, error);
    }
  };
  compareButton.addEventListener('click', () => void createStudy((body) => {
    // Only what was edited: the preset gives each architecture its own defaults (layers, learning rate).
    const base: Record<string, unknown> = {};
    for (const path of touched) {
      if (path === 'arch' || path === 'name' || path === 'dataset') continue;
      const value = path.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], body);
      if (value !== undefined) setPath(base, path, value);
    }
    return { preset: 'd2l-chapter', name: body.name, dataset: body.dataset, base } as StudyRequest;
  }));
  sweepButton.addEventListener('click', () => void createStudy((body) => {
    const spec = sweepable.find((s) => s.path === sweepField.value);
    if (!spec) return 'Pick a field to sweep.';
    const raw = sweepValues.value.split(',').map((v) => v.trim()).filter((v) => v !== '');
    const values = spec.kind === 'choice' ? raw : raw.map(Number);
    if (values.length === 0 || values.some((v) => typeof v === 'number' && Number.isNaN(v))) return 'Give the values to try, separated by commas.';
    const { name, dataset, ...base } = body;
    return { name, dataset, base, space: { [spec.path.split('.').pop() as string]: values } } as StudyRequest;
  }));

  // Datasets: one request, through the poller so its interval holds across view changes.
  ctx.poller.add('datasets', async (signal) => {
    const { items } = await ctx.api.datasets(signal);
    const current = datasetControl.value;
    fill(datasetControl, ...items.map((d) => h('option', { value: d.id || d.name }, d.chars ? `${d.name} · ${rate(d.chars)} chars` : d.name)));
    if (items.some((d) => (d.id || d.name) === current)) datasetControl.value = current;
    return 'stop';
  });

  return () => ctx.poller.remove('datasets');
};

function readBody(form: HTMLElement, controls: Map<string, HTMLInputElement | HTMLSelectElement>): JobRequest | null {
  const body: Record<string, unknown> = {};
  let ok = true;
  for (const spec of SPECS) {
    const control = controls.get(spec.path);
    if (!control || control.disabled) continue;
    let value: unknown;
    if (spec.kind === 'int' || spec.kind === 'float') {
      value = numberValue(form, control as HTMLInputElement, spec.path, spec.nullable ? null : undefined);
      if (value instanceof Error) ok = false;
    } else {
      value = control.value.trim() === '' ? undefined : control.value;
    }
    if (value !== undefined && !(value instanceof Error)) setPath(body, spec.path, value);
  }
  return ok ? (body as unknown as JobRequest) : null;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  const last = parts.pop() as string;
  let node = target;
  for (const part of parts) {
    node[part] ??= {};
    node = node[part] as Record<string, unknown>;
  }
  node[last] = value;
}

/** crypto.randomUUID needs a secure context; the API may be served over plain http on a LAN. */
function uuid(): string {
  if (typeof crypto.randomUUID === 'function' && window.isSecureContext) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}
