import { describe, expect, it } from 'vitest';
import { toUiError } from './error';

describe('toUiError', () => {
  it('keeps the code and message of a command error', () => {
    expect(toUiError({ code: 'storage', message: 'Disk full.' })).toEqual({
      code: 'storage',
      message: 'Disk full.',
    });
  });

  it('turns a bare string from Tauri into an unreachable error that says what to do', () => {
    const error = toUiError('command about not allowed by ACL');
    expect(error.code).toBe('unreachable');
    expect(error.message).toContain('command about not allowed by ACL');
    expect(error.message).toContain('Restart the app');
  });

  it('does not mistake an object without a message for a command error', () => {
    expect(toUiError({ code: 'storage' }).code).toBe('unreachable');
  });
});
