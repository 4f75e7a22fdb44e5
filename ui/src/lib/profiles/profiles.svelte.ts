import type { Backend, ClientFormChoice, FlowProgress, ProfilesView, ProfileView, UiError } from '../ipc';
import { toUiError } from '../ipc';

/** A change in progress, so the right button can say so. */
export interface ProfilesTask {
  action: 'use' | 'remove' | 'finish' | 'client-form';
  /** The profile concerned. */
  id: string;
}

/** "Prove I own this wallet address": where it stands, in the core's words. */
export interface OwnershipProof {
  /** The profile whose wallet address is proved. */
  profile: string;
  /** The pending proof's id once the wallet was asked. */
  id: string | null;
  state: 'asking' | 'waiting' | 'proved' | 'failed';
  message: string;
}

/** The profiles, the one in use and the keyring's state, as the core reports them. */
export class ProfilesState {
  #backend: Backend;
  #view = $state<ProfilesView | null>(null);
  #task = $state<ProfilesTask | null>(null);
  #loading = $state(false);
  #error = $state<UiError | null>(null);
  #confirmingRemoval = $state<string | null>(null);
  #proof = $state<OwnershipProof | null>(null);

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  /** `false` until the first answer from the core. */
  get loaded() {
    return this.#view !== null;
  }
  /** All profiles, the sandbox first. */
  get list(): ProfileView[] {
    return this.#view?.profiles ?? [];
  }
  /** The id of the profile in use; `null` on first run (and before loading). */
  get activeId() {
    return this.#view?.active ?? null;
  }
  /** The profile in use, if any. */
  get active(): ProfileView | null {
    const id = this.activeId;
    return id === null ? null : (this.list.find((profile) => profile.id === id) ?? null);
  }
  /** Whether new keys can go to the system keyring; `null` before loading. */
  get keyring() {
    return this.#view?.keyring ?? null;
  }
  /** Why the keyring cannot be used, or `null` when it can (or is not known yet). */
  get keyringProblem() {
    const keyring = this.keyring;
    return keyring?.state === 'unavailable' ? keyring.problem : null;
  }
  /** The change in progress (using or removing a profile), if any. */
  get task() {
    return this.#task;
  }
  /** Reading the profiles from the core. */
  get loading() {
    return this.#loading;
  }
  /** A change is in progress: other changes wait. */
  get busy() {
    return this.#task !== null;
  }
  get error() {
    return this.#error;
  }
  /** The profile whose removal waits for a second click. */
  get confirmingRemoval() {
    return this.#confirmingRemoval;
  }

  byId(id: string): ProfileView | null {
    return this.list.find((profile) => profile.id === id) ?? null;
  }

  /** Reads the profiles again; also after a change made elsewhere (a new profile). */
  async load(): Promise<boolean> {
    this.#loading = true;
    try {
      return await this.#apply(() => this.#backend.profiles());
    } finally {
      this.#loading = false;
    }
  }

  /** Makes `id` the profile in use. */
  async use(id: string): Promise<boolean> {
    return this.#run({ action: 'use', id }, () => this.#backend.useProfile(id));
  }

  /** Where the wallet sends the person back: a loopback address (`on`) or the app's link. */
  async setLoopbackFinish(id: string, on: boolean): Promise<boolean> {
    return this.#run({ action: 'finish', id }, () => this.#backend.setLoopbackFinish(id, on));
  }

  /** How grant requests name this app: the deprecated string (default) or `{"walletAddress": …}`. */
  async setClientForm(id: string, form: ClientFormChoice): Promise<boolean> {
    return this.#run({ action: 'client-form', id }, () => this.#backend.setClientForm(id, form));
  }

  /** The last ownership proof asked from this screen, if any. */
  get proof() {
    return this.#proof;
  }

  /**
   * "Prove I own this wallet address" for the profile in use: the wallet's
   * window opens; {@link receive} follows it to "Proved: you own …".
   */
  async prove(): Promise<boolean> {
    const profile = this.activeId;
    if (profile === null) return false;
    this.#proof = { profile, id: null, state: 'asking', message: 'Asking your wallet…' };
    try {
      const pending = await this.#backend.proveOwnership(null);
      if (this.#proof?.profile === profile && this.#proof.id === null && this.#proof.state === 'asking') {
        this.#proof = { profile, id: pending.id, state: 'waiting', message: "Confirm in your wallet's window." };
      }
      return true;
    } catch (error) {
      this.#proof = { profile, id: null, state: 'failed', message: toUiError(error).message };
      return false;
    }
  }

  /** Follows the proof asked here; other grants' progress is ignored. */
  receive(progress: FlowProgress) {
    const proof = this.#proof;
    if (!proof || proof.id === null || progress.grantId !== proof.id) return;
    if (progress.step === 'done') this.#proof = { ...proof, state: 'proved', message: progress.message };
    else if (['failed', 'cancelled', 'refused'].includes(progress.step))
      this.#proof = { ...proof, state: 'failed', message: progress.message };
  }

  /** First click on "Remove": asks for confirmation, removes nothing yet. */
  askRemove(id: string) {
    this.#confirmingRemoval = id;
    this.#error = null;
  }

  cancelRemove() {
    this.#confirmingRemoval = null;
  }

  /** Second click: removes the profile and deletes its key. */
  async confirmRemove(): Promise<boolean> {
    const id = this.#confirmingRemoval;
    if (id === null) return false;
    const removed = await this.#run({ action: 'remove', id }, () => this.#backend.removeProfile(id));
    if (removed) this.#confirmingRemoval = null;
    return removed;
  }

  dismissError() {
    this.#error = null;
  }

  async #run(task: ProfilesTask, work: () => Promise<ProfilesView>): Promise<boolean> {
    if (this.#task !== null) return false;
    this.#task = task;
    try {
      return await this.#apply(work);
    } finally {
      this.#task = null;
    }
  }

  async #apply(work: () => Promise<ProfilesView>): Promise<boolean> {
    try {
      this.#view = await work();
      this.#error = null;
      return true;
    } catch (reason) {
      this.#error = toUiError(reason);
      return false;
    }
  }
}
