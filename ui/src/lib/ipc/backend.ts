import type { About, AppStatus, ReceivedLink } from './bindings';

/**
 * Everything the UI asks of the Rust core. Components take a `Backend`, so
 * they run in vitest against a mock and in the app against Tauri.
 */
export interface Backend {
  /** Name, version and the one-line status for the status bar. */
  appStatus(): Promise<AppStatus>;
  /** Versions and folders for the About screen. */
  about(): Promise<About>;
  /** Links received through the OS since the app started, oldest first. */
  receivedLinks(): Promise<ReceivedLink[]>;
  /** Calls `handler` for each link that arrives from now on; returns an unsubscribe function. */
  onLinkReceived(handler: (link: ReceivedLink) => void): Promise<() => void>;
}
