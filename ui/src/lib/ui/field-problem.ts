import type { UiError } from '../ipc';

/** A form field a refusal of the core can be about. */
export type ProblemField = 'amount' | 'interval';

/**
 * Which field the core's refusal of a form is about, so the form shows it
 * next to that field (and marks it invalid) instead of far below; `null`
 * for anything else (the wallet not answering, say). The core's sentences
 * for these name what they are about ("… is not an amount", "… has more
 * decimals than this asset allows", "… is not a repeating interval"); the
 * tests hold this to the engine's own words (the fixture).
 */
export function problemField(error: UiError | null): ProblemField | null {
  if (!error || (error.problem != null && error.problem !== 'invalid')) return null;
  if (/\bamount\b|\bdecimals\b/i.test(error.message)) return 'amount';
  if (/\binterval\b/i.test(error.message)) return 'interval';
  return null;
}
