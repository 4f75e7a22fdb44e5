import type { Backend, FlowProgress, GrantView, UiError } from '../ipc';
import { toUiError } from '../ipc';

/** Every grant the app asked for, newest first, as Home lists them. */
export class GrantsState {
  #backend: Backend;
  #list = $state<GrantView[] | null>(null);
  #loading = $state(false);
  #error = $state<UiError | null>(null);
  #generation = 0;

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  /** `false` until the first answer from the core. */
  get loaded() {
    return this.#list !== null;
  }
  get list(): GrantView[] {
    return this.#list ?? [];
  }
  get loading() {
    return this.#loading;
  }
  get error() {
    return this.#error;
  }

  /** Reads the grants again; only the latest answer counts. */
  async load(): Promise<boolean> {
    const generation = ++this.#generation;
    this.#loading = true;
    try {
      const list = await this.#backend.grants();
      if (generation !== this.#generation) return false;
      this.#list = list;
      this.#error = null;
      return true;
    } catch (reason) {
      if (generation !== this.#generation) return false;
      this.#error = toUiError(reason);
      return false;
    } finally {
      if (generation === this.#generation) this.#loading = false;
    }
  }

  /** A progress event that carries a grant: it replaces the one listed, or comes first when new. */
  receive(progress: FlowProgress) {
    const grant = progress.grant;
    if (!grant || this.#list === null) return;
    const index = this.#list.findIndex((known) => known.id === grant.id);
    if (index >= 0) this.#list[index] = grant;
    else this.#list.unshift(grant);
  }
}
