import type { UiError } from '../ipc';

/** A form field a refusal of the core can be about. */
export type ProblemField = 'amount' | 'interval';

/**
 * Which field the core's refusal of a form is about, by its problem code
 * (`amount`, `interval`), so the form shows it next to that field (and marks
 * it invalid) instead of far below; `null` for anything else (the wallet not
 * answering, say).
 */
export function problemField(error: UiError | null): ProblemField | null {
  if (error?.problem === 'amount' || error?.problem === 'interval') return error.problem;
  return null;
}
