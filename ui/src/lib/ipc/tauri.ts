import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import type { Backend } from './backend';
import { LINK_RECEIVED, type About, type AppStatus, type ReceivedLink } from './bindings';
import { toUiError } from './error';

async function call<T>(command: string): Promise<T> {
  try {
    return await invoke<T>(command);
  } catch (reason) {
    throw toUiError(reason);
  }
}

/** The backend inside the Tauri app. Only this file talks to Tauri. */
export const tauriBackend: Backend = {
  appStatus: () => call<AppStatus>('app_status'),
  about: () => call<About>('about'),
  receivedLinks: () => call<ReceivedLink[]>('received_links'),
  onLinkReceived: (handler) => listen<ReceivedLink>(LINK_RECEIVED, (event) => handler(event.payload)),
};
