import { resolveWalletAddress } from '../format/address';
import type { Backend } from './backend';
import type {
  About,
  NoticeSettings,
  ActivityExport,
  ActivityQuery,
  ActivityView,
  ApproveIn,
  AddProfileRequest,
  AppStatus,
  ClientFormChoice,
  FlowProgress,
  FlowStep,
  GrantAction,
  GrantDetail,
  GrantForm,
  GrantPreview,
  GrantView,
  IpcError,
  KeyringStatus,
  PayForm,
  PaymentProgress,
  PaymentView,
  ProblemCode,
  ProfilesView,
  ProfileView,
  ReceivedLink,
  RegistrationView,
  WalletPreviewView,
} from './bindings';
import { engineError, engineWords, fill } from './mock-words';

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
  loopbackFinish: false,
  clientForm: 'string',
  caCert: null,
  unlocked: false,
};

/** A refusal of the mock's own (a value the core would refuse in its own words). */
function invalid(code: IpcError['code'], message: string, problem: ProblemCode = 'invalid'): IpcError {
  return { code, problem, message, details: null };
}

function fail(error: IpcError): Promise<never>;
function fail(code: IpcError['code'], message: string): Promise<never>;
function fail(error: IpcError | IpcError['code'], message = ''): Promise<never> {
  return Promise.reject(typeof error === 'string' ? invalid(error, message) : error);
}

/** The core's reading of a wallet address (`$host/path` and bare hosts become https), as the field hints read it. */
function parseWalletUrl(text: string, allowHttpLoopback: boolean): URL | IpcError {
  const resolved = resolveWalletAddress(text, allowHttpLoopback);
  return 'url' in resolved ? new URL(resolved.url) : invalid('wallet', resolved.error, 'not_an_address');
}

/** The core's sentences for each step, used when a test does not give one. */
const STEP_MESSAGES: Record<FlowStep, string> = {
  ...engineWords.steps,
  failed: engineWords.grantOutcomes.rejected,
};

/** What the sandbox quotes: `debit` (or `receive`) fixed, the other converted at its rates, less its 1% spread. */
function sandboxQuote(kind: PayForm['amountKind'], cents: bigint, from: string, to: string): [bigint, bigint] {
  const { millionthsPerUsd, crossAssetFeeBasisPoints } = engineWords.sandbox;
  const rateFrom = BigInt(millionthsPerUsd[from] ?? 1_000_000);
  const rateTo = BigInt(millionthsPerUsd[to] ?? 1_000_000);
  const bps = BigInt(from === to ? 0 : crossAssetFeeBasisPoints);
  const ceil = (a: bigint, b: bigint) => (a + b - 1n) / b;
  if (kind === 'send') {
    const afterFee = cents - ceil(cents * bps, 10_000n);
    return [cents, (afterFee * rateTo) / rateFrom];
  }
  const base = ceil(cents * rateFrom, rateTo);
  return [ceil(base * 10_000n, 10_000n - bps), cents];
}

/** "1 USD ≈ 0.9108 EUR (fees included)", as the core words it, for amounts of the same scale. */
function sandboxRate(debit: bigint, receive: bigint, from: string, to: string): string | null {
  if (from === to || debit === 0n) return null;
  const per = (receive * 10_000n) / debit;
  const rate = `${per / 10_000n}.${(per % 10_000n).toString().padStart(4, '0')}`;
  return fill(engineWords.sandbox.rate, { debitAsset: from, rate, receiveAsset: to });
}

const GNAP_ACTIONS: Record<GrantAction, string> = {
  create: 'create',
  read: 'read',
  readAll: 'read-all',
  list: 'list',
  listAll: 'list-all',
};

const ISO_INTERVAL =
  /^R\d*\/(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}):\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})\/P(?=\d|T\d)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/** "$13.20" for 1320 at scale 2; "13.20 XYZ" for a code Intl does not know. */
function formatMinor(value: bigint, code: string, scale: number): string {
  const digits = value.toString().padStart(scale + 1, '0');
  const major = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  try {
    return new Intl.NumberFormat('en-US', {
      style: 'currency',
      currency: code,
      minimumFractionDigits: scale,
      maximumFractionDigits: scale,
    }).format(Number(major));
  } catch {
    return `${major} ${code}`;
  }
}

/** "every day from 22 Apr 2025" — the common cases of the core's wording. */
function describeInterval(match: RegExpExecArray): string {
  const [, date = '', time = '00:00', ...counts] = match;
  const units = ['year', 'month', 'week', 'day', 'hour', 'minute', 'second'];
  const parts = counts
    .map((count, index) => [Number(count ?? 0), units[index]] as const)
    .filter(([count]) => count > 0)
    .map(([count, unit]) => (count === 1 ? `${unit}` : `${count} ${unit}s`));
  const day = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' })
    .format(new Date(`${date}T00:00:00Z`));
  const when = time === '00:00' ? day : `${day} ${time} UTC`;
  return `every ${parts.join(' ')} from ${when}`;
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
    logDir: '/tmp/logs',
    logFile: '/tmp/logs/consent-desk.2026-11-30.log',
    linkScheme: 'dev.consentdesk',
    sandbox: { state: 'running', url: 'http://127.0.0.1:4455/' },
    extraCas: [],
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
  /** Passphrases of profiles whose key is in a protected file, by id. */
  passphrases = new Map<string, string>();
  keyring: KeyringStatus = { state: 'available' };
  /** The check (1-based) from which a new profile's key counts as registered. */
  registeredAfterChecks = 3;
  /** Registration checks so far, per profile id. */
  registrationChecks = new Map<string, number>();
  /** Answer every registration check of this profile with `differentKey`. */
  differentKeyFor = new Set<string>();

  /** Grants, newest first. */
  grantList: GrantView[] = [];
  /** Like the core, `request_grant` announces `requesting`, then `waiting` once the grant exists. */
  autoProgress = true;
  /** The next call of a command fails with this, once (e.g. `request_grant` → a network error). */
  failNext = new Map<string, unknown>();

  private handlers = new Set<(link: ReceivedLink) => void>();
  private progressHandlers = new Set<(progress: FlowProgress) => void>();
  private grantAccess = new Map<string, unknown>();
  private nextId = 1;
  private nextGrant = 1;

  private answer<T>(command: string, value: T | (() => T | Promise<T>), args?: unknown): Promise<T> {
    this.calls.push(args === undefined ? { command } : { command, args: structuredClone(args) });
    if (this.failWith !== null) return Promise.reject(this.failWith);
    if (this.failNext.has(command)) {
      const failure = this.failNext.get(command);
      this.failNext.delete(command);
      return Promise.reject(failure);
    }
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
  /** What the mock's settings.json holds. */
  notices: NoticeSettings = { budgetMostlySpent: true, grantEnding: true, resumedPaymentSettled: true };
  noticeSettings() {
    return this.answer('notice_settings', () => this.notices);
  }
  setNoticeSettings(settings: NoticeSettings) {
    return this.answer(
      'set_notice_settings',
      () => {
        this.notices = { ...settings };
        return this.notices;
      },
      { settings },
    );
  }
  receivedLinks() {
    return this.answer('received_links', this.links);
  }
  async onLinkReceived(handler: (link: ReceivedLink) => void) {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Simulates the OS delivering a link while the app runs (again: what became of it). */
  deliver(link: ReceivedLink) {
    const known = this.links.findIndex((seen) => seen.url === link.url && seen.receivedAt === link.receivedAt);
    if (known === -1) this.links.push(link);
    else this.links[known] = link;
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
      this.profileList.find((profile) => profile.id === id) ?? engineError('profileNotFound', { id })
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
        if ('code' in profile) return fail(profile);
        this.active = profile.id;
        return this.view();
      },
      { id },
    );
  }

  setLoopbackFinish(id: string, on: boolean) {
    return this.answer(
      'set_loopback_finish',
      () => {
        const profile = this.find(id);
        if ('code' in profile) return fail(profile);
        profile.loopbackFinish = on;
        return this.view();
      },
      { id, on },
    );
  }

  setClientForm(id: string, form: ClientFormChoice) {
    return this.answer(
      'set_client_form',
      () => {
        const profile = this.find(id);
        if ('code' in profile) return fail(profile);
        profile.clientForm = form;
        return this.view();
      },
      { id, form },
    );
  }

  removeProfile(id: string) {
    return this.answer(
      'remove_profile',
      () => {
        const profile = this.find(id);
        if ('code' in profile) return fail(profile);
        if (profile.sandbox) return fail(engineError('profileBuiltIn'));
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
        if (!(parsed instanceof URL)) return fail(parsed);
        if (url.includes('down')) return fail(engineError('previewUnreachable', { host: parsed.host }));
        if (url.includes('nameless')) return fail(engineError('noPublicName', { url: parsed.href }));
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
        if (!(parsed instanceof URL)) return fail(parsed);
        const name = request.name.trim();
        if (!name) return fail('profile', 'a profile needs a name');
        if (this.profileList.some((profile) => profile.name === name)) {
          return fail(engineError('profileExists', { name }));
        }
        if (request.importKey !== null && !request.importKey.includes('PRIVATE KEY')) {
          return fail(engineError('keyNotPem'));
        }
        if (request.passphrase === null && this.keyring.state === 'unavailable') {
          return fail(engineError('keyringUnavailable', { problem: this.keyring.problem }));
        }
        if (request.passphrase !== null && request.passphrase.length < 8) {
          return fail(engineError('weakPassphrase'));
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
          loopbackFinish: false,
          clientForm: 'string',
          caCert: null,
          unlocked: false,
        };
        if (request.passphrase !== null) this.passphrases.set(profile.id, request.passphrase);
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
        if ('code' in profile) return fail(profile);
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

  /** Reads a form as the core does: the wallet, the amount in its asset, the interval and the receiver. */
  /** Like the core: a key in a passphrase file opens with its passphrase once per run. */
  private checkPassphrase(form: GrantForm): IpcError | null {
    const profile = this.profileList.find((known) => known.id === this.active);
    if (!profile || profile.keyStore !== 'encryptedFile') return null;
    if (form.passphrase === undefined && profile.unlocked) return null;
    if (form.passphrase === undefined) return engineError('needsPassphrase', { profile: profile.id });
    if (form.passphrase !== this.passphrases.get(profile.id)) {
      return engineError('wrongPassphrase', { path: `${profile.id}.key` });
    }
    profile.unlocked = true;
    return null;
  }

  private readForm(form: GrantForm): { preview: GrantPreview; access: unknown; wallet: string } | IpcError {
    const parsed = parseWalletUrl(form.wallet, true);
    if (!(parsed instanceof URL)) return parsed;
    if (form.wallet.includes('down')) return engineError('walletUnreachable', { host: parsed.host });
    // A wallet that answers 503, as the sandbox does with an injected fault.
    if (form.wallet.includes('busy')) return engineError('walletUnavailable', { host: parsed.host });
    const last = parsed.pathname.split('/').filter(Boolean).pop() ?? parsed.hostname;
    const assetCode = 'USD';
    const assetScale = 2;

    let value: bigint | null = null;
    if (form.limit !== 'none') {
      const text = form.amount?.trim() ?? '';
      const [whole = '', fraction = ''] = text.split(/\.(.*)/s);
      if (!whole && !fraction) return engineError('amountMissing');
      if (!/^\d*$/.test(whole) || !/^\d*$/.test(fraction)) return engineError('amountNotDecimal', { text });
      if (fraction.length > assetScale) return engineError('amountTooPrecise', { text });
      value = BigInt(`${whole || '0'}${fraction.padEnd(assetScale, '0')}`);
      if (value === 0n) return engineError('amountZero');
    }

    const intervalText = form.interval?.trim() || null;
    let interval: RegExpExecArray | null = null;
    if (intervalText) {
      interval = ISO_INTERVAL.exec(intervalText);
      if (!interval || Number.isNaN(Date.parse(`${interval[1]}T00:00:00Z`))) {
        return engineError('intervalInvalid', { text: intervalText });
      }
    }

    const receiver = form.receiver?.trim() || null;
    if (receiver) {
      let url: URL | null = null;
      try {
        url = new URL(receiver);
      } catch {
        url = null;
      }
      if (!url || !['https:', 'http:'].includes(url.protocol)) return engineError('receiverInvalid');
    }

    const formatted = value === null ? null : formatMinor(value, assetCode, assetScale);
    const amount =
      formatted === null ? 'Any amount' : form.limit === 'receive' ? `Up to ${formatted} delivered` : `Up to ${formatted}`;
    const summary = interval ? `${amount} ${describeInterval(interval)}` : `${amount}, once (the limit does not renew)`;

    const limits: Record<string, unknown> = {};
    if (value !== null) {
      limits[form.limit === 'receive' ? 'receiveAmount' : 'debitAmount'] = {
        value: value.toString(),
        assetCode,
        assetScale,
      };
    }
    if (receiver) limits.receiver = receiver;
    if (intervalText) limits.interval = intervalText;
    const actions = (form.actions.length ? form.actions : (['create', 'read', 'list'] as GrantAction[])).map(
      (action) => GNAP_ACTIONS[action],
    );
    const access = [
      {
        type: 'outgoing-payment',
        actions,
        identifier: parsed.href,
        ...(Object.keys(limits).length ? { limits } : {}),
      },
    ];
    const client = this.profileList.find((profile) => profile.id === this.active)?.walletAddress ?? SANDBOX.walletAddress;
    const request = {
      access_token: { access },
      client,
      interact: {
        start: ['redirect'],
        finish: {
          method: 'redirect',
          uri: 'dev.consentdesk:/finish/<made for each grant>',
          nonce: '<random, made for each grant>',
        },
      },
    };
    return {
      preview: {
        walletName: last.charAt(0).toUpperCase() + last.slice(1),
        assetCode,
        assetScale,
        summary,
        requestJson: JSON.stringify(request, null, 2),
      },
      access,
      wallet: parsed.href,
    };
  }

  previewGrant(form: GrantForm) {
    return this.answer(
      'preview_grant',
      (): GrantPreview | Promise<never> => {
        const read = this.readForm(form);
        if ('code' in read) return fail(read);
        return read.preview;
      },
      { form },
    );
  }

  requestGrant(form: GrantForm) {
    return this.answer(
      'request_grant',
      (): GrantView | Promise<never> => {
        const locked = this.checkPassphrase(form);
        if (locked) return fail(locked);
        if (this.autoProgress) this.progress(null, 'requesting');
        const read = this.readForm(form);
        if ('code' in read) {
          if (this.autoProgress) this.progress(null, 'failed', read.message);
          return fail(read);
        }
        const grant: GrantView = {
          id: `grant-${this.nextGrant++}`,
          state: 'pending',
          wallet: read.wallet,
          summary: read.preview.summary,
          consentUrl: 'http://127.0.0.1:4455/auth/interact/mock/nonce',
          accessJson: null,
          expiresAt: null,
          problem: null,
          createdAt: new Date().toISOString(),
        };
        this.grantList.unshift(grant);
        this.grantAccess.set(grant.id, read.access);
        if (this.autoProgress) this.progress(grant.id, 'waiting');
        return grant;
      },
      { form },
    );
  }

  proveOwnership(passphrase: string | null) {
    return this.answer(
      'prove_ownership',
      (): GrantView | Promise<never> => {
        const profile = this.profileList.find((p) => p.id === this.active);
        if (!profile) return fail(invalid('profile', 'choose a profile first (Profiles)', 'no_profile'));
        const grant: GrantView = {
          id: `grant-${this.nextGrant++}`,
          state: 'pending',
          wallet: profile.walletAddress,
          summary: `Proof that you own ${profile.walletAddress}`,
          consentUrl: 'http://127.0.0.1:4455/auth/interact/mock/nonce',
          accessJson: null,
          expiresAt: null,
          problem: null,
          createdAt: new Date().toISOString(),
        };
        this.grantList.unshift(grant);
        return grant;
      },
      { passphrase },
    );
  }

  cancelGrant(id: string) {
    return this.answer(
      'cancel_grant',
      () => {
        // Like the core: the window closes, then the cancellation is announced; nothing for a grant not waiting.
        if (this.grantList.find((grant) => grant.id === id)?.state === 'pending') {
          queueMicrotask(() => this.progress(id, 'cancelled'));
        }
        return null;
      },
      { id },
    );
  }

  grants(limit: number, offset: number) {
    return this.answer('grants', () => this.grantList.slice(offset, offset + limit), { limit, offset });
  }

  /** Each renewing grant's use per period, newest first, by id. */
  periods = new Map<string, GrantDetail['history']>();

  /** What each grant has spent, as the wallet would say, by id (cents of its limit's asset). */
  spentCents = new Map<string, number>();

  private grantOrFail(id: string): GrantView | IpcError {
    return this.grantList.find((grant) => grant.id === id) ?? invalid('grant', `There is no grant “${id}”.`);
  }

  grantDetail(id: string) {
    return this.answer(
      'grant_detail',
      (): GrantDetail | Promise<never> => {
        const grant = this.grantOrFail(id);
        if ('code' in grant) return fail(grant);
        const limit = /\$(\d+\.\d{2})/.exec(grant.summary)?.[1];
        const spent = this.spentCents.get(id) ?? 0;
        return {
          grant,
          spent:
            grant.state === 'approved'
              ? {
                  spent: `$${(spent / 100).toFixed(2)}`,
                  limit: limit ? `$${limit}` : null,
                  percent: limit ? Math.min(100, Math.floor((spent * 100) / Math.round(Number(limit) * 100))) : null,
                  counts: limit ? 'debit' : 'none',
                }
              : null,
          spentProblem: null,
          interval: grant.summary.includes('every day') ? 'every day' : null,
          payments: this.paymentList.filter((payment) => payment.grantId === id),
          history: this.periods.get(id) ?? [],
        };
      },
      { id },
    );
  }

  private grantAction(command: string, id: string, change: (grant: GrantView) => string | null) {
    return this.answer(
      command,
      (): GrantView | Promise<never> => {
        const grant = this.grantOrFail(id);
        if ('code' in grant) return fail(grant);
        const refusal = change(grant);
        return refusal ? fail('grant', refusal) : grant;
      },
      { id },
    );
  }

  rotateGrant(id: string) {
    return this.grantAction('rotate_grant', id, (grant) => {
      if (grant.state !== 'approved') return `this grant is ${grant.state}; only an approved one has a token`;
      grant.expiresAt = new Date(Date.now() + 10 * 60_000).toISOString();
      return null;
    });
  }

  revokeGrant(id: string) {
    return this.grantAction('revoke_grant', id, (grant) => {
      if (grant.state !== 'approved') return `this grant is ${grant.state}; only an approved one has a token`;
      grant.state = 'revoked';
      return null;
    });
  }

  endGrant(id: string) {
    return this.grantAction('end_grant', id, (grant) => {
      grant.state = 'cancelled';
      return null;
    });
  }

  /** Ids of pending grants an earlier run of the mock app asked for. */
  waitingFromBefore = new Set<string>();

  waitingApprovals() {
    return this.answer('waiting_approvals', () =>
      this.grantList.filter((grant) => grant.state === 'pending' && this.waitingFromBefore.has(grant.id)),
    );
  }

  reopenApproval(id: string, inBrowser: boolean) {
    return this.answer(
      'reopen_approval',
      (): GrantView | Promise<never> => {
        const grant = this.grantList.find((known) => known.id === id);
        if (grant?.state !== 'pending') {
          return fail(
            invalid('grant', `this approval no longer waits (it is ${grant?.state ?? 'unknown'}); nothing to open`, 'not_now'),
          );
        }
        this.waitingFromBefore.delete(id);
        if (this.autoProgress) this.progress(id, 'waiting');
        return grant;
      },
      { id, inBrowser },
    );
  }

  continueInBrowser(id: string) {
    return this.answer(
      'continue_in_browser',
      (): GrantView | Promise<never> => {
        const grant = this.grantList.find((known) => known.id === id);
        if (grant?.state !== 'pending') {
          return fail(invalid('grant', `this approval no longer waits (it is ${grant?.state ?? 'unknown'})`, 'not_now'));
        }
        if (this.autoProgress) queueMicrotask(() => this.progress(id, 'waiting', engineWords.steps.waitingInBrowser, true));
        return grant;
      },
      { id },
    );
  }

  async onFlowProgress(handler: (progress: FlowProgress) => void) {
    this.progressHandlers.add(handler);
    return () => this.progressHandlers.delete(handler);
  }

  /** Delivers a progress event as the core would, as given (not in the browser unless it says so). */
  emit(progress: Omit<FlowProgress, 'inBrowser'> & { inBrowser?: boolean }) {
    const event: FlowProgress = { inBrowser: false, ...progress };
    for (const handler of this.progressHandlers) handler(structuredClone(event));
  }

  /**
   * Moves a known grant to `step` as the core would (approved with its access
   * and expiry, failed, cancelled…) and announces it; an unknown id is
   * announced as is. Returns the event sent.
   */
  progress(grantId: string | null, step: FlowStep, message?: string, inBrowser = false): FlowProgress {
    const grant = grantId === null ? undefined : this.grantList.find((known) => known.id === grantId);
    let text = message ?? STEP_MESSAGES[step];
    if (grant) {
      switch (step) {
        case 'verifying':
        case 'continuing':
          grant.state = 'finishing';
          break;
        case 'done':
          grant.state = 'approved';
          grant.accessJson = JSON.stringify(this.grantAccess.get(grant.id) ?? [], null, 2);
          grant.expiresAt = new Date(Date.now() + 10 * 60_000).toISOString();
          text = message ?? fill(engineWords.steps.done, { summary: grant.summary });
          break;
        case 'failed':
          grant.state = 'failed';
          grant.problem = text;
          break;
        case 'cancelled':
          grant.state = 'cancelled';
          grant.problem = engineWords.grantOutcomes.cancelled;
          break;
        default:
          break;
      }
    }
    const carriesGrant = grant !== undefined && ['waiting', 'done', 'failed', 'cancelled'].includes(step);
    const event: FlowProgress = {
      grantId,
      step,
      message: text,
      grant: carriesGrant ? structuredClone(grant) : null,
      inBrowser,
    };
    this.emit(event);
    return event;
  }

  // Payments: quotes at the sandbox's rates and spread (from the fixture), USD for everyone but bob (EUR).
  paymentList: PaymentView[] = [];
  private paymentHandlers = new Set<(progress: PaymentProgress) => void>();
  private nextPayment = 1;

  quotePayment(form: PayForm) {
    return this.answer(
      'quote_payment',
      (): PaymentView | Promise<never> => {
        const to = parseWalletUrl(form.to, true);
        if (!(to instanceof URL)) return fail(to);
        const value = Number.parseFloat(form.amount);
        if (!/^\d+(\.\d{1,2})?$/.test(form.amount.trim()) || !(value > 0)) {
          return fail(engineError('amountNotDecimal', { text: form.amount }));
        }
        const euro = to.pathname.endsWith('/bob');
        const cents = BigInt(Math.round(value * 100));
        const receiveAsset = euro ? 'EUR' : 'USD';
        const [debit, receive] = sandboxQuote(form.amountKind, cents, 'USD', receiveAsset);
        const money = (units: bigint, symbol: string) => `${symbol}${(Number(units) / 100).toFixed(2)}`;
        const payment: PaymentView = {
          id: `payment-${this.nextPayment++}`,
          state: 'quoted',
          from: form.from,
          to: to.href,
          // The sandbox's names: "Dave Sandbox" for …/dave.
          toName: `${(to.pathname.split('/').pop() ?? '').replace(/^./, (c) => c.toUpperCase())} Sandbox`,
          debit: money(debit, '$'),
          receive: money(receive, euro ? '€' : '$'),
          fee: euro ? engineWords.sandbox.feeInRate : money(debit - receive, '$'),
          rate: sandboxRate(debit, receive, 'USD', receiveAsset),
          quoteExpiresAt: new Date(Date.now() + 5 * 60_000).toISOString(),
          quoteExpired: false,
          sent: null,
          note: form.note.trim() || null,
          problem: null,
          grantId: null,
          createdAt: new Date().toISOString(),
        };
        this.paymentList.unshift(payment);
        return payment;
      },
      { form },
    );
  }

  private findPayment(id: string): PaymentView | IpcError {
    return this.paymentList.find((payment) => payment.id === id) ?? invalid('grant', `There is no payment “${id}”.`);
  }

  confirmPayment(id: string, approveIn: ApproveIn) {
    return this.answer(
      'confirm_payment',
      (): PaymentView | Promise<never> => {
        const payment = this.findPayment(id);
        if ('code' in payment) return fail(payment);
        if (payment.quoteExpired) return fail(engineError('quoteExpired'));
        payment.state = 'authorizing';
        payment.grantId = `grant-${this.nextGrant++}`;
        return payment;
      },
      { id, approveIn },
    );
  }

  payWithGrant(id: string, grantId: string) {
    return this.answer(
      'pay_with_grant',
      (): PaymentView | Promise<never> => {
        const payment = this.findPayment(id);
        if ('code' in payment) return fail(payment);
        const grant = this.grantList.find((known) => known.id === grantId);
        if (grant?.state !== 'approved') return fail('grant', 'that grant is not approved; only an approved one can pay');
        if (this.budgetSpent.has(grantId)) {
          // As the core: the payment goes back to its quote, the grant is not
          // offered again, and the progress event says the same sentence.
          this.paymentProgress(id, 'quoted', engineWords.paymentProblems.budgetSpentToday, engineWords.paymentProblems.budgetSpentToday);
          payment.grantId = null;
          this.saidSpent.set(grantId, id);
          return payment;
        }
        payment.grantId = grantId;
        payment.state = 'completed';
        payment.sent = payment.debit;
        return payment;
      },
      { id, grantId },
    );
  }

  /** Grants whose budget the mock wallet calls spent. */
  budgetSpent = new Set<string>();
  /** Grants the mock wallet called spent (renewing, as `budgetSpentToday` says), by the payment refused: not offered for it again (as the core). */
  private saidSpent = new Map<string, string>();

  /** Grants the core would not offer for paying (no `read`, or a one-time budget used up). */
  cannotPay = new Set<string>();

  paymentGrants(id: string) {
    return this.answer(
      'payment_grants',
      (): GrantView[] | Promise<never> => {
        const payment = this.findPayment(id);
        if ('code' in payment) return fail(payment);
        return this.grantList.filter(
          (grant) =>
            grant.state === 'approved' &&
            grant.wallet === payment.from &&
            !this.cannotPay.has(grant.id) &&
            this.saidSpent.get(grant.id) !== payment.id,
        );
      },
      { id },
    );
  }

  requotePayment(id: string) {
    return this.answer(
      'requote_payment',
      (): PaymentView | Promise<never> => {
        const payment = this.findPayment(id);
        if ('code' in payment) return fail(payment);
        payment.quoteExpired = false;
        payment.quoteExpiresAt = new Date(Date.now() + 5 * 60_000).toISOString();
        return payment;
      },
      { id },
    );
  }

  checkPayment(id: string) {
    return this.answer(
      'check_payment',
      (): PaymentView | Promise<never> => {
        const payment = this.findPayment(id);
        if ('code' in payment) return fail(payment);
        if (payment.state === 'sent' && this.settled.has(id)) {
          payment.state = 'completed';
          payment.sent = payment.debit;
        }
        return payment;
      },
      { id },
    );
  }

  /** Sent payments the mock wallet has delivered by now. */
  settled = new Set<string>();

  cancelPayment(id: string) {
    return this.answer(
      'cancel_payment',
      (): PaymentView | Promise<never> => {
        const payment = this.findPayment(id);
        if ('code' in payment) return fail(payment);
        payment.state = 'cancelled';
        payment.problem = engineWords.paymentProblems.cancelled;
        return payment;
      },
      { id },
    );
  }

  payments(limit: number, offset: number) {
    return this.answer('payments', () => this.paymentList.slice(offset, offset + limit), { limit, offset });
  }

  async onPaymentProgress(handler: (progress: PaymentProgress) => void) {
    this.paymentHandlers.add(handler);
    return () => this.paymentHandlers.delete(handler);
  }

  /** Moves a payment on as the core would and announces it. */
  paymentProgress(id: string, state: PaymentView['state'], message: string, problem: string | null = null) {
    const payment = this.paymentList.find((known) => known.id === id);
    if (!payment) throw new Error(`no payment ${id}`);
    payment.state = state;
    payment.problem = problem;
    if (state === 'completed') payment.sent = payment.debit;
    for (const handler of this.paymentHandlers) handler(structuredClone({ payment, message }));
  }

  /** What the mock app did, newest last (as the core records it). */
  activityLog: ActivityView[] = [];

  private matching(query: ActivityQuery) {
    const text = query.text.trim().toLowerCase();
    return [...this.activityLog]
      .reverse()
      .filter((entry) => !query.failuresOnly || !entry.ok)
      .filter((entry) => !query.kind || entry.kind === query.kind)
      .filter((entry) => !text || JSON.stringify(entry).toLowerCase().includes(text));
  }

  activity(query: ActivityQuery, limit: number, offset: number) {
    return this.answer('activity', () => this.matching(query).slice(offset, offset + limit), { query, limit, offset });
  }

  /** The file the mock save dialog answers with; `null` as when the person cancels it. */
  exportChoice: string | null = '/home/me/consent-desk-activity.jsonl';
  /** What the last export wrote, as the engine writes it: oldest first. */
  exportedEntries: ActivityView[] = [];

  exportActivity(query: ActivityQuery, path?: string) {
    return this.answer(
      'export_activity',
      (): ActivityExport | null => {
        const file = path ?? this.exportChoice;
        if (file === null) return null;
        this.exportedEntries = this.matching(query).reverse();
        return { path: file, entries: this.exportedEntries.length };
      },
      path === undefined ? { query } : { query, path },
    );
  }
}
