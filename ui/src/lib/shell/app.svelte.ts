import type { About, AppStatus, Backend, ReceivedLink, UiError } from '../ipc';
import { toUiError } from '../ipc';

/** The screens the navigation offers. */
export type Screen = 'home' | 'about';

/** App-wide state: what the status bar, Home and About show. */
export class AppState {
  #backend: Backend;
  #screen = $state<Screen>('home');
  #status = $state<AppStatus | null>(null);
  #about = $state<About | null>(null);
  #links = $state<ReceivedLink[]>([]);
  #error = $state<UiError | null>(null);
  #loading = $state(false);

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  get screen() {
    return this.#screen;
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
    await this.#run(async () => {
      const [status, links] = await Promise.all([this.#backend.appStatus(), this.#backend.receivedLinks()]);
      this.#status = status;
      // Links may have arrived through the subscription while we waited.
      const seen = new Set(this.#links.map((link) => link.url + link.receivedAt));
      this.#links = [...links.filter((link) => !seen.has(link.url + link.receivedAt)), ...this.#links];
    });
    return unsubscribe;
  }

  async show(screen: Screen) {
    this.#screen = screen;
    if (screen === 'about') await this.refreshAbout();
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
