// @vitest-environment happy-dom
import { createRawSnippet, flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import Problem from './Problem.svelte';

let shown: ReturnType<typeof mount> | null = null;
afterEach(() => {
  if (shown) unmount(shown);
  shown = null;
  document.body.innerHTML = '';
});

function show(props: Record<string, unknown>) {
  shown = mount(Problem, { target: document.body, props: props as never });
  flushSync();
  const problem = document.querySelector<HTMLElement>('[role="alert"]');
  if (!problem) throw new Error('Problem drew no alert');
  return problem;
}

describe('Problem', () => {
  it('says what happened in one sentence, as an alert, with the caller’s test id', () => {
    const problem = show({ message: 'Your wallet is not answering.', 'data-testid': 'pay-error' });
    expect(problem.dataset.testid).toBe('pay-error');
    expect(problem.querySelectorAll('p')).toHaveLength(1);
    expect(problem.textContent?.trim()).toBe('Your wallet is not answering.');
    expect(problem.querySelector('details, button')).toBeNull();
  });

  it('folds the details away until they are asked for', () => {
    const problem = show({ message: 'The wallet rejected this request.', details: 'GNAP code: request_denied' });
    const details = problem.querySelector('details');
    expect(details?.open).toBe(false);
    expect(details?.querySelector('summary')?.textContent).toBe('Details');
    expect(details?.textContent).toContain('GNAP code: request_denied');
    expect(problem.querySelector('p')?.textContent).toBe('The wallet rejected this request.');
  });

  it('offers its action and runs it when pressed', () => {
    let retried = 0;
    const action = createRawSnippet(() => ({
      render: () => '<button data-testid="grants-retry">Try again</button>',
      setup: (button: Element) => {
        button.addEventListener('click', () => retried++);
      },
    }));
    const problem = show({ message: 'The grant store could not be read.', action });
    const button = problem.querySelector<HTMLButtonElement>('[data-testid="grants-retry"]');
    expect(button?.textContent).toBe('Try again');
    expect(problem.querySelector('p')?.compareDocumentPosition(button!)).toBe(Node.DOCUMENT_POSITION_FOLLOWING);
    button?.click();
    button?.click();
    expect(retried).toBe(2);
  });
});
