// Form fields with a slot for the server's message about them. A field is found by its request path
// (`training.epochs`), the same path the API's validation message names.
import { ApiError } from './api.ts';
import { h, setText } from './dom.ts';

let counter = 0;

export interface FieldOptions {
  hint?: string;
  /** Where the value goes in the request body, e.g. `training.epochs`. */
  path: string;
}

export function field(label: string, control: HTMLInputElement | HTMLSelectElement, options: FieldOptions): HTMLElement {
  counter += 1;
  control.id ||= `f${counter}-${options.path.replace(/\W/g, '-')}`;
  control.name ||= options.path;
  const error = h('div', { class: 'field-error', id: `${control.id}-error` });
  control.setAttribute('aria-describedby', error.id);
  return h(
    'div',
    { class: 'field', 'data-field': options.path },
    h('label', { for: control.id }, label),
    control,
    options.hint ? h('div', { class: 'hint' }, options.hint) : null,
    error,
  );
}

export function input(type: string, value: string | number | null, props: Record<string, string | number> = {}): HTMLInputElement {
  return h('input', { type, value: value === null ? '' : String(value), ...props });
}

export function select<T extends string>(options: readonly T[], value: T, labels: Partial<Record<T, string>> = {}): HTMLSelectElement {
  const el = h('select', {}, ...options.map((o) => h('option', { value: o }, labels[o] ?? o)));
  el.value = value;
  return el;
}

export function clearErrors(form: HTMLElement): void {
  form.querySelectorAll('.field.invalid').forEach((el) => el.classList.remove('invalid'));
  form.querySelectorAll('.field-error').forEach((el) => setText(el, ''));
  form.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
}

/** Puts a message next to the field at `path`, or the nearest enclosing one. False if none matches. */
export function showFieldError(form: HTMLElement, path: string, message: string): boolean {
  const parts = path.split('.');
  while (parts.length > 0) {
    const wrapper = form.querySelector<HTMLElement>(`.field[data-field="${CSS.escape(parts.join('.'))}"]`);
    if (wrapper) {
      wrapper.classList.add('invalid');
      const slot = wrapper.querySelector('.field-error');
      if (slot) setText(slot, message);
      wrapper.querySelector('input, select')?.setAttribute('aria-invalid', 'true');
      // A field inside a closed <details> must be visible to be fixed.
      const details = wrapper.closest('details');
      if (details) details.open = true;
      return true;
    }
    parts.pop();
  }
  return false;
}

/** Shows a failed request: next to the named field when there is one, else in `general`. */
export function showRequestError(form: HTMLElement, general: HTMLElement, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  const path = error instanceof ApiError ? error.field : null;
  // Next to its field the path is redundant: "body/training/epochs must be <= 100000" → "must be <= 100000".
  if (path && error instanceof ApiError && showFieldError(form, path, error.detail)) {
    setText(general, 'Please fix the highlighted field.');
    form.querySelector<HTMLElement>('.field.invalid input, .field.invalid select')?.focus();
    return;
  }
  setText(general, error instanceof ApiError && error.statusCode ? `${error.statusCode} ${error.error}: ${message}` : message);
}

/**
 * Reads a number field: '' gives `empty`; something the browser could not parse gives an error
 * right away (the server never sees it).
 */
export function numberValue(form: HTMLElement, el: HTMLInputElement, path: string, empty: number | null | undefined): number | null | undefined | Error {
  if (el.validity.badInput) {
    showFieldError(form, path, 'Not a number.');
    return new Error('not a number');
  }
  return el.value.trim() === '' ? empty : Number(el.value);
}
