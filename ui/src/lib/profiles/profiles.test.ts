import { describe, expect, it } from 'vitest';
import { MockBackend } from '../ipc/mock';
import { AppState } from '../shell/app.svelte';
import { allByTestId, attribute, byTestId, renderApp } from '../testing/html';

async function started(backend = new MockBackend()) {
  const app = new AppState(backend);
  await app.start();
  return { app, backend };
}

/** A second profile, as if connected earlier. */
async function withWallet(backend: MockBackend) {
  return backend.addProfile({
    name: 'My wallet',
    walletAddress: 'https://ilp.interledger-test.dev/me',
    keyId: null,
    importKey: null,
    passphrase: null,
    allowHttpLoopback: false,
  });
}

describe('first run', () => {
  it('shows the welcome screen while no profile is in use, and Home after choosing the sandbox', async () => {
    const { app, backend } = await started();
    expect(app.screen).toBe('welcome');
    let html = renderApp(app);
    expect(byTestId(html, 'welcome')).not.toBeNull();
    expect(byTestId(html, 'welcome-sandbox')?.text).toContain('No account, no real money.');
    expect(byTestId(html, 'profile-card')).toBeNull();
    expect(attribute(byTestId(html, 'nav-home'), 'aria-current')).toBe('page');

    await app.useSandbox();

    expect(backend.calls).toContainEqual({ command: 'use_profile', args: { id: 'sandbox' } });
    expect(app.screen).toBe('home');
    expect(app.profiles.active?.id).toBe('sandbox');
    html = renderApp(app);
    expect(byTestId(html, 'welcome')).toBeNull();
    expect(byTestId(html, 'profile-active-name')?.text).toBe('Sandbox');
    expect(byTestId(html, 'profile-active-wallet')?.text).toBe('http://127.0.0.1:4455/consent-desk');
    expect(byTestId(html, 'profile-memory-warning')).toBeNull();
    expect(byTestId(html, 'home-pay')?.text).toBe('Pay');
    expect(byTestId(html, 'home-budget')?.text).toBe('Set up a budget');
    // No approval came back through a browser link: no empty list of links.
    expect(byTestId(html, 'links')).toBeNull();
  });

  it('goes straight to Home when a profile is already in use', async () => {
    const backend = new MockBackend();
    backend.active = 'sandbox';
    const { app } = await started(backend);
    expect(app.screen).toBe('home');
    await app.show('welcome');
    expect(app.screen).toBe('home');
  });

  it('shows the welcome screen again when Home is opened with no profile in use', async () => {
    const { app } = await started();
    await app.show('about');
    expect(app.screen).toBe('about');
    await app.show('home');
    expect(app.screen).toBe('welcome');
  });

  it('warns on Home that a memory-only sandbox key lasts until the app closes', async () => {
    const backend = new MockBackend();
    backend.keyring = { state: 'unavailable', problem: 'No secret service is running.' };
    const { app } = await started(backend);
    await app.useSandbox();
    expect(byTestId(renderApp(app), 'profile-memory-warning')?.text).toBe(
      'No system keyring: the sandbox key lasts until you close the app',
    );
  });

  it('keeps the welcome screen and says why when the sandbox cannot be used', async () => {
    const { app, backend } = await started();
    backend.failWith = { code: 'keyring', message: 'The system keyring is locked. Unlock it and try again.' };
    await app.useSandbox();
    expect(app.screen).toBe('welcome');
    const error = byTestId(renderApp(app), 'welcome-error');
    expect(error?.text).toContain('The system keyring is locked. Unlock it and try again.');
    expect(attribute(error, 'role')).toBe('alert');
  });

  it('offers a retry on Home when the profiles could not be read', async () => {
    const backend = new MockBackend();
    backend.failWith = { code: 'storage', message: 'The profile file is damaged.' };
    const app = new AppState(backend);
    await app.start();
    expect(app.screen).toBe('home');
    let html = renderApp(app);
    expect(byTestId(html, 'profile-card')?.text).toContain('The profile file is damaged.');
    expect(byTestId(html, 'profile-retry')).not.toBeNull();
    backend.failWith = null;
    await app.profiles.load();
    expect(app.screen).toBe('welcome');
    html = renderApp(app);
    expect(byTestId(html, 'welcome')).not.toBeNull();
  });
});

describe('Profiles screen', () => {
  it('lists every profile with its wallet, key ID and key place, and marks the one in use', async () => {
    const backend = new MockBackend();
    backend.active = 'sandbox';
    const added = await withWallet(backend);
    const { app } = await started(backend);
    await app.show('profiles');

    const html = renderApp(app);
    expect(attribute(byTestId(html, 'nav-profiles'), 'aria-current')).toBe('page');
    const items = allByTestId(html, 'profile-item');
    expect(items.map((item) => attribute(item, 'data-id'))).toEqual(['sandbox', added.id]);
    expect(items[0]?.text).toContain('In use');
    expect(items[0]?.text).toContain('consent-desk-sandbox');
    expect(items[0]?.text).toContain('System keyring');
    expect(items[1]?.text).toContain('https://ilp.interledger-test.dev/me');
    expect(items[1]?.text).toContain('key-1');
    expect(allByTestId(html, 'profile-in-use')).toHaveLength(1);
    // "Use" on the others; "Remove" never on the sandbox.
    expect(allByTestId(html, 'profile-use')).toHaveLength(1);
    expect(allByTestId(html, 'profile-remove')).toHaveLength(1);
    expect(byTestId(html, 'keyring-warning')).toBeNull();

    await app.profiles.use(added.id);
    expect(app.profiles.activeId).toBe(added.id);
    expect(allByTestId(renderApp(app), 'profile-item')[1]?.text).toContain('In use');
  });

  it('warns when the keyring cannot be used and says new keys need a passphrase', async () => {
    const backend = new MockBackend();
    backend.keyring = { state: 'unavailable', problem: 'No secret service is running.' };
    const { app } = await started(backend);
    await app.show('profiles');
    const html = renderApp(app);
    const warning = byTestId(html, 'keyring-warning')?.text ?? '';
    expect(warning).toContain('No secret service is running.');
    expect(warning).toContain('passphrase');
    expect(allByTestId(html, 'profile-item')[0]?.text).toContain('Memory only');
  });

  it('asks for confirmation before removing a profile and its key', async () => {
    const backend = new MockBackend();
    backend.active = 'sandbox';
    const added = await withWallet(backend);
    const { app } = await started(backend);
    await app.show('profiles');

    app.profiles.askRemove(added.id);
    expect(backend.count('remove_profile')).toBe(0);
    let html = renderApp(app);
    expect(byTestId(html, 'profile-remove-confirm')).not.toBeNull();
    expect(allByTestId(html, 'profile-item')[1]?.text).toContain('private key is deleted too');

    app.profiles.cancelRemove();
    html = renderApp(app);
    expect(byTestId(html, 'profile-remove-confirm')).toBeNull();
    expect(backend.count('remove_profile')).toBe(0);
    expect(app.profiles.list).toHaveLength(2);

    app.profiles.askRemove(added.id);
    expect(await app.profiles.confirmRemove()).toBe(true);
    expect(backend.calls).toContainEqual({ command: 'remove_profile', args: { id: added.id } });
    expect(app.profiles.list.map((profile) => profile.id)).toEqual(['sandbox']);
    expect(byTestId(renderApp(app), 'profile-remove-confirm')).toBeNull();
  });

  it('shows the extra certificate authority a profile trusts, and About lists it once', async () => {
    const backend = new MockBackend();
    backend.active = 'sandbox';
    const added = await withWallet(backend);
    const twin = await backend.addProfile({
      name: 'Second wallet',
      walletAddress: 'https://ilp.interledger-test.dev/two',
      keyId: null,
      importKey: null,
      passphrase: null,
      allowHttpLoopback: false,
    });
    for (const profile of backend.profileList.filter((p) => p.id === added.id || p.id === twin.id)) {
      profile.caCert = '/home/qa/team-ca.pem';
    }
    backend.aboutInfo.extraCas = ['/home/qa/team-ca.pem'];
    const { app } = await started(backend);
    await app.show('profiles');
    const items = allByTestId(renderApp(app), 'profile-item');
    expect(items[0]?.text).not.toContain('Also trusts');
    expect(items[1]?.text).toContain('Also trusts');
    expect(allByTestId(renderApp(app), 'profile-ca-cert').map((line) => line.text)).toEqual([
      '/home/qa/team-ca.pem',
      '/home/qa/team-ca.pem',
    ]);

    await app.show('about');
    expect(byTestId(renderApp(app), 'about-extra-cas')?.text).toBe('/home/qa/team-ca.pem');
    backend.aboutInfo.extraCas = [];
    await app.refreshAbout();
    expect(byTestId(renderApp(app), 'about-extra-cas')).toBeNull();
  });

  it('proves the profile in use owns its wallet address through the wallet, and says so in words', async () => {
    const backend = new MockBackend();
    backend.active = 'sandbox';
    const added = await withWallet(backend);
    const { app } = await started(backend);
    await app.show('profiles');
    let html = renderApp(app);
    expect(allByTestId(html, 'profile-prove')).toHaveLength(1);
    expect(await app.profiles.prove()).toBe(true);
    expect(backend.calls).toContainEqual({ command: 'prove_ownership', args: { passphrase: null } });
    const id = app.profiles.proof?.id ?? '';
    expect(attribute(byTestId(renderApp(app), 'profile-prove-result'), 'data-state')).toBe('waiting');
    // Another grant's progress is not this proof's.
    backend.emit({ grantId: 'grant-other', step: 'done', message: 'Approved.', grant: null });
    expect(app.profiles.proof?.state).toBe('waiting');
    backend.emit({ grantId: id, step: 'done', message: 'Proved: you own http://127.0.0.1:4455/consent-desk.', grant: null });
    html = renderApp(app);
    const result = byTestId(html, 'profile-prove-result');
    expect(attribute(result, 'data-state')).toBe('proved');
    expect(result?.text).toBe('Proved: you own http://127.0.0.1:4455/consent-desk.');
    expect(added.id).not.toBe('sandbox');
  });

  it('says why a proof failed, in the core’s words', async () => {
    const backend = new MockBackend();
    backend.active = 'sandbox';
    const { app } = await started(backend);
    await app.show('profiles');
    await app.profiles.prove();
    backend.emit({
      grantId: app.profiles.proof?.id ?? '',
      step: 'failed',
      message: 'You rejected the request at your wallet; nothing was granted.',
      grant: null,
    });
    const result = byTestId(renderApp(app), 'profile-prove-result');
    expect(attribute(result, 'data-state')).toBe('failed');
    expect(result?.text).toContain('You rejected the request');
  });

  it('lets a profile name the app with the object form of client, the string form by default', async () => {
    const backend = new MockBackend();
    backend.active = 'sandbox';
    const added = await withWallet(backend);
    const { app } = await started(backend);
    await app.show('profiles');
    let boxes = allByTestId(renderApp(app), 'profile-client-form');
    expect(boxes).toHaveLength(2);
    expect(boxes.map((box) => attribute(box, 'checked'))).toEqual([null, null]);

    expect(await app.profiles.setClientForm(added.id, 'object')).toBe(true);
    expect(backend.calls).toContainEqual({ command: 'set_client_form', args: { id: added.id, form: 'object' } });
    expect(app.profiles.byId(added.id)?.clientForm).toBe('object');
    boxes = allByTestId(renderApp(app), 'profile-client-form');
    expect(attribute(boxes[1] ?? null, 'checked')).toBe('');
    expect(renderApp(app)).toContain('every wallet accepts today');
  });

  it('switches a profile to come back through a loopback address, not for the memory-only sandbox', async () => {
    const backend = new MockBackend();
    backend.active = 'sandbox';
    const added = await withWallet(backend);
    const { app } = await started(backend);
    await app.show('profiles');
    let boxes = allByTestId(renderApp(app), 'profile-loopback-finish');
    expect(boxes).toHaveLength(2);
    expect(boxes.map((box) => attribute(box, 'checked'))).toEqual([null, null]);

    expect(await app.profiles.setLoopbackFinish(added.id, true)).toBe(true);
    expect(backend.calls).toContainEqual({ command: 'set_loopback_finish', args: { id: added.id, on: true } });
    expect(app.profiles.byId(added.id)?.loopbackFinish).toBe(true);
    boxes = allByTestId(renderApp(app), 'profile-loopback-finish');
    expect(attribute(boxes[1] ?? null, 'checked')).toBe('');

    backend.keyring = { state: 'unavailable', problem: 'no Secret Service' };
    backend.profileList[0] = { ...backend.profileList[0]!, keyStore: 'memory' };
    await app.profiles.load();
    expect(allByTestId(renderApp(app), 'profile-loopback-finish')).toHaveLength(1);
  });

  it('shows why a removal failed and keeps the profile', async () => {
    const backend = new MockBackend();
    const added = await withWallet(backend);
    const { app } = await started(backend);
    await app.show('profiles');
    backend.failWith = { code: 'keyring', message: 'The system keyring is locked.' };
    app.profiles.askRemove(added.id);
    expect(await app.profiles.confirmRemove()).toBe(false);
    expect(byTestId(renderApp(app), 'profiles-error')?.text).toContain('The system keyring is locked.');
    expect(app.profiles.list).toHaveLength(2);
  });

  it('removing the profile in use takes the one the core picks instead', async () => {
    const backend = new MockBackend();
    const added = await withWallet(backend);
    backend.active = added.id;
    const { app } = await started(backend);
    app.profiles.askRemove(added.id);
    await app.profiles.confirmRemove();
    expect(app.profiles.activeId).toBe('sandbox');
    expect(app.screen).toBe('home');
  });

  it('opens the connect steps from "Connect a wallet" and comes back on cancel', async () => {
    const { app } = await started();
    await app.show('profiles');
    await app.openConnect();
    expect(app.screen).toBe('connect');
    expect(attribute(byTestId(renderApp(app), 'nav-profiles'), 'aria-current')).toBe('page');
    await app.leaveConnect();
    expect(app.screen).toBe('profiles');
    expect(app.connect).toBeNull();
  });
});
