import type { KeyStoreKind } from '../ipc';

/** "USD, 2 decimals", "JPY, no decimals". */
export function assetLabel(code: string, scale: number): string {
  if (scale === 0) return `${code}, no decimals`;
  return `${code}, ${scale} ${scale === 1 ? 'decimal' : 'decimals'}`;
}

/** Where a private key is kept, in words. */
export function keyStoreLabel(kind: KeyStoreKind): string {
  switch (kind) {
    case 'keyring':
      return 'System keyring';
    case 'encryptedFile':
      return 'File protected by a passphrase';
    case 'memory':
      return 'Memory only, until you close the app';
  }
}

/** The public key as people paste it into a wallet: indented JSON, or the text as is. */
export function prettyJwk(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
