// @vitest-environment happy-dom
import { createRawSnippet, flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import Field from './Field.svelte';

let shown: ReturnType<typeof mount> | null = null;
afterEach(() => {
  if (shown) unmount(shown);
  shown = null;
  document.body.innerHTML = '';
});

function show(props: Record<string, unknown>) {
  shown = mount(Field, { target: document.body, props: props as never });
  flushSync();
  const input = document.querySelector<HTMLInputElement | HTMLTextAreaElement>('input, textarea');
  if (!input) throw new Error('Field drew no input');
  return input;
}

const text = (html: string) => createRawSnippet(() => ({ render: () => html }));

describe('Field', () => {
  it('puts its label above the input, named for it, and describes the input with its hint', () => {
    const input = show({ id: 'pay-to', label: 'To', hint: 'A wallet address.', 'data-testid': 'pay-to' });
    const label = document.querySelector('label');
    expect(label?.textContent).toBe('To');
    expect(label?.getAttribute('for')).toBe('pay-to');
    expect(label?.compareDocumentPosition(input)).toBe(Node.DOCUMENT_POSITION_FOLLOWING);
    expect(input.id).toBe('pay-to');
    expect(input.getAttribute('type')).toBe('text');
    expect(input.dataset.testid).toBe('pay-to');
    expect(input.getAttribute('aria-describedby')).toBe('pay-to-hint');
    expect(document.getElementById('pay-to-hint')?.textContent?.trim()).toBe('A wallet address.');
    expect(input.hasAttribute('aria-invalid')).toBe(false);
  });

  it('marks the input invalid and describes it with the error, after the hint', () => {
    const input = show({ id: 'connect-name', label: 'Name', hint: 'Yours.', error: 'Give it a name.' });
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(input.getAttribute('aria-describedby')).toBe('connect-name-hint connect-name-problem');
    const error = document.getElementById('connect-name-problem');
    expect(error?.textContent?.trim()).toBe('Give it a name.');
    expect(error?.dataset.testid).toBe('connect-name-invalid');
    expect(error?.hasAttribute('role')).toBe(false);
  });

  it('has no description at all without a hint or an error', () => {
    const input = show({ id: 'pay-note', label: 'Note' });
    expect(input.hasAttribute('aria-describedby')).toBe(false);
    expect(document.querySelector('.hint, .field-problem')).toBeNull();
  });

  it('announces an error that comes later, when asked to', () => {
    show({ id: 'connect-key-file', label: 'Key file', type: 'file', error: 'Not readable.', announce: true });
    expect(document.getElementById('connect-key-file-problem')?.getAttribute('role')).toBe('alert');
  });

  it('binds what is typed', () => {
    let value = 'https://wallet.example/alice';
    const input = show({
      id: 'pay-from',
      label: 'From',
      get value() {
        return value;
      },
      set value(next: string) {
        value = next;
      },
    });
    expect(input.value).toBe('https://wallet.example/alice');
    input.value = '$wallet.example/bob';
    input.dispatchEvent(new Event('input', { bubbles: true }));
    flushSync();
    expect(value).toBe('$wallet.example/bob');
  });

  it('draws a text area for several rows, a hint with markup, and what goes beside and under the input', () => {
    const input = show({
      id: 'connect-key-pem',
      label: 'Key',
      rows: 6,
      class: 'mono',
      hint: text('<span>Paste <code>PEM</code></span>'),
      beside: text('<button type="submit">Look up</button>'),
      children: text('<p class="under">Means https://wallet.example</p>'),
    });
    expect(input.tagName).toBe('TEXTAREA');
    expect(input.getAttribute('rows')).toBe('6');
    expect(input.classList.contains('mono')).toBe(true);
    expect(document.querySelector('#connect-key-pem-hint code')?.textContent).toBe('PEM');
    const button = document.querySelector('button');
    expect(button?.parentElement).toBe(input.parentElement);
    expect(input.compareDocumentPosition(button!)).toBe(Node.DOCUMENT_POSITION_FOLLOWING);
    expect(input.compareDocumentPosition(document.querySelector('.under')!)).toBe(Node.DOCUMENT_POSITION_FOLLOWING);
  });
});
