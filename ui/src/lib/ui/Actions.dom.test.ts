// @vitest-environment happy-dom
import { createRawSnippet, flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import Actions from './Actions.svelte';

let shown: ReturnType<typeof mount> | null = null;
afterEach(() => {
  if (shown) unmount(shown);
  shown = null;
  document.body.innerHTML = '';
});

const buttons = createRawSnippet(() => ({
  render: () => '<span><button class="primary">Save profile</button><button>Back</button></span>',
}));

describe('Actions', () => {
  it('puts the buttons in one row, spaced from what is above unless told not to', () => {
    shown = mount(Actions, { target: document.body, props: { children: buttons } });
    flushSync();
    const row = document.querySelector('.actions');
    expect([...(row?.querySelectorAll('button') ?? [])].map((button) => button.textContent)).toEqual(['Save profile', 'Back']);
    expect(row?.classList.contains('flush')).toBe(false);
    unmount(shown);

    shown = mount(Actions, { target: document.body, props: { children: buttons, flush: true } });
    flushSync();
    expect(document.querySelector('.actions')?.classList.contains('flush')).toBe(true);
  });
});
