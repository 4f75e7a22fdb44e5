import { describe, expect, it } from 'vitest';
import { dateTime, dateWithHint, relativeTime, renewalHint } from './time';

const now = new Date('2026-11-30T10:20:00Z');
const at = (seconds: number) => new Date(now.getTime() + seconds * 1000);

describe('dateTime', () => {
  it('writes every date one way: day, short month, year, 24-hour time', () => {
    expect(dateTime(now, 'UTC')).toBe('30 Nov 2026, 10:20');
    expect(dateTime(new Date('2025-04-02T08:05:59Z'), 'UTC')).toBe('2 Apr 2025, 08:05');
  });

  it('shows the time where the person is', () => {
    expect(dateTime(now, 'Europe/Berlin')).toBe('30 Nov 2026, 11:20');
    expect(dateTime(new Date('2026-11-30T23:30:00Z'), 'Asia/Tokyo')).toBe('1 Dec 2026, 08:30');
  });
});

describe('relativeTime', () => {
  it('says "now" for the last and next few seconds', () => {
    expect(relativeTime(at(-10), now)).toBe('now');
    expect(relativeTime(at(30), now)).toBe('now');
  });

  it('counts whole minutes in the past and the future', () => {
    expect(relativeTime(at(50), now)).toBe('in 1 min');
    expect(relativeTime(at(-3 * 60 - 20), now)).toBe('3 min ago');
    expect(relativeTime(at(5 * 60), now)).toBe('in 5 min');
  });

  it('moves to hours, days, weeks, months and years', () => {
    expect(relativeTime(at(-2 * 3600), now)).toBe('2 h ago');
    expect(relativeTime(at(24 * 3600), now)).toBe('in 1 day');
    expect(relativeTime(at(3 * 24 * 3600 + 60), now)).toBe('in 3 days');
    expect(relativeTime(at(-14 * 24 * 3600), now)).toBe('2 weeks ago');
    expect(relativeTime(at(-40 * 24 * 3600), now)).toBe('1 month ago');
    expect(relativeTime(at(800 * 24 * 3600), now)).toBe('in 2 years');
  });
});

describe('dateWithHint', () => {
  it('puts the hint after the date, as a quote’s expiry shows', () => {
    expect(dateWithHint(at(5 * 60), now, 'UTC')).toBe('30 Nov 2026, 10:25 (in 5 min)');
    expect(dateWithHint(at(-2 * 3600), now, 'UTC')).toBe('30 Nov 2026, 08:20 (2 h ago)');
  });
});

describe('renewalHint', () => {
  it('says midnight UTC, and the person’s own time when it differs', () => {
    expect(renewalHint('UTC')).toBe('The limit starts again at midnight UTC, from this day on.');
    expect(renewalHint('Asia/Kolkata')).toBe('The limit starts again at midnight UTC (05:30 your time), from this day on.');
    expect(renewalHint('Europe/Berlin')).toBe(
      'The limit starts again at midnight UTC (01:00 or 02:00 your time, as the clocks change), from this day on.',
    );
    expect(renewalHint('Australia/Sydney')).toBe(
      'The limit starts again at midnight UTC (10:00 or 11:00 your time, as the clocks change), from this day on.',
    );
  });
});
