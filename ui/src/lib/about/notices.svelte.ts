import type { Backend, NoticeSettings, UiError } from '../ipc';
import { toUiError } from '../ipc';

/** The notification switches on the About screen, kept by the engine in settings.json. */
export class NoticeSettingsState {
  #backend: Backend;
  #settings = $state<NoticeSettings | null>(null);
  #error = $state<UiError | null>(null);
  #saving = $state(false);

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  /** `null` until read. */
  get settings() {
    return this.#settings;
  }
  get error() {
    return this.#error;
  }
  get saving() {
    return this.#saving;
  }

  async load(): Promise<boolean> {
    try {
      this.#settings = await this.#backend.noticeSettings();
      this.#error = null;
      return true;
    } catch (reason) {
      this.#error = toUiError(reason);
      return false;
    }
  }

  /** Switches one kind on or off; on failure the switch shows what is still kept. */
  async set(key: keyof NoticeSettings, on: boolean): Promise<boolean> {
    if (!this.#settings) return false;
    const wanted = { ...this.#settings, [key]: on };
    this.#saving = true;
    try {
      this.#settings = await this.#backend.setNoticeSettings(wanted);
      this.#error = null;
      return true;
    } catch (reason) {
      this.#error = toUiError(reason);
      this.#settings = { ...this.#settings };
      return false;
    } finally {
      this.#saving = false;
    }
  }
}
