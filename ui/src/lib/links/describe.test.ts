import { describe, expect, it } from 'vitest';
import { describeLink } from './describe';

describe('describeLink', () => {
  it('splits a finish link into scheme, path and parameter names', () => {
    expect(describeLink('dev.consentdesk:/finish/7f3c?hash=abc&interact_ref=def')).toEqual({
      scheme: 'dev.consentdesk',
      path: '/finish/7f3c',
      parameters: ['hash', 'interact_ref'],
    });
  });

  it('keeps the host of an authority-form link', () => {
    expect(describeLink('dev.consentdesk://finish?result=grant_rejected')?.path).toBe('finish');
  });

  it('lists a repeated parameter once', () => {
    expect(describeLink('dev.consentdesk:/x?a=1&a=2')?.parameters).toEqual(['a']);
  });

  it('returns null for text that is not a URL', () => {
    expect(describeLink('not a url')).toBeNull();
  });
});
