import raw from './fixtures/words.json?raw';
import type { FlowStep, IpcError } from './bindings';

/**
 * The engine's own sentences for the test backend, written by
 * `src-tauri/crates/engine/tests/words_fixture.rs` (`npm run fixtures`) from
 * the Rust functions that make them: the mock never retypes a Rust sentence.
 * Placeholders in braces (`{host}`) are filled with {@link fill}.
 */
export interface EngineWords {
  steps: Record<FlowStep | 'waitingInBrowser' | 'proved' | 'notApproved' | 'windowClosed', string>;
  payments: Record<'quoted' | 'requoted' | 'approve' | 'sending' | 'stopped', string>;
  grantOutcomes: Record<'rejected' | 'expired' | 'cancelled', string>;
  paymentProblems: Record<'cancelled' | 'budgetSpentToday', string>;
  errors: Record<ErrorName, IpcError>;
  sandbox: {
    /** Millionths of each asset per US dollar. */
    millionthsPerUsd: Record<string, number>;
    /** The connector's spread across assets. */
    crossAssetFeeBasisPoints: number;
    /** "1 {debitAsset} ≈ {rate} {receiveAsset} (fees included)". */
    rate: string;
    /** The fee's words across assets (part of the rate). */
    feeInRate: string;
  };
}

/** The failures the fixture carries, by name. */
export type ErrorName =
  | 'amountMissing'
  | 'amountNotDecimal'
  | 'amountTooPrecise'
  | 'amountZero'
  | 'intervalInvalid'
  | 'receiverInvalid'
  | 'walletUnreachable'
  | 'walletUnavailable'
  | 'walletSlow'
  | 'previewUnreachable'
  | 'noPublicName'
  | 'profileNotFound'
  | 'profileExists'
  | 'profileBuiltIn'
  | 'keyringUnavailable'
  | 'keyNotPem'
  | 'weakPassphrase'
  | 'needsPassphrase'
  | 'wrongPassphrase'
  | 'quoteExpired'
  | 'unknownFinish';

export const engineWords: EngineWords = JSON.parse(raw);

/** `template` with each `{name}` replaced by `values[name]`; unknown names stay as they are. */
export function fill(template: string, values: Record<string, string> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}

/** The failure `name` as the core sends it, its placeholders filled. */
export function engineError(name: ErrorName, values: Record<string, string> = {}): IpcError {
  const error = engineWords.errors[name];
  return {
    ...error,
    message: fill(error.message, values),
    details: error.details === null ? null : fill(error.details, values),
  };
}
