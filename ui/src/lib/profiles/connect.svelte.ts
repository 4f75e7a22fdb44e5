import type { Backend, ProfileView, RegistrationState, UiError, WalletPreviewView } from '../ipc';
import { toUiError } from '../ipc';
import type { ProfilesState } from './profiles.svelte';

/** 1 Wallet · 2 Key · 3 Register. */
export type ConnectStep = 1 | 2 | 3;
export type KeySource = 'generate' | 'import';

/** What the registration status shows: the core's verdict, or that we are still asking, or why we could not. */
export interface RegistrationStatus {
  state: RegistrationState | 'checking' | 'error';
  message: string;
}

/** Inline messages for the key step, by field. */
export interface KeyProblems {
  name?: string;
  pem?: string;
  keyId?: string;
  passphrase?: string;
  passphraseConfirm?: string;
}

/** How often the wallet's key list is read again while the key is not registered. */
export const POLL_INTERVAL_MS = 3000;
/** The core refuses shorter passphrases. */
export const MIN_PASSPHRASE_LENGTH = 8;

/**
 * The "Connect my wallet" steps: look the wallet up, make or import a key,
 * then wait until the wallet lists the key. Secrets (the imported PEM and
 * the passphrase) leave this object as soon as the profile is saved.
 */
export class ConnectFlow {
  #backend: Backend;
  #profiles: ProfilesState;
  #step = $state<ConnectStep>(1);

  // Step 1: the wallet.
  #walletInput = $state('');
  #allowHttp = $state(false);
  #lookupAttempted = $state(false);
  #lookingUp = $state(false);
  #preview = $state<WalletPreviewView | null>(null);
  #error = $state<UiError | null>(null);

  // Step 2: the key.
  /** What to call the profile; the wallet's public name until the person changes it. */
  name = $state('');
  keySource = $state<KeySource>('generate');
  /** An imported private key, PEM text. */
  pem = $state('');
  /** The key ID the wallet shows for an imported key. */
  keyId = $state('');
  /** Opt-in: a passphrase-protected file although the keyring works. */
  storeInFile = $state(false);
  passphrase = $state('');
  passphraseConfirm = $state('');
  #saveAttempted = $state(false);
  #saving = $state(false);

  // Step 3: registration.
  #profile = $state<ProfileView | null>(null);
  #registration = $state<RegistrationStatus>({ state: 'checking', message: 'Checking your wallet…' });
  #checking = $state(false);
  #finishing = $state(false);
  #polling = false;
  #generation = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Starts at step 1, or at step 3 for a saved profile whose key still needs registering. */
  constructor(backend: Backend, profiles: ProfilesState, saved?: ProfileView) {
    this.#backend = backend;
    this.#profiles = profiles;
    if (saved) {
      this.#profile = saved;
      this.#step = 3;
    }
  }

  get step() {
    return this.#step;
  }

  get walletInput() {
    return this.#walletInput;
  }
  /** Editing the address forgets the previous look-up. */
  set walletInput(text: string) {
    if (text === this.#walletInput) return;
    this.#walletInput = text;
    this.#preview = null;
    this.#error = null;
  }
  get allowHttp() {
    return this.#allowHttp;
  }
  set allowHttp(allow: boolean) {
    if (allow === this.#allowHttp) return;
    this.#allowHttp = allow;
    this.#preview = null;
    this.#error = null;
  }
  /** Shown under the address field when "Look up" was pressed with nothing in it. */
  get walletProblem(): string | null {
    return this.#lookupAttempted && !this.#walletInput.trim() ? 'Enter your wallet address first.' : null;
  }
  get lookingUp() {
    return this.#lookingUp;
  }
  get preview() {
    return this.#preview;
  }
  /** The core's last refusal, shown verbatim. */
  get error() {
    return this.#error;
  }

  get keyringProblem() {
    return this.#profiles.keyringProblem;
  }
  /** Without a usable keyring (or unknown), a passphrase-protected file is the only place for the key. */
  get keyringAvailable() {
    return this.#profiles.keyring?.state === 'available';
  }
  get needsPassphrase() {
    return this.storeInFile || !this.keyringAvailable;
  }
  get saving() {
    return this.#saving;
  }

  /** Every field that keeps the profile from being saved, with what to do about it. */
  get problems(): KeyProblems {
    const problems: KeyProblems = {};
    if (!this.name.trim()) problems.name = 'Give this profile a name.';
    if (this.keySource === 'import') {
      if (!this.pem.trim()) problems.pem = 'Paste the private key, or choose its file.';
      if (!this.keyId.trim()) problems.keyId = 'Enter the key ID your wallet shows for this key.';
    }
    if (this.needsPassphrase) {
      if (!this.passphrase) {
        problems.passphrase = `Choose a passphrase of at least ${MIN_PASSPHRASE_LENGTH} characters.`;
      } else if (this.passphrase.length < MIN_PASSPHRASE_LENGTH) {
        problems.passphrase = `Use at least ${MIN_PASSPHRASE_LENGTH} characters (${this.passphrase.length} so far).`;
      }
      if (this.passphraseConfirm !== this.passphrase && (this.passphraseConfirm || this.#saveAttempted)) {
        problems.passphraseConfirm = 'The two passphrases are not the same.';
      } else if (!this.passphraseConfirm && this.#saveAttempted) {
        problems.passphraseConfirm = 'Type the passphrase again.';
      }
    }
    return problems;
  }

  /**
   * The problems to show now: all of them once "Save" was pressed; before
   * that only those about what the person already typed.
   */
  get shownProblems(): KeyProblems {
    const problems = this.problems;
    if (this.#saveAttempted) return problems;
    const shown: KeyProblems = {};
    if (this.passphrase && problems.passphrase) shown.passphrase = problems.passphrase;
    if (this.passphraseConfirm && problems.passphraseConfirm) shown.passphraseConfirm = problems.passphraseConfirm;
    return shown;
  }

  get profile() {
    return this.#profile;
  }
  get registration() {
    return this.#registration;
  }
  get registered() {
    return this.#registration.state === 'registered';
  }
  /** A registration check is on its way. */
  get checking() {
    return this.#checking;
  }
  /** The checks repeat on their own. */
  get polling() {
    return this.#polling;
  }
  get finishing() {
    return this.#finishing;
  }

  /** Step 1: asks the core to read the wallet address. */
  async lookup(): Promise<boolean> {
    if (this.#lookingUp) return false;
    this.#lookupAttempted = true;
    this.#preview = null;
    this.#error = null;
    const url = this.#walletInput.trim();
    if (!url) return false;
    this.#lookingUp = true;
    try {
      const preview = await this.#backend.previewWallet(url, this.#allowHttp);
      // The person may have typed on while we waited; that answer is stale.
      if (url !== this.#walletInput.trim()) return false;
      this.#preview = preview;
      return true;
    } catch (reason) {
      this.#error = toUiError(reason);
      return false;
    } finally {
      this.#lookingUp = false;
    }
  }

  /** Step 1 → 2 with the wallet that was looked up. */
  next() {
    const preview = this.#preview;
    if (this.#step !== 1 || !preview) return;
    if (!this.name.trim()) this.name = preview.publicName;
    this.#error = null;
    this.#step = 2;
  }

  /** Step 2 → 1 to use another wallet. */
  back() {
    if (this.#step !== 2 || this.#saving) return;
    this.#error = null;
    this.#step = 1;
  }

  /** Step 2: saves the profile; on success the secrets are forgotten and step 3 begins. */
  async save(): Promise<boolean> {
    const preview = this.#preview;
    if (this.#step !== 2 || this.#saving || !preview) return false;
    this.#saveAttempted = true;
    this.#error = null;
    if (Object.keys(this.problems).length > 0) return false;
    const importing = this.keySource === 'import';
    this.#saving = true;
    try {
      const profile = await this.#backend.addProfile({
        name: this.name.trim(),
        walletAddress: preview.url,
        keyId: importing ? this.keyId.trim() : null,
        importKey: importing ? this.pem : null,
        passphrase: this.needsPassphrase ? this.passphrase : null,
        allowHttpLoopback: this.#allowHttp,
      });
      this.#forgetSecrets();
      this.#profile = profile;
      this.#registration = { state: 'checking', message: 'Checking your wallet…' };
      this.#step = 3;
      this.startPolling();
      void this.#profiles.load();
      return true;
    } catch (reason) {
      this.#error = toUiError(reason);
      return false;
    } finally {
      this.#saving = false;
    }
  }

  /**
   * Step 3: checks now, then every {@link POLL_INTERVAL_MS} until the key is
   * registered or {@link stopPolling} is called. Calling it again while it
   * runs changes nothing. Returns the function that stops it.
   */
  startPolling(): () => void {
    if (!this.#polling && this.#profile && !this.registered) {
      this.#polling = true;
      void this.#tick(++this.#generation);
    }
    return () => this.stopPolling();
  }

  stopPolling() {
    this.#polling = false;
    this.#generation++;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** "Check now": one check at once; the repeating checks restart from it. */
  async checkNow() {
    if (!this.#profile || this.#checking) return;
    this.stopPolling();
    this.#polling = true;
    await this.#tick(++this.#generation);
  }

  /** Step 3 done: the new profile becomes the one in use. */
  async finish(): Promise<boolean> {
    const profile = this.#profile;
    if (!profile || !this.registered || this.#finishing) return false;
    this.#finishing = true;
    try {
      const used = await this.#profiles.use(profile.id);
      if (!used) this.#error = this.#profiles.error;
      return used;
    } finally {
      this.#finishing = false;
    }
  }

  /** The person left the steps: no more checks, no secrets kept. */
  dispose() {
    this.stopPolling();
    this.#forgetSecrets();
  }

  async #tick(generation: number) {
    const profile = this.#profile;
    if (!profile) return;
    this.#checking = true;
    let status: RegistrationStatus;
    try {
      const view = await this.#backend.checkRegistration(profile.id);
      status = { state: view.state, message: view.message };
    } catch (reason) {
      status = { state: 'error', message: toUiError(reason).message };
    }
    this.#checking = false;
    // Stopped (or restarted) while the answer was on its way.
    if (generation !== this.#generation) return;
    this.#registration = status;
    if (status.state === 'registered') {
      this.#polling = false;
      return;
    }
    this.#timer = setTimeout(() => void this.#tick(generation), POLL_INTERVAL_MS);
  }

  #forgetSecrets() {
    this.pem = '';
    this.passphrase = '';
    this.passphraseConfirm = '';
  }
}
