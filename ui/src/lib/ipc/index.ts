export type { Backend } from './backend';
export type * from './bindings';
export { toUiError, type UiError } from './error';
export { tauriBackend } from './tauri';
