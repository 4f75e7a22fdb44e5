import { describe, expect, it } from 'vitest';
import type { ProfileView } from '../ipc';
import { buildInterval, defaultPayer, describeExtras, elapsedLabel, grantStateLabel, localDate, prettyJson } from './describe';

const profile = (walletAddress: string, sandbox: boolean): ProfileView => ({
  id: 'p',
  name: 'P',
  walletAddress,
  keyId: 'k',
  publicJwk: '{}',
  keyStore: 'keyring',
  sandbox,
  allowHttpLoopback: sandbox,
  loopbackFinish: false,
  clientForm: 'string',
  caCert: null,
  unlocked: false,
});

describe('buildInterval', () => {
  it('repeats from midnight UTC of the chosen day', () => {
    expect(buildInterval('day', '2025-04-22', '')).toBe('R/2025-04-22T00:00:00Z/P1D');
    expect(buildInterval('week', '2025-04-22', '')).toBe('R/2025-04-22T00:00:00Z/P1W');
    expect(buildInterval('month', '2025-04-22', '')).toBe('R/2025-04-22T00:00:00Z/P1M');
  });

  it('has no interval for once, and none without a day or custom text', () => {
    expect(buildInterval('once', '2025-04-22', 'R/x')).toBeNull();
    expect(buildInterval('day', '', '')).toBeNull();
    expect(buildInterval('custom', '2025-04-22', '   ')).toBeNull();
  });

  it('passes a custom interval on as typed, trimmed', () => {
    expect(buildInterval('custom', '', ' R5/2025-04-22T08:00:00Z/PT1H ')).toBe('R5/2025-04-22T08:00:00Z/PT1H');
  });
});

describe('helpers', () => {
  it('prefills the sandbox payer next to the app’s own sandbox wallet only', () => {
    expect(defaultPayer(profile('http://127.0.0.1:4455/consent-desk', true))).toBe('http://127.0.0.1:4455/alice');
    expect(defaultPayer(profile('http://127.0.0.1:4455/consent-desk/', true))).toBe('http://127.0.0.1:4455/alice');
    expect(defaultPayer(profile('https://ilp.example/consent-desk', false))).toBe('');
    expect(defaultPayer(null)).toBe('');
  });

  it('writes today’s local date for a date input', () => {
    expect(localDate(new Date(2025, 0, 5, 23, 59))).toBe('2025-01-05');
  });

  it('says elapsed time and grant states in words', () => {
    expect(elapsedLabel(7)).toBe('7 s');
    expect(elapsedLabel(125)).toBe('2 min 05 s');
    expect(grantStateLabel('approved')).toBe('Active');
    expect(grantStateLabel('pending')).toBe('Waiting for approval');
  });

  it('indents JSON and leaves other text alone', () => {
    expect(prettyJson('{"a":[1]}')).toBe('{\n  "a": [\n    1\n  ]\n}');
    expect(prettyJson('not json')).toBe('not json');
  });
});

describe('describeExtras', () => {
  it('says nothing for paying alone, and each extra in words', () => {
    expect(describeExtras(['create', 'read'])).toBeNull();
    expect(describeExtras(['create', 'read', 'list'])).toBe('It may also list the payments it sends.');
    expect(describeExtras(['create', 'readAll', 'list', 'listAll'])).toBe(
      'It may also see any payment from this wallet and list every payment from this wallet.',
    );
    expect(describeExtras(['create', 'readAll', 'list'])).toBe(
      'It may also see any payment from this wallet and list the payments it sends.',
    );
  });
});
