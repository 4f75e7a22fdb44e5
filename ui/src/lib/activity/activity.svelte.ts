import type { ActivityExport, ActivityKindView, ActivityQuery, ActivityView, Backend, UiError } from '../ipc';
import { toUiError } from '../ipc';

/** Entries read at a time. */
export const ACTIVITY_PAGE = 100;

/** The activity log as QA reads it: filtered, a page at a time, exportable. */
export class ActivityState {
  #backend: Backend;
  /** Text to look for in operations, URLs and details. */
  text = $state('');
  /** Only what failed. */
  failuresOnly = $state(false);
  /** Only requests, or only finish links; `''` for both. */
  kind = $state<ActivityKindView | ''>('');
  /** The filter the listed entries were read with (the form may have changed since). */
  #shown: ActivityQuery = { text: '', failuresOnly: false };
  #entries = $state<ActivityView[]>([]);
  #more = $state(false);
  #loading = $state(false);
  #loaded = $state(false);
  #error = $state<UiError | null>(null);
  #open = $state<number | null>(null);
  #exported = $state<ActivityExport | null>(null);
  #generation = 0;

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  get entries() {
    return this.#entries;
  }
  get more() {
    return this.#more;
  }
  get loading() {
    return this.#loading;
  }
  /** `false` until the first answer. */
  get loaded() {
    return this.#loaded;
  }
  get error() {
    return this.#error;
  }
  /** The entry whose details are shown. */
  get open() {
    return this.#open;
  }
  /** Where the last export went. */
  get exported() {
    return this.#exported;
  }

  #query(): ActivityQuery {
    const query: ActivityQuery = { text: this.text, failuresOnly: this.failuresOnly };
    if (this.kind) query.kind = this.kind;
    return query;
  }

  /** Reads the newest page for the current filter; only the latest answer counts. */
  async load(): Promise<boolean> {
    const generation = ++this.#generation;
    this.#loading = true;
    const query = this.#query();
    try {
      const entries = await this.#backend.activity(query, ACTIVITY_PAGE, 0);
      if (generation !== this.#generation) return false;
      this.#shown = query;
      this.#entries = entries;
      this.#loaded = true;
      this.#more = entries.length === ACTIVITY_PAGE;
      this.#error = null;
      return true;
    } catch (reason) {
      if (generation === this.#generation) this.#error = toUiError(reason);
      return false;
    } finally {
      if (generation === this.#generation) this.#loading = false;
    }
  }

  /** The next, older page. */
  async loadMore(): Promise<boolean> {
    try {
      const page = await this.#backend.activity(this.#shown, ACTIVITY_PAGE, this.#entries.length);
      // New entries arrive at the top meanwhile, shifting offsets: skip known ones.
      const known = new Set(this.#entries.map((entry) => entry.id));
      this.#entries = [...this.#entries, ...page.filter((entry) => !known.has(entry.id))];
      this.#more = page.length === ACTIVITY_PAGE;
      return true;
    } catch (reason) {
      this.#error = toUiError(reason);
      return false;
    }
  }

  toggle(id: number) {
    this.#open = this.#open === id ? null : id;
  }

  /**
   * Writes exactly what the list shows (its filter, every page of it) to a file the person
   * chooses; `false` when that failed or the dialog was cancelled.
   */
  async export(): Promise<boolean> {
    try {
      const exported = await this.#backend.exportActivity(this.#shown);
      this.#error = null;
      if (exported === null) return false;
      this.#exported = exported;
      return true;
    } catch (reason) {
      this.#error = toUiError(reason);
      return false;
    }
  }
}
