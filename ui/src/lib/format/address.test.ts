import { describe, expect, it } from 'vitest';
import table from './wallet-addresses.json?raw';
import { addressHint, resolveWalletAddress } from './address';

interface Case {
  text: string;
  loopback?: boolean;
  url?: string;
  error?: string;
}

const cases = (JSON.parse(table) as { cases: Case[] }).cases;

describe('resolveWalletAddress', () => {
  it('reads the shared table as the core does', () => {
    expect(cases.length).toBeGreaterThan(20);
    for (const { text, loopback, url, error } of cases) {
      const resolved = resolveWalletAddress(text, loopback ?? false);
      if (url) expect(resolved, text).toEqual({ url });
      else expect('error' in resolved && resolved.error, text).toContain(error);
    }
  });
});

describe('addressHint', () => {
  it('shows the URL a payment pointer stands for', () => {
    expect(addressHint('$wallet.example/alice')).toEqual({ kind: 'means', text: 'Means https://wallet.example/alice' });
    expect(addressHint('$wallet.example')).toEqual({ kind: 'means', text: 'Means https://wallet.example/.well-known/pay' });
  });

  it('says nothing for an empty field or a URL as written', () => {
    expect(addressHint('  ')).toBeNull();
    expect(addressHint('https://wallet.example/alice')).toBeNull();
  });

  it('says in words why a pointer cannot be read', () => {
    const hint = addressHint('$');
    expect(hint?.kind).toBe('problem');
    expect(hint?.text).toContain('a payment pointer needs a host after `$`');
  });
});
