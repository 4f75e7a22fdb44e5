import { describe, expect, it } from 'vitest';
import { toUiError } from './error';
import { engineError } from './mock-words';

describe('toUiError', () => {
  it('keeps the code, problem, message and details of a command error', () => {
    const error = engineError('walletUnavailable', { host: 'wallet.example' });
    expect(toUiError(error)).toEqual({
      code: 'network',
      problem: 'wallet_unavailable',
      message: 'The wallet at wallet.example is not answering right now (HTTP 503). Try again in a moment.',
      details: error.details,
    });
    expect(error.details).toContain('injected_fault');
  });

  it('reads an error of an older core, without problem or details', () => {
    expect(toUiError({ code: 'storage', message: 'Disk full.' })).toEqual({
      code: 'storage',
      problem: null,
      message: 'Disk full.',
      details: null,
    });
  });

  it('turns a bare string from Tauri into an unreachable error that says what to do', () => {
    const error = toUiError('command about not allowed by ACL');
    expect(error.code).toBe('unreachable');
    expect(error.message).toContain('Restart the app');
    expect(error.details).toBe('command about not allowed by ACL');
  });

  it('does not mistake an object without a message for a command error', () => {
    expect(toUiError({ code: 'storage' }).code).toBe('unreachable');
  });
});
