import type { ErrorCode, IpcError } from './bindings';

/** A failure the UI can show: a code to branch on and a sentence for the person. */
export interface UiError {
  code: ErrorCode | 'unreachable';
  message: string;
}

function isIpcError(value: unknown): value is IpcError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

/**
 * Normalizes whatever `invoke` rejected with. Our commands reject with
 * `{code, message}`; Tauri itself rejects with a bare string (for example a
 * command the window is not allowed to call), which becomes `unreachable`.
 */
export function toUiError(reason: unknown): UiError {
  if (isIpcError(reason)) return { code: reason.code, message: reason.message };
  const detail = reason instanceof Error ? reason.message : String(reason);
  return {
    code: 'unreachable',
    message: `Consent Desk's core did not answer (${detail}). Restart the app; if this keeps happening, report it with the log file from About.`,
  };
}
