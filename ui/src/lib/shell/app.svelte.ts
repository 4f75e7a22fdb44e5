import type { About, AppStatus, Backend, ProfileView, ReceivedLink, UiError } from '../ipc';
import { toUiError } from '../ipc';
import { ConnectFlow } from '../profiles/connect.svelte';
import { ProfilesState } from '../profiles/profiles.svelte';

/**
 * The screens. `welcome` is what Home becomes while no profile is in use;
 * `connect` is the "Connect my wallet" steps.
 */
export type Screen = 'home' | 'welcome' | 'profiles' | 'connect' | 'about';

/** App-wide state: what the status bar, Home, Profiles and About show. */
export class AppState {
  #backend: Backend;
  /** Profiles, the one in use and the keyring. */
  readonly profiles: ProfilesState;
  #screen = $state<Exclude<Screen, 'welcome'>>('home');
  #connect = $state<ConnectFlow | null>(null);
  /** Where "Cancel" in the connect steps goes back to. */
  #connectOrigin: Exclude<Screen, 'welcome' | 'connect'> = 'home';
  #status = $state<AppStatus | null>(null);
  #about = $state<About | null>(null);
  #links = $state<ReceivedLink[]>([]);
  #error = $state<UiError | null>(null);
  #loading = $state(false);

  constructor(backend: Backend) {
    this.#backend = backend;
    this.profiles = new ProfilesState(backend);
  }

  /** The screen to show. Home is the welcome screen whenever no profile is in use. */
  get screen(): Screen {
    if (this.#screen === 'home' && this.profiles.loaded && this.profiles.activeId === null) return 'welcome';
    return this.#screen;
  }
  /** The connect steps while they are open. */
  get connect() {
    return this.#connect;
  }
  get status() {
    return this.#status;
  }
  get about() {
    return this.#about;
  }
  /** Newest first. */
  get links() {
    return [...this.#links].reverse();
  }
  get error() {
    return this.#error;
  }
  get loading() {
    return this.#loading;
  }

  /** Loads the status and the links that arrived before the UI was ready, then follows new ones. */
  async start(): Promise<() => void> {
    const unsubscribe = await this.#backend.onLinkReceived((link) => {
      if (!this.#links.some((known) => known.url === link.url && known.receivedAt === link.receivedAt)) {
        this.#links.push(link);
      }
    });
    await Promise.all([
      this.#run(async () => {
        const [status, links] = await Promise.all([this.#backend.appStatus(), this.#backend.receivedLinks()]);
        this.#status = status;
        // Links may have arrived through the subscription while we waited.
        const seen = new Set(this.#links.map((link) => link.url + link.receivedAt));
        this.#links = [...links.filter((link) => !seen.has(link.url + link.receivedAt)), ...this.#links];
      }),
      // Its failure shows on Home's profile card, with a retry.
      this.profiles.load(),
    ]);
    return unsubscribe;
  }

  /** Goes to a screen; leaving the connect steps stops their checks. */
  async show(screen: Screen) {
    if (screen === 'connect') {
      await this.openConnect();
      return;
    }
    this.#closeConnect();
    this.profiles.dismissError();
    this.#screen = screen === 'welcome' ? 'home' : screen;
    if (screen === 'about') await this.refreshAbout();
    if (screen === 'profiles' && !this.profiles.loaded) await this.profiles.load();
  }

  /** Opens "Connect my wallet" at its first step; "Cancel" comes back to the current screen. */
  async openConnect() {
    this.#startConnect(undefined);
    if (!this.profiles.loaded) await this.profiles.load();
  }

  /** Opens the register step for a saved profile whose key may not be in its wallet yet. */
  resumeConnect(profileId: string) {
    const profile = this.profiles.byId(profileId);
    if (!profile) return;
    this.#startConnect(profile).startPolling();
  }

  /** "Cancel" (back where the person came from) or "Finish later" (to Profiles). */
  async leaveConnect(to?: 'profiles') {
    await this.show(to ?? this.#connectOrigin);
  }

  /** "Use this profile" once the key is registered: it becomes the one in use, then Home. */
  async finishConnect() {
    if (await this.#connect?.finish()) await this.show('home');
  }

  /** Sandbox from the welcome screen: one click to Home. */
  async useSandbox() {
    if (await this.profiles.use('sandbox')) await this.show('home');
  }

  async refreshStatus() {
    await this.#run(async () => {
      this.#status = await this.#backend.appStatus();
    });
  }

  async refreshAbout() {
    await this.#run(async () => {
      this.#about = await this.#backend.about();
    });
  }

  #startConnect(saved: ProfileView | undefined) {
    const from = this.#screen;
    this.#closeConnect();
    if (from !== 'connect') this.#connectOrigin = from;
    const flow = new ConnectFlow(this.#backend, this.profiles, saved);
    this.#connect = flow;
    this.#screen = 'connect';
    return flow;
  }

  #closeConnect() {
    this.#connect?.dispose();
    this.#connect = null;
  }

  dismissError() {
    this.#error = null;
  }

  async #run(work: () => Promise<void>) {
    this.#loading = true;
    try {
      await work();
      this.#error = null;
    } catch (reason) {
      this.#error = toUiError(reason);
    } finally {
      this.#loading = false;
    }
  }
}
