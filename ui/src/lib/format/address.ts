/**
 * What a typed wallet address means, for the hint next to the field. The core
 * reads it (identity/src/wallet.rs, `parse_wallet_url`) and has the last word;
 * both are tested against wallet-addresses.json, so the hint never promises
 * an address the core would read differently.
 */
export type ResolvedAddress = { url: string } | { error: string };

const EXAMPLE = 'It looks like https://wallet.example/alice or $wallet.example/alice';

/** `wallet.example:alice` is a host and a name run together: after `:` only a port. */
function authorityProblem(text: string): string | null {
  const end = text.search(/[/?#]/);
  const authority = end === -1 ? text : text.slice(0, end);
  if (!authority) return 'it has no host';
  if (authority.includes('@')) return 'it names a user (`@`); a wallet address is a host and a path';
  const bracket = authority.lastIndexOf(']');
  const afterHost = bracket === -1 ? authority : authority.slice(bracket + 1);
  const colon = afterHost.lastIndexOf(':');
  if (colon !== -1 && !/^\d+$/.test(afterHost.slice(colon + 1))) {
    return `\`${authority}\` is not a host: after \`:\` comes a port number, and a path starts with \`/\`, as in wallet.example/alice`;
  }
  return null;
}

/** A payment pointer without its `$`, as the https URL it stands for. */
function pointerUrl(pointer: string): string | { problem: string } {
  if (!pointer) return { problem: 'a payment pointer needs a host after `$`, as in $wallet.example/alice' };
  if (pointer.includes('://') || pointer.startsWith('//')) {
    return {
      problem: 'a payment pointer has no scheme: write $wallet.example/alice, or the address itself, https://wallet.example/alice',
    };
  }
  if (/[?#]/.test(pointer)) return { problem: 'a payment pointer cannot carry `?` or `#`' };
  const problem = authorityProblem(pointer);
  if (problem) return { problem };
  const slash = pointer.indexOf('/');
  const host = slash === -1 ? pointer : pointer.slice(0, slash);
  const path = slash === -1 ? '' : pointer.slice(slash);
  return path.replace(/^\/+/, '') ? `https://${host}${path}` : `https://${host}/.well-known/pay`;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Reads `text` the way the core does: payment pointers and bare hosts become https URLs. */
export function resolveWalletAddress(text: string, allowHttpLoopback = false): ResolvedAddress {
  const trimmed = text.trim();
  const invalid = (reason: string) => ({ error: `\`${trimmed}\` is not a wallet address: ${reason}. ${EXAMPLE}` });
  if (!trimmed) return invalid('it is empty');
  if (/\s/.test(trimmed)) return invalid('it contains a space; a wallet address has none');
  let candidate: string;
  if (trimmed.startsWith('$')) {
    const resolved = pointerUrl(trimmed.slice(1));
    if (typeof resolved !== 'string') return invalid(resolved.problem);
    candidate = resolved;
  } else if (trimmed.includes('://')) {
    candidate = trimmed;
  } else {
    const problem = authorityProblem(trimmed);
    if (problem) return invalid(problem);
    candidate = `https://${trimmed}`;
  }
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return invalid('it cannot be read as a web address');
  }
  if (!url.hostname) return invalid('it has no host');
  if (url.protocol === 'https:') return { url: url.href };
  if (url.protocol === 'http:' && allowHttpLoopback && LOOPBACK.has(url.hostname)) return { url: url.href };
  if (url.protocol === 'http:') {
    return {
      error: `${url.href} uses plain http; wallet addresses must use https (plain http is allowed only for this machine, 127.0.0.1 or localhost, with the loopback option)`,
    };
  }
  return invalid(`\`${url.protocol}\` is not a web address`);
}

/**
 * The hint under a wallet address field: the URL a pointer or bare host
 * stands for, or why it cannot be read; nothing while the field is empty or
 * already holds the URL as written.
 */
export function addressHint(text: string, allowHttpLoopback = false): { kind: 'means' | 'problem'; text: string } | null {
  const trimmed = text.trim();
  if (!trimmed) return null;
  const resolved = resolveWalletAddress(trimmed, allowHttpLoopback);
  if ('error' in resolved) return { kind: 'problem', text: resolved.error };
  return resolved.url === trimmed ? null : { kind: 'means', text: `Means ${resolved.url}` };
}
