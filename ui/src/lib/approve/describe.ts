import type { GrantAction, GrantStateView, ProfileView } from '../ipc';

/** How often the limit renews, as the form offers it. */
export type Repeat = 'once' | 'day' | 'week' | 'month' | 'custom';

const PERIODS = { day: 'P1D', week: 'P1W', month: 'P1M' } as const;

/** The steps of an approval that the progress view lists, in order. */
export const FLOW_STEPS = ['requesting', 'waiting', 'verifying', 'continuing', 'done'] as const;
export type MainStep = (typeof FLOW_STEPS)[number];

/** What each step is called on screen. */
export const STEP_LABELS: Record<MainStep, string> = {
  requesting: 'Requesting permission',
  waiting: 'Waiting for your approval',
  verifying: 'Verifying',
  continuing: 'Finishing',
  done: 'Done',
};

/** Today's date where the person is, as a date input wants it: "2025-04-22". */
export function localDate(now: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/**
 * The ISO 8601 repeating interval for the friendly control: `null` for once,
 * `R/2025-04-22T00:00:00Z/P1D` for every day from a date, the text as typed
 * (trimmed) for a custom one. An empty date or custom text gives `null`; the
 * form says what is missing before asking the core.
 */
export function buildInterval(repeat: Repeat, start: string, custom: string): string | null {
  switch (repeat) {
    case 'once':
      return null;
    case 'custom':
      return custom.trim() || null;
    default:
      return start ? `R/${start}T00:00:00Z/${PERIODS[repeat]}` : null;
  }
}

/**
 * The wallet that pays, prefilled: for the sandbox profile its test payer
 * (…/alice next to the app's own …/consent-desk); otherwise nothing, since
 * the app's own wallet address is not the person's.
 */
export function defaultPayer(profile: ProfileView | null): string {
  if (!profile?.sandbox) return '';
  const suffix = /\/consent-desk\/?$/;
  return suffix.test(profile.walletAddress) ? profile.walletAddress.replace(suffix, '/alice') : '';
}

/** A grant's state in words, as a chip. */
export function grantStateLabel(state: GrantStateView): string {
  switch (state) {
    case 'pending':
      return 'Waiting for approval';
    case 'finishing':
      return 'Finishing';
    case 'approved':
      return 'Active';
    case 'failed':
      return 'Failed';
    case 'cancelled':
      return 'Cancelled';
    case 'revoked':
      return 'Revoked';
    case 'rejected':
      return 'Rejected';
    case 'expired':
      return 'Expired';
  }
}

/** Indented JSON, or the text as it is when it is not JSON. */
export function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** "7 s", "2 min 05 s". */
export function elapsedLabel(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`;
}

/**
 * What an approval allows beyond sending and following its own payments, in
 * words, for the summary; `null` when it asks for nothing more (the default).
 */
export function describeExtras(actions: readonly GrantAction[]): string | null {
  const more: string[] = [];
  if (actions.includes('readAll')) more.push('see any payment from this wallet');
  // Listing every payment covers listing its own.
  if (actions.includes('list') && !actions.includes('listAll')) more.push('list the payments it sends');
  if (actions.includes('listAll')) more.push('list every payment from this wallet');
  if (more.length === 0) return null;
  return `It may also ${more.join(' and ')}.`;
}
