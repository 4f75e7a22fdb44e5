import { describe, expect, it } from 'vitest';
import { relativeTime } from './time';

const now = new Date('2025-04-22T08:00:00Z');
const at = (seconds: number) => new Date(now.getTime() + seconds * 1000);

describe('relativeTime', () => {
  it('says "now" for the last few seconds', () => {
    expect(relativeTime(at(-10), now, 'en')).toBe('now');
  });

  it('counts whole minutes in the past and the future', () => {
    expect(relativeTime(at(-3 * 60 - 20), now, 'en')).toBe('3 minutes ago');
    expect(relativeTime(at(9 * 60), now, 'en')).toBe('in 9 minutes');
  });

  it('moves to larger units', () => {
    expect(relativeTime(at(-2 * 3600), now, 'en')).toBe('2 hours ago');
    expect(relativeTime(at(3 * 24 * 3600), now, 'en')).toBe('in 3 days');
  });

  it('speaks the requested language', () => {
    expect(relativeTime(at(-2 * 3600), now, 'de')).toBe('vor 2 Stunden');
  });
});
