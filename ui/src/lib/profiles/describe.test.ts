import { describe, expect, it } from 'vitest';
import { assetLabel, keyStoreLabel, prettyJwk } from './describe';

describe('profile wording', () => {
  it('says how many decimals an asset has', () => {
    expect(assetLabel('USD', 2)).toBe('USD, 2 decimals');
    expect(assetLabel('XBT', 1)).toBe('XBT, 1 decimal');
    expect(assetLabel('JPY', 0)).toBe('JPY, no decimals');
  });

  it('names where a key is kept', () => {
    expect(keyStoreLabel('keyring')).toBe('System keyring');
    expect(keyStoreLabel('encryptedFile')).toBe('File protected by a passphrase');
    expect(keyStoreLabel('memory')).toBe('Memory only, until you close the app');
  });

  it('indents a JWK for pasting and leaves other text alone', () => {
    expect(prettyJwk('{"kid":"k1","x":"abc"}')).toBe('{\n  "kid": "k1",\n  "x": "abc"\n}');
    expect(prettyJwk('not json')).toBe('not json');
  });
});
