// @vitest-environment happy-dom
import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import PassphraseField from './PassphraseField.svelte';

let shown: ReturnType<typeof mount> | null = null;
afterEach(() => {
  if (shown) unmount(shown);
  shown = null;
  document.body.innerHTML = '';
  vi.restoreAllMocks();
});

function show(props: Record<string, unknown>) {
  shown = mount(PassphraseField, { target: document.body, props: props as never });
  flushSync();
  const input = document.querySelector('input');
  if (!input) throw new Error('PassphraseField drew no input');
  return input;
}

const SECRET = 'correct horse battery';

describe('PassphraseField', () => {
  it('asks for the key’s passphrase in the same words wherever a key in a file signs', () => {
    const input = show({ id: 'pay-passphrase', 'data-testid': 'pay-passphrase' });
    expect(document.querySelector('label')?.textContent).toBe("Passphrase of this profile's key");
    expect(input.getAttribute('aria-describedby')).toBe('pay-passphrase-hint');
    expect(document.getElementById('pay-passphrase-hint')?.textContent).toContain('passphrase-protected file');
    expect(input.dataset.testid).toBe('pay-passphrase');
  });

  it('never shows, remembers or logs what is typed', () => {
    const logged = (['log', 'info', 'debug', 'warn', 'error'] as const).map((level) => vi.spyOn(console, level));
    let value = '';
    const input = show({
      id: 'approve-passphrase',
      get value() {
        return value;
      },
      set value(next: string) {
        value = next;
      },
    });
    expect(input.type).toBe('password');
    expect(input.getAttribute('autocomplete')).toBe('off');
    expect(input.getAttribute('spellcheck')).toBe('false');

    input.value = SECRET;
    input.dispatchEvent(new Event('input', { bubbles: true }));
    flushSync();

    expect(value).toBe(SECRET);
    expect(input.type).toBe('password');
    expect(document.body.innerHTML).not.toContain(SECRET);
    expect(document.body.textContent).not.toContain(SECRET);
    for (const spy of logged) expect(spy).not.toHaveBeenCalled();
  });

  it('takes other words and an error where a new passphrase is chosen', () => {
    const input = show({
      id: 'connect-passphrase',
      label: 'Passphrase',
      hint: 'At least 8 characters.',
      error: 'Use at least 8 characters (5 so far).',
      minlength: 8,
      required: true,
    });
    expect(document.querySelector('label')?.textContent).toBe('Passphrase');
    expect(input.type).toBe('password');
    expect(input.getAttribute('minlength')).toBe('8');
    expect(input.required).toBe(true);
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(input.getAttribute('aria-describedby')).toBe('connect-passphrase-hint connect-passphrase-problem');
    expect(document.querySelector('[data-testid="connect-passphrase-invalid"]')?.textContent?.trim()).toBe(
      'Use at least 8 characters (5 so far).',
    );
  });

  it('can go without a hint', () => {
    const input = show({ id: 'connect-passphrase-confirm', label: 'Passphrase again', hint: '' });
    expect(input.hasAttribute('aria-describedby')).toBe(false);
    expect(document.querySelector('.hint')).toBeNull();
  });
});
