import type { Backend } from './backend';
import type {
  About,
  AddProfileRequest,
  AppStatus,
  IpcError,
  KeyringStatus,
  ProfilesView,
  ProfileView,
  ReceivedLink,
  RegistrationView,
  WalletPreviewView,
} from './bindings';

/** One call the UI made, for tests that count or inspect them. */
export interface MockCall {
  command: string;
  args?: unknown;
}

const SANDBOX: ProfileView = {
  id: 'sandbox',
  name: 'Sandbox',
  walletAddress: 'http://127.0.0.1:4455/consent-desk',
  keyId: 'consent-desk-sandbox',
  publicJwk: '{"kid":"consent-desk-sandbox","alg":"EdDSA","kty":"OKP","crv":"Ed25519","x":"c2FuZGJveC1wdWJsaWMta2V5LWZvci10ZXN0cy0wMQ"}',
  keyStore: 'keyring',
  sandbox: true,
  allowHttpLoopback: true,
};

function fail(code: IpcError['code'], message: string): Promise<never> {
  return Promise.reject({ code, message } satisfies IpcError);
}

/** Mirrors the core's reading of a wallet address: `$host/path` and bare hosts become https. */
function parseWalletUrl(text: string, allowHttpLoopback: boolean): URL | IpcError {
  const trimmed = text.trim();
  const invalid = (reason: string): IpcError => ({
    code: 'wallet',
    message: `\`${trimmed}\` is not a wallet address: ${reason}. It looks like https://wallet.example/alice`,
  });
  if (!trimmed) return invalid('it is empty');
  const candidate = trimmed.startsWith('$')
    ? `https://${trimmed.slice(1)}`
    : trimmed.includes('://')
      ? trimmed
      : `https://${trimmed}`;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return invalid('it cannot be read as a web address');
  }
  if (url.protocol === 'https:') return url;
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol === 'http:' && allowHttpLoopback && loopback) return url;
  if (url.protocol === 'http:') {
    return {
      code: 'wallet',
      message: `${url.href} uses plain http; wallet addresses must use https (plain http is allowed only for this machine, 127.0.0.1 or localhost, with the loopback option)`,
    };
  }
  return invalid(`\`${url.protocol}\` is not a web address`);
}

/**
 * An in-memory backend for component and state tests. It behaves like the
 * core: the sandbox profile exists, none is in use until the person chooses,
 * and a new profile's key is "registered" once it has been checked
 * `registeredAfterChecks` times.
 */
export class MockBackend implements Backend {
  status: AppStatus = {
    productName: 'Consent Desk',
    version: '0.0.0-test',
    status: { tone: 'ok', text: 'Ready.' },
  };
  aboutInfo: About = {
    productName: 'Consent Desk',
    version: '0.0.0-test',
    commit: 'abc123',
    identifier: 'dev.consentdesk.test',
    tauriVersion: '2.0.0',
    webviewVersion: '2.44.0',
    dataDir: '/tmp/data',
    configDir: '/tmp/config',
    logFile: '/tmp/logs/consent-desk.log',
    linkScheme: 'dev.consentdesk',
    sandbox: { state: 'running', url: 'http://127.0.0.1:4455/' },
  };
  links: ReceivedLink[] = [];
  /** Every command fails with this when set. */
  failWith: unknown = null;
  /** Every command the UI called, in order. */
  calls: MockCall[] = [];

  /** The profile in use; `null` is the first run. */
  active: string | null = null;
  /** Profiles, the sandbox first. Without a keyring the sandbox key is memory-only. */
  profileList: ProfileView[] = [structuredClone(SANDBOX)];
  keyring: KeyringStatus = { state: 'available' };
  /** The check (1-based) from which a new profile's key counts as registered. */
  registeredAfterChecks = 3;
  /** Registration checks so far, per profile id. */
  registrationChecks = new Map<string, number>();
  /** Answer every registration check of this profile with `differentKey`. */
  differentKeyFor = new Set<string>();

  private handlers = new Set<(link: ReceivedLink) => void>();
  private nextId = 1;

  private answer<T>(command: string, value: T | (() => T | Promise<T>), args?: unknown): Promise<T> {
    this.calls.push(args === undefined ? { command } : { command, args: structuredClone(args) });
    if (this.failWith !== null) return Promise.reject(this.failWith);
    const result = typeof value === 'function' ? (value as () => T | Promise<T>)() : value;
    return Promise.resolve(result).then((done) => structuredClone(done));
  }

  /** How many times `command` was called. */
  count(command: string) {
    return this.calls.filter((call) => call.command === command).length;
  }

  appStatus() {
    return this.answer('app_status', this.status);
  }
  about() {
    return this.answer('about', this.aboutInfo);
  }
  receivedLinks() {
    return this.answer('received_links', this.links);
  }
  async onLinkReceived(handler: (link: ReceivedLink) => void) {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Simulates the OS delivering a link while the app runs. */
  deliver(link: ReceivedLink) {
    this.links.push(link);
    for (const handler of this.handlers) handler(link);
  }

  private view(): ProfilesView {
    const memory = this.keyring.state === 'unavailable';
    return {
      active: this.active,
      profiles: this.profileList.map((profile) =>
        profile.sandbox && memory ? { ...profile, keyStore: 'memory' } : profile,
      ),
      keyring: this.keyring,
    };
  }

  private find(id: string): ProfileView | IpcError {
    return (
      this.profileList.find((profile) => profile.id === id) ?? {
        code: 'profile',
        message: `there is no profile \`${id}\`; \`consent-desk profile list\` shows them`,
      }
    );
  }

  profiles() {
    return this.answer('profiles', () => this.view());
  }

  useProfile(id: string) {
    return this.answer(
      'use_profile',
      () => {
        const profile = this.find(id);
        if ('code' in profile) return fail(profile.code, profile.message);
        this.active = profile.id;
        return this.view();
      },
      { id },
    );
  }

  removeProfile(id: string) {
    return this.answer(
      'remove_profile',
      () => {
        const profile = this.find(id);
        if ('code' in profile) return fail(profile.code, profile.message);
        if (profile.sandbox) return fail('profile', 'the sandbox profile is built in and cannot be removed');
        this.profileList = this.profileList.filter((known) => known.id !== id);
        if (this.active === id) this.active = this.profileList[0]?.id ?? null;
        return this.view();
      },
      { id },
    );
  }

  previewWallet(url: string, allowHttpLoopback: boolean) {
    return this.answer(
      'preview_wallet',
      (): WalletPreviewView | Promise<never> => {
        const parsed = parseWalletUrl(url, allowHttpLoopback);
        if (!(parsed instanceof URL)) return fail(parsed.code, parsed.message);
        if (url.includes('down')) {
          return fail(
            'wallet',
            `${parsed.host} could not be reached (connection refused). Check the address and your connection`,
          );
        }
        if (url.includes('nameless')) {
          return fail(
            'wallet',
            `the wallet address ${parsed.href} has no public name, which wallets need to show who asks for approval; set one in your wallet's settings`,
          );
        }
        const last = parsed.pathname.split('/').filter(Boolean).pop() ?? parsed.hostname;
        return {
          url: parsed.href,
          publicName: last.charAt(0).toUpperCase() + last.slice(1),
          assetCode: 'USD',
          assetScale: 2,
          authServer: `${parsed.protocol}//auth.${parsed.host}`,
        };
      },
      { url, allowHttpLoopback },
    );
  }

  addProfile(request: AddProfileRequest) {
    return this.answer(
      'add_profile',
      (): ProfileView | Promise<never> => {
        const parsed = parseWalletUrl(request.walletAddress, request.allowHttpLoopback);
        if (!(parsed instanceof URL)) return fail(parsed.code, parsed.message);
        const name = request.name.trim();
        if (!name) return fail('profile', 'a profile needs a name');
        if (this.profileList.some((profile) => profile.name === name)) {
          return fail('profile', `a profile named \`${name}\` already exists; choose another name or remove it first`);
        }
        if (request.importKey !== null && !request.importKey.includes('PRIVATE KEY')) {
          return fail('key', 'the text is not an Ed25519 private key in PEM form (-----BEGIN PRIVATE KEY-----)');
        }
        if (request.passphrase === null && this.keyring.state === 'unavailable') {
          return fail(
            'keyring',
            `no system keyring is available (${this.keyring.problem}). Start your desktop's keyring (for example gnome-keyring), or keep the key in a passphrase-protected file instead`,
          );
        }
        if (request.passphrase !== null && request.passphrase.length < 8) {
          return fail('passphrase', 'the passphrase is too short: use at least 8 characters');
        }
        const serial = this.nextId++;
        const keyId = request.keyId?.trim() || `key-${serial}`;
        const profile: ProfileView = {
          id: `profile-${serial}`,
          name,
          walletAddress: parsed.href,
          keyId,
          publicJwk: JSON.stringify({ kid: keyId, alg: 'EdDSA', kty: 'OKP', crv: 'Ed25519', x: `public-key-${serial}` }),
          keyStore: request.passphrase === null ? 'keyring' : 'encryptedFile',
          sandbox: false,
          allowHttpLoopback: request.allowHttpLoopback,
        };
        this.profileList.push(profile);
        return profile;
      },
      { request },
    );
  }

  checkRegistration(id: string) {
    return this.answer(
      'check_registration',
      (): RegistrationView | Promise<never> => {
        const profile = this.find(id);
        if ('code' in profile) return fail(profile.code, profile.message);
        const checks = (this.registrationChecks.get(id) ?? 0) + 1;
        this.registrationChecks.set(id, checks);
        const kid = profile.keyId;
        if (this.differentKeyFor.has(id)) {
          return {
            state: 'differentKey',
            message: `The wallet has a key named \`${kid}\`, but it is a different key: remove it there and add this one, or import the private key that belongs to it.`,
          };
        }
        if (profile.sandbox || checks >= this.registeredAfterChecks) {
          return { state: 'registered', message: `The key \`${kid}\` is registered in the wallet.` };
        }
        return {
          state: 'kidMissing',
          message: `The wallet publishes no keys yet; add the key \`${kid}\` in its developer keys.`,
        };
      },
      { id },
    );
  }
}
