import type { ErrorCode, IpcError, ProblemCode } from './bindings';

/**
 * A failure the UI can show: a code to branch on, a sentence for the
 * person, and a technical line to fold under "Details".
 */
export interface UiError {
  code: ErrorCode | 'unreachable';
  /** Which problem exactly, when the core said (`wallet_unavailable`, …). */
  problem?: ProblemCode | null;
  message: string;
  /** The server's status and code, the host…: for "Details", never the sentence. */
  details?: string | null;
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
 * `{code, problem, message, details}`; Tauri itself rejects with a bare
 * string (for example a command the window is not allowed to call), which
 * becomes `unreachable` with that string as its details.
 */
export function toUiError(reason: unknown): UiError {
  if (isIpcError(reason)) {
    const { problem, details } = reason as Partial<IpcError>;
    return { code: reason.code, problem: problem ?? null, message: reason.message, details: details ?? null };
  }
  const detail = reason instanceof Error ? reason.message : String(reason);
  return {
    code: 'unreachable',
    problem: null,
    message: "Consent Desk's core did not answer. Restart the app; if this keeps happening, report it with the log file from About.",
    details: detail,
  };
}
