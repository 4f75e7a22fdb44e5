import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AddProfileRequest } from '../ipc';
import { MockBackend } from '../ipc/mock';
import { AppState } from '../shell/app.svelte';
import { attribute, byTestId, renderApp } from '../testing/html';
import { POLL_INTERVAL_MS } from './connect.svelte';
import { engineError } from '../ipc/mock-words';

const PEM = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n-----END PRIVATE KEY-----\n';

/** The app on the welcome screen with "Connect my wallet" opened. */
async function connecting(backend = new MockBackend()) {
  const app = new AppState(backend);
  await app.start();
  await app.openConnect();
  const flow = app.connect;
  if (!flow) throw new Error('the connect steps did not open');
  return { app, backend, flow };
}

/** Step 1 done with a wallet the mock knows. */
async function atKeyStep(backend = new MockBackend(), address = 'https://ilp.interledger-test.dev/alice') {
  const opened = await connecting(backend);
  opened.flow.walletInput = address;
  expect(await opened.flow.lookup()).toBe(true);
  opened.flow.next();
  expect(opened.flow.step).toBe(2);
  return opened;
}

function lastAdd(backend: MockBackend): AddProfileRequest | undefined {
  const call = backend.calls.filter((c) => c.command === 'add_profile').pop();
  return (call?.args as { request: AddProfileRequest } | undefined)?.request;
}

/** Lets the pending mock answers arrive without moving the clock. */
const settle = () => vi.advanceTimersByTimeAsync(0);

function registration(app: AppState) {
  return byTestId(renderApp(app), 'connect-registration');
}

describe('Connect my wallet', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('goes from look-up to a registered key and uses the new profile', async () => {
    const { app, backend, flow } = await connecting();
    expect(app.screen).toBe('connect');
    let html = renderApp(app);
    expect(byTestId(html, 'connect-stepper')?.text).toBe('1 Wallet 2 Key 3 Register');
    expect(attribute(byTestId(html, 'connect-wallet-input'), 'placeholder')).toBe(
      'https://ilp.interledger-test.dev/you',
    );

    // Step 1: the $ form is accepted and read by the core.
    flow.walletInput = '$ilp.interledger-test.dev/alice';
    const looking = flow.lookup();
    expect(flow.lookingUp).toBe(true);
    expect(byTestId(renderApp(app), 'connect-lookup')?.text).toBe('Looking up…');
    await looking;
    expect(backend.calls).toContainEqual({
      command: 'preview_wallet',
      args: { url: '$ilp.interledger-test.dev/alice', allowHttpLoopback: false },
    });
    html = renderApp(app);
    expect(byTestId(html, 'connect-preview-name')?.text).toBe('Alice');
    expect(byTestId(html, 'connect-preview-asset')?.text).toBe('USD, 2 decimals');
    expect(byTestId(html, 'connect-preview-auth')?.text).toBe('https://auth.ilp.interledger-test.dev');

    // Step 2: the name is prefilled; a new key in the keyring by default.
    flow.next();
    expect(flow.step).toBe(2);
    expect(flow.name).toBe('Alice');
    html = renderApp(app);
    expect(attribute(byTestId(html, 'connect-key-generate'), 'checked')).toBe('');
    expect(byTestId(html, 'connect-store-keyring')?.text).toBe('Kept in your system keyring.');
    expect(byTestId(html, 'connect-passphrase')).toBeNull();
    expect(await flow.save()).toBe(true);
    expect(lastAdd(backend)).toEqual({
      name: 'Alice',
      walletAddress: 'https://ilp.interledger-test.dev/alice',
      keyId: null,
      importKey: null,
      passphrase: null,
      allowHttpLoopback: false,
    });

    // Step 3: checks at once, then every 3 seconds until registered.
    expect(flow.step).toBe(3);
    const profile = flow.profile;
    expect(profile?.keyId).toBe('key-1');
    html = renderApp(app);
    expect(byTestId(html, 'connect-jwk')?.text).toContain('"kid": "key-1"');
    expect(byTestId(html, 'connect-steps')?.text).toContain('key-1');
    expect(attribute(byTestId(html, 'connect-registration'), 'data-state')).toBe('checking');
    expect(attribute(byTestId(html, 'connect-done'), 'disabled')).toBe('');

    await settle();
    expect(backend.count('check_registration')).toBe(1);
    expect(attribute(registration(app), 'data-state')).toBe('kidMissing');
    expect(registration(app)?.text).toContain('add the key `key-1` in its developer keys');

    await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS);
    expect(backend.count('check_registration')).toBe(2);
    await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS);
    expect(backend.count('check_registration')).toBe(3);
    expect(flow.registered).toBe(true);
    html = renderApp(app);
    expect(attribute(byTestId(html, 'connect-registration'), 'data-state')).toBe('registered');
    expect(attribute(byTestId(html, 'connect-done'), 'disabled')).toBeNull();
    expect(byTestId(html, 'connect-check-now')).toBeNull();

    // Registered: no more checks.
    await vi.advanceTimersByTimeAsync(10 * POLL_INTERVAL_MS);
    expect(backend.count('check_registration')).toBe(3);

    // The new profile is listed, and "Use this profile" makes it the one in use.
    expect(app.profiles.byId(profile?.id ?? '')).not.toBeNull();
    expect(app.profiles.activeId).toBeNull();
    await app.finishConnect();
    expect(app.profiles.activeId).toBe(profile?.id);
    expect(app.screen).toBe('home');
    expect(app.connect).toBeNull();
    expect(byTestId(renderApp(app), 'profile-active-name')?.text).toBe('Alice');
  });

  it('shows the core’s look-up error word for word and no preview', async () => {
    const { app, flow } = await connecting();
    flow.walletInput = 'https://ilp.interledger-test.dev/nameless';
    expect(await flow.lookup()).toBe(false);
    const expected = engineError('noPublicName', { url: 'https://ilp.interledger-test.dev/nameless' });
    const message = expected.message;
    expect(flow.error).toEqual(expected);
    const html = renderApp(app);
    const error = byTestId(html, 'connect-error');
    expect(error?.text).toBe(message);
    expect(attribute(error, 'role')).toBe('alert');
    expect(byTestId(html, 'connect-preview')).toBeNull();

    flow.walletInput = 'https://down.example/me';
    await flow.lookup();
    // The advice is given once (issue 16, point 6); what the network said is in the details.
    const unreachable = engineError('previewUnreachable', { host: 'down.example' });
    const shown = byTestId(renderApp(app), 'connect-error')?.text;
    expect(shown).toBe(`${unreachable.message} Details down.example: Connection refused (os error 111)`);
  });

  it('passes the plain-http choice on and asks for an address before looking up', async () => {
    const { app, backend, flow } = await connecting();
    expect(await flow.lookup()).toBe(false);
    expect(backend.count('preview_wallet')).toBe(0);
    expect(byTestId(renderApp(app), 'connect-wallet-invalid')?.text).toBe('Enter your wallet address first.');

    flow.walletInput = 'http://127.0.0.1:4455/bob';
    flow.allowHttp = true;
    expect(await flow.lookup()).toBe(true);
    expect(backend.calls[backend.calls.length - 1]).toEqual({
      command: 'preview_wallet',
      args: { url: 'http://127.0.0.1:4455/bob', allowHttpLoopback: true },
    });
    // Editing the address forgets the previous answer.
    flow.walletInput = 'http://127.0.0.1:4455/carol';
    expect(flow.preview).toBeNull();
  });

  it('requires a matching passphrase of 8+ characters when the keyring is unavailable', async () => {
    const backend = new MockBackend();
    backend.keyring = { state: 'unavailable', problem: 'No secret service is running.' };
    const { app, flow } = await atKeyStep(backend);
    let html = renderApp(app);
    expect(byTestId(html, 'connect-keyring-problem')?.text).toContain('No secret service is running.');
    expect(byTestId(html, 'connect-store-file')).toBeNull();
    expect(attribute(byTestId(html, 'connect-passphrase'), 'type')).toBe('password');
    expect(attribute(byTestId(html, 'connect-passphrase-confirm'), 'type')).toBe('password');

    // Nothing typed: refused, and both fields say why.
    expect(await flow.save()).toBe(false);
    expect(backend.count('add_profile')).toBe(0);
    html = renderApp(app);
    expect(byTestId(html, 'connect-passphrase-invalid')?.text).toBe('Choose a passphrase of at least 8 characters.');
    expect(byTestId(html, 'connect-passphrase-confirm-invalid')?.text).toBe('Type the passphrase again.');

    // Too short.
    flow.passphrase = 'short';
    flow.passphraseConfirm = 'short';
    expect(await flow.save()).toBe(false);
    expect(byTestId(renderApp(app), 'connect-passphrase-invalid')?.text).toBe('Use at least 8 characters (5 so far).');

    // Not the same twice.
    flow.passphrase = 'correct horse';
    flow.passphraseConfirm = 'correct horsf';
    expect(await flow.save()).toBe(false);
    expect(backend.count('add_profile')).toBe(0);
    html = renderApp(app);
    expect(byTestId(html, 'connect-passphrase-invalid')).toBeNull();
    expect(byTestId(html, 'connect-passphrase-confirm-invalid')?.text).toBe('The two passphrases are not the same.');

    flow.passphraseConfirm = 'correct horse';
    expect(await flow.save()).toBe(true);
    expect(lastAdd(backend)?.passphrase).toBe('correct horse');
    expect(flow.profile?.keyStore).toBe('encryptedFile');
    // The secrets are gone from the UI's state.
    expect(flow.passphrase).toBe('');
    expect(flow.passphraseConfirm).toBe('');
    app.connect?.dispose();
  });

  it('shows a mismatch as soon as the second passphrase differs, before saving', async () => {
    const backend = new MockBackend();
    const { app, flow } = await atKeyStep(backend);
    flow.storeInFile = true;
    flow.passphrase = 'correct horse';
    let html = renderApp(app);
    expect(byTestId(html, 'connect-passphrase-invalid')).toBeNull();
    expect(byTestId(html, 'connect-passphrase-confirm-invalid')).toBeNull();
    flow.passphraseConfirm = 'correct';
    html = renderApp(app);
    expect(byTestId(html, 'connect-passphrase-confirm-invalid')?.text).toBe('The two passphrases are not the same.');
  });

  it('keeps the key in a file when the person opts in although the keyring works', async () => {
    const backend = new MockBackend();
    const { flow } = await atKeyStep(backend);
    flow.storeInFile = true;
    expect(await flow.save()).toBe(false);
    expect(backend.count('add_profile')).toBe(0);
    flow.passphrase = 'a long passphrase';
    flow.passphraseConfirm = 'a long passphrase';
    expect(await flow.save()).toBe(true);
    expect(lastAdd(backend)?.passphrase).toBe('a long passphrase');
    flow.dispose();
  });

  it('requires the key ID when importing a key, and sends key and ID', async () => {
    const backend = new MockBackend();
    const { app, flow } = await atKeyStep(backend);
    flow.keySource = 'import';
    let html = renderApp(app);
    expect(attribute(byTestId(html, 'connect-key-file'), 'accept')).toBe('.pem,.key,.txt');
    expect(byTestId(html, 'connect-key-pem')).not.toBeNull();
    expect(attribute(byTestId(html, 'connect-key-id'), 'required')).toBe('');

    flow.pem = PEM;
    expect(await flow.save()).toBe(false);
    expect(backend.count('add_profile')).toBe(0);
    html = renderApp(app);
    expect(byTestId(html, 'connect-key-id-invalid')?.text).toBe('Enter the key ID your wallet shows for this key.');
    expect(byTestId(html, 'connect-key-pem-invalid')).toBeNull();

    flow.keyId = '  my-wallet-key ';
    expect(await flow.save()).toBe(true);
    expect(lastAdd(backend)).toMatchObject({ keyId: 'my-wallet-key', importKey: PEM, passphrase: null });
    expect(flow.profile?.keyId).toBe('my-wallet-key');
    expect(flow.pem).toBe('');
    flow.dispose();
  });

  it('requires the private key when importing', async () => {
    const backend = new MockBackend();
    const { app, flow } = await atKeyStep(backend);
    flow.keySource = 'import';
    flow.keyId = 'k1';
    expect(await flow.save()).toBe(false);
    expect(byTestId(renderApp(app), 'connect-key-pem-invalid')?.text).toBe(
      'Paste the private key, or choose its file.',
    );
  });

  it('shows the core’s refusal to save word for word and keeps the fields', async () => {
    const backend = new MockBackend();
    const { app, flow } = await atKeyStep(backend);
    flow.keySource = 'import';
    flow.pem = 'not a key';
    flow.keyId = 'k1';
    expect(await flow.save()).toBe(false);
    expect(byTestId(renderApp(app), 'connect-error')?.text).toBe(engineError('keyNotPem').message);
    expect(flow.step).toBe(2);
    expect(flow.pem).toBe('not a key');
  });

  it('stops checking the registration once the screen is left', async () => {
    const backend = new MockBackend();
    backend.registeredAfterChecks = 100;
    const { app, flow } = await atKeyStep(backend);
    await flow.save();
    await settle();
    expect(backend.count('check_registration')).toBe(1);
    await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS);
    expect(backend.count('check_registration')).toBe(2);

    await app.show('home');
    expect(app.connect).toBeNull();
    expect(flow.polling).toBe(false);
    await vi.advanceTimersByTimeAsync(20 * POLL_INTERVAL_MS);
    expect(backend.count('check_registration')).toBe(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stops checking on "Finish later" and on "Close", even with a check on its way', async () => {
    const backend = new MockBackend();
    backend.registeredAfterChecks = 100;
    const { app, flow } = await atKeyStep(backend);
    await flow.save();
    // The first check has not answered yet.
    await app.leaveConnect('profiles');
    expect(app.screen).toBe('profiles');
    await vi.advanceTimersByTimeAsync(20 * POLL_INTERVAL_MS);
    expect(backend.count('check_registration')).toBe(1);
    expect(vi.getTimerCount()).toBe(0);

    // "Check key in wallet" reopens step 3 for the saved profile; "Close" stops it again.
    const id = flow.profile?.id ?? '';
    app.resumeConnect(id);
    expect(app.connect?.step).toBe(3);
    await settle();
    expect(backend.count('check_registration')).toBe(2);
    await app.leaveConnect();
    expect(app.screen).toBe('profiles');
    await vi.advanceTimersByTimeAsync(20 * POLL_INTERVAL_MS);
    expect(backend.count('check_registration')).toBe(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('goes back to the welcome screen on cancel when it came from there', async () => {
    const { app } = await connecting();
    await app.leaveConnect();
    expect(app.screen).toBe('welcome');
  });

  it('"Check now" checks at once and keeps checking after a failure', async () => {
    const backend = new MockBackend();
    backend.registeredAfterChecks = 100;
    const { app, flow } = await atKeyStep(backend);
    await flow.save();
    await settle();
    expect(backend.count('check_registration')).toBe(1);

    await flow.checkNow();
    expect(backend.count('check_registration')).toBe(2);
    // The next automatic check comes a full interval after "Check now".
    await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS - 1);
    expect(backend.count('check_registration')).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(backend.count('check_registration')).toBe(3);

    backend.failWith = { code: 'wallet', message: 'ilp.interledger-test.dev could not be reached (timeout).' };
    await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS);
    expect(attribute(registration(app), 'data-state')).toBe('error');
    expect(registration(app)?.text).toContain('could not be reached (timeout).');

    backend.failWith = null;
    backend.differentKeyFor.add(flow.profile?.id ?? '');
    await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS);
    expect(attribute(registration(app), 'data-state')).toBe('differentKey');
    expect(flow.polling).toBe(true);
    flow.dispose();
  });
});
