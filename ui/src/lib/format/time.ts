/**
 * Every date the app shows goes through here, so a screen never mixes
 * "11/30/2026", "Nov 30, 2026 10:20:00 AM" and "30 Nov 2026": one shape,
 * "30 Nov 2026, 10:20" (the shape the core's words use, as in "every day
 * from 30 Nov 2026"), in the person's time zone, with a short hint of how
 * far away it is ("in 5 min", "2 h ago").
 */

const FULL = new Map<string | undefined, Intl.DateTimeFormat>();

function full(timeZone?: string): Intl.DateTimeFormat {
  let format = FULL.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZone,
    });
    FULL.set(timeZone, format);
  }
  return format;
}

/** "30 Nov 2026, 10:20" in the person's time zone (`timeZone` for tests). */
export function dateTime(when: Date, timeZone?: string): string {
  return full(timeZone).format(when);
}

type Unit = [seconds: number, one: string, many: string];
const MINUTE: Unit = [60, 'min', 'min'];
const UNITS: Unit[] = [
  [365 * 24 * 3600, 'year', 'years'],
  [30 * 24 * 3600, 'month', 'months'],
  [7 * 24 * 3600, 'week', 'weeks'],
  [24 * 3600, 'day', 'days'],
  [3600, 'h', 'h'],
  MINUTE,
];

/** "now", "in 5 min", "2 h ago", "in 3 days": how far `when` is from `now`, in whole units. */
export function relativeTime(when: Date, now: Date): string {
  const seconds = Math.round((when.getTime() - now.getTime()) / 1000);
  const distance = Math.abs(seconds);
  if (distance < 45) return 'now';
  // Under a minute but past 45 s reads as a minute.
  const [size, one, many] = UNITS.find(([size]) => distance >= size) ?? MINUTE;
  const count = Math.max(1, Math.trunc(distance / size));
  const words = `${count} ${count === 1 ? one : many}`;
  return seconds > 0 ? `in ${words}` : `${words} ago`;
}

/** "30 Nov 2026, 10:20 (in 5 min)": the date and its hint together. */
export function dateWithHint(when: Date, now: Date, timeZone?: string): string {
  return `${dateTime(when, timeZone)} (${relativeTime(when, now)})`;
}

/**
 * The hint under a renewing limit's first day: limits renew at midnight UTC
 * (the interval the wallet is sent), said in the person's own time too
 * when that differs ("01:00 your time").
 */
export function renewalHint(timeZone?: string): string {
  const clock = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone });
  const winter = clock.format(new Date(Date.UTC(2025, 0, 15)));
  const summer = clock.format(new Date(Date.UTC(2025, 6, 15)));
  let yours = '';
  // Either order: January is summer in the southern hemisphere.
  if (winter !== summer) yours = ` (${[winter, summer].sort().join(' or ')} your time, as the clocks change)`;
  else if (winter !== '00:00') yours = ` (${winter} your time)`;
  return `The limit starts again at midnight UTC${yours}, from this day on.`;
}
