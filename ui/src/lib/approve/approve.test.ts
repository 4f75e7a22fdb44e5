import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { GrantForm } from '../ipc';
import { MockBackend } from '../ipc/mock';
import { AppState } from '../shell/app.svelte';
import { allByTestId, attribute, byTestId, renderApp } from '../testing/html';
import { PREVIEW_DELAY_MS } from './form.svelte';
import { engineError } from '../ipc/mock-words';

/** The app with the sandbox in use, on "Approve a payment". */
async function approving(backend = new MockBackend()) {
  backend.active = 'sandbox';
  const app = new AppState(backend);
  await app.start();
  await app.show('approve');
  const form = app.approve;
  if (!form) throw new Error('the approve form did not open');
  return { app, backend, form };
}

function lastPreview(backend: MockBackend): GrantForm | undefined {
  const call = backend.calls.filter((c) => c.command === 'preview_grant').pop();
  return (call?.args as { form: GrantForm } | undefined)?.form;
}

/** Lets the debounce run out and the mock answer. */
const debounce = () => vi.advanceTimersByTimeAsync(PREVIEW_DELAY_MS);

describe('Approve a payment', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date(2025, 3, 22, 10, 30));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('opens from Home and the sidebar with the sandbox payer and the usual choices', async () => {
    const backend = new MockBackend();
    backend.active = 'sandbox';
    const app = new AppState(backend);
    await app.start();
    let html = renderApp(app);
    expect(byTestId(html, 'home-approve')?.text).toBe('Approve a payment');
    const nav = allByTestId(html, 'nav-approve');
    expect(nav).toHaveLength(1);
    expect(nav[0]?.text).toBe('Approve a payment');

    await app.show('approve');
    html = renderApp(app);
    expect(attribute(byTestId(html, 'nav-approve'), 'aria-current')).toBe('page');
    expect(byTestId(html, 'approve')).not.toBeNull();
    expect(attribute(byTestId(html, 'approve-wallet'), 'value')).toBe('http://127.0.0.1:4455/alice');
    expect(attribute(byTestId(html, 'approve-limit-debit'), 'checked')).toBe('');
    expect(attribute(byTestId(html, 'approve-limit-none'), 'checked')).toBeNull();
    expect(attribute(byTestId(html, 'approve-amount'), 'inputmode')).toBe('decimal');
    expect(attribute(byTestId(html, 'approve-repeat-once'), 'checked')).toBe('');
    expect(byTestId(html, 'approve-repeat-start')).toBeNull();
    expect(byTestId(html, 'approve-interval')).toBeNull();
    expect(attribute(byTestId(html, 'approve-action-create'), 'checked')).toBe('');
    expect(attribute(byTestId(html, 'approve-action-create'), 'disabled')).toBe('');
    // Minimal by default: listing and seeing others' payments are an explicit choice.
    expect(attribute(byTestId(html, 'approve-action-list'), 'checked')).toBeNull();
    expect(attribute(byTestId(html, 'approve-action-list-all'), 'checked')).toBeNull();
    expect(attribute(byTestId(html, 'approve-extras'), 'open')).toBeNull();
    // Paying with the grant needs create and read: both asked for by default.
    expect(attribute(byTestId(html, 'approve-action-read'), 'checked')).toBe('');
    expect(byTestId(html, 'approve-action-read-note')).toBeNull();
    expect(attribute(byTestId(html, 'approve-action-read-all'), 'checked')).toBeNull();
    expect(byTestId(html, 'approve-limit-none-warning')).toBeNull();

    // Nothing to ask the core before there is an amount; the button says why.
    expect(backend.count('preview_grant')).toBe(0);
    expect(byTestId(html, 'approve-missing')?.text).toBe('Enter the most that may leave your wallet, like 13.20.');
    expect(attribute(byTestId(html, 'approve-submit'), 'disabled')).toBe('');
    expect(byTestId(html, 'approve-submit-why')?.text).toBe('Enter the most that may leave your wallet, like 13.20.');

    const form = app.approve;
    if (!form) throw new Error('the approve form did not open');
    form.amount = '13.20';
    await debounce();
    html = renderApp(app);
    expect(byTestId(html, 'approve-summary')?.text).toBe('Up to $13.20, once (the limit does not renew)');
    expect(html).toContain('Amount (USD)');
    expect(byTestId(html, 'approve-preview-error')).toBeNull();
    const json = byTestId(html, 'approve-json');
    expect(json?.tag).toMatch(/^<details/);
    expect(json?.text).toContain('The exact request');
    expect(json?.text).toContain('"debitAmount"');
    expect(attribute(byTestId(html, 'approve-submit'), 'disabled')).toBeNull();
    expect(byTestId(html, 'approve-submit-why')).toBeNull();
    expect(lastPreview(backend)).toEqual({
      wallet: 'http://127.0.0.1:4455/alice',
      limit: 'debit',
      amount: '13.20',
      receiver: null,
      interval: null,
      actions: ['create', 'read'],
      approveIn: 'window',
    });
    expect(byTestId(html, 'approve-summary-extras')).toBeNull();

    // An extra is said in words next to the limit.
    form.listAll = true;
    await debounce();
    html = renderApp(app);
    expect(lastPreview(backend)?.actions).toEqual(['create', 'read', 'listAll']);
    expect(byTestId(html, 'approve-summary-extras')?.text).toBe('It may also list every payment from this wallet.');
    expect(attribute(byTestId(html, 'approve-extras'), 'open')).toBe('');
  });

  it('asks for a preview 400 ms after the last change, not on every keystroke', async () => {
    const { app, backend, form } = await approving();
    for (const typed of ['1', '13', '13.', '13.2']) {
      form.amount = typed;
      await vi.advanceTimersByTimeAsync(PREVIEW_DELAY_MS - 100);
    }
    expect(backend.count('preview_grant')).toBe(0);
    expect(form.checking).toBe(true);
    let html = renderApp(app);
    expect(attribute(byTestId(html, 'approve-submit'), 'disabled')).toBe('');
    expect(byTestId(html, 'approve-submit-why')?.text).toBe('Checking the request with your wallet…');

    await vi.advanceTimersByTimeAsync(99);
    expect(backend.count('preview_grant')).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(backend.count('preview_grant')).toBe(1);
    expect(lastPreview(backend)?.amount).toBe('13.2');
    expect(form.checking).toBe(false);
    html = renderApp(app);
    expect(byTestId(html, 'approve-summary')?.text).toBe('Up to $13.20, once (the limit does not renew)');

    // Every kind of change counts, and nothing is asked twice for one change.
    form.read = false;
    await debounce();
    expect(backend.count('preview_grant')).toBe(2);
    expect(lastPreview(backend)?.actions).toEqual(['create']);
    expect(byTestId(renderApp(app), 'approve-action-read-note')?.text).toContain('will not offer this approval');
    await vi.advanceTimersByTimeAsync(10 * PREVIEW_DELAY_MS);
    expect(backend.count('preview_grant')).toBe(2);
  });

  it('drops an answer for a form that has changed since', async () => {
    const { backend, form } = await approving();
    form.amount = '5';
    await debounce();
    const slow = backend.previewGrant.bind(backend);
    let release: () => void = () => {};
    backend.previewGrant = (request) =>
      new Promise((resolve) => {
        release = () => resolve(slow(request));
      });
    form.amount = '6';
    await debounce();
    form.amount = '7';
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(form.preview?.summary).toBe('Up to $5.00, once (the limit does not renew)');
    expect(form.checking).toBe(true);
    backend.previewGrant = slow;
    await debounce();
    expect(form.preview?.summary).toBe('Up to $7.00, once (the limit does not renew)');
  });

  it('shows the core’s refusal word for word at the field it is about, and keeps “Ask my wallet” off until it is fixed', async () => {
    const { app, form } = await approving();
    form.amount = '13.205';
    await debounce();
    let html = renderApp(app);
    // At the amount, which is marked invalid and described by it; not far below.
    const error = byTestId(html, 'approve-amount-invalid');
    expect(error?.text).toBe(engineError('amountTooPrecise', { text: '13.205' }).message);
    expect(attribute(error, 'role')).toBe('alert');
    expect(attribute(byTestId(html, 'approve-amount'), 'aria-invalid')).toBe('true');
    expect(attribute(byTestId(html, 'approve-amount'), 'aria-describedby')).toContain('approve-amount-problem');
    expect(byTestId(html, 'approve-preview-error')).toBeNull();
    expect(byTestId(html, 'approve-preview-field')?.text).toContain('Correct the amount above');
    expect(byTestId(html, 'approve-summary')).toBeNull();
    expect(byTestId(html, 'approve-json')).toBeNull();
    expect(byTestId(html, 'approve-preview-retry')).toBeNull();
    expect(attribute(byTestId(html, 'approve-submit'), 'disabled')).toBe('');
    expect(byTestId(html, 'approve-submit-why')?.text).toBe('Correct the amount first.');
    expect(await app.submitApprove()).toBe(false);
    // Each of the engine's amount sentences lands at the amount.
    for (const [typed, key] of [
      ['12,50', 'amountNotDecimal'],
      ['0', 'amountZero'],
    ] as const) {
      form.amount = typed;
      await debounce();
      expect(byTestId(renderApp(app), 'approve-amount-invalid')?.text).toBe(engineError(key, { text: typed }).message);
    }

    form.repeat = 'custom';
    form.customInterval = 'every tuesday';
    form.amount = '13.20';
    await debounce();
    html = renderApp(app);
    expect(byTestId(html, 'approve-amount-invalid')).toBeNull();
    expect(attribute(byTestId(html, 'approve-amount'), 'aria-invalid')).toBeNull();
    expect(byTestId(html, 'approve-interval-invalid')?.text).toBe(
      engineError('intervalInvalid', { text: 'every tuesday' }).message,
    );
    expect(byTestId(html, 'approve-submit-why')?.text).toBe('Correct the repeating interval first.');

    form.customInterval = 'R/2025-04-22T08:00:00Z/P2W';
    await debounce();
    html = renderApp(app);
    expect(byTestId(html, 'approve-preview-error')).toBeNull();
    expect(byTestId(html, 'approve-summary')?.text).toBe('Up to $13.20 every 2 weeks from 22 Apr 2025 08:00 UTC');
    expect(attribute(byTestId(html, 'approve-submit'), 'disabled')).toBeNull();
  });

  it('says when the wallet does not answer, with a way to try again', async () => {
    const { app, backend, form } = await approving();
    form.wallet = 'https://down.example/alice';
    form.amount = '1';
    await debounce();
    let html = renderApp(app);
    expect(form.error?.code).toBe('network');
    expect(byTestId(html, 'approve-preview-error')?.text).toContain(
      'The wallet at down.example is not answering. Check your connection and the address, then try again.',
    );
    expect(byTestId(html, 'approve-preview-retry')?.text).toBe('Try again');
    // The asset is not known for this wallet.
    expect(html).not.toContain('Amount (USD)');

    await form.refresh();
    expect(backend.count('preview_grant')).toBe(2);
    form.wallet = 'https://ilp.example/alice';
    await debounce();
    html = renderApp(app);
    expect(byTestId(html, 'approve-preview-error')).toBeNull();
    expect(html).toContain('Amount (USD)');
  });

  it('builds the ISO 8601 interval from the friendly control', async () => {
    const { app, backend, form } = await approving();
    form.amount = '13.20';
    form.repeat = 'day';
    expect(form.repeatStart).toBe('2025-04-22');
    expect(form.interval).toBe('R/2025-04-22T00:00:00Z/P1D');
    await debounce();
    expect(lastPreview(backend)?.interval).toBe('R/2025-04-22T00:00:00Z/P1D');
    let html = renderApp(app);
    expect(attribute(byTestId(html, 'approve-repeat-start'), 'type')).toBe('date');
    expect(attribute(byTestId(html, 'approve-repeat-start'), 'value')).toBe('2025-04-22');
    expect(byTestId(html, 'approve-summary')?.text).toBe('Up to $13.20 every day from 22 Apr 2025');

    form.repeatStart = '2025-05-01';
    form.repeat = 'week';
    expect(form.interval).toBe('R/2025-05-01T00:00:00Z/P1W');
    form.repeat = 'month';
    expect(form.interval).toBe('R/2025-05-01T00:00:00Z/P1M');
    await debounce();
    expect(lastPreview(backend)?.interval).toBe('R/2025-05-01T00:00:00Z/P1M');
    expect(byTestId(renderApp(app), 'approve-summary')?.text).toBe('Up to $13.20 every month from 1 May 2025');

    // A start date is needed; the core is not asked without one.
    const asked = backend.count('preview_grant');
    form.repeatStart = '';
    await debounce();
    expect(backend.count('preview_grant')).toBe(asked);
    expect(byTestId(renderApp(app), 'approve-submit-why')?.text).toBe('Choose the day the limit starts.');
    form.repeatStart = '2025-05-01';

    form.repeat = 'custom';
    html = renderApp(app);
    expect(byTestId(html, 'approve-repeat-start')).toBeNull();
    expect(byTestId(html, 'approve-interval')).not.toBeNull();
    expect(form.interval).toBeNull();
    expect(form.missing).toContain('Type the interval');
    form.customInterval = '  R3/2025-04-22T08:00:00Z/PT12H ';
    expect(form.interval).toBe('R3/2025-04-22T08:00:00Z/PT12H');
    await debounce();
    expect(lastPreview(backend)?.interval).toBe('R3/2025-04-22T08:00:00Z/PT12H');

    form.repeat = 'once';
    expect(form.interval).toBeNull();
    await debounce();
    expect(lastPreview(backend)?.interval).toBeNull();
  });

  it('warns without an amount limit and sends no amount then', async () => {
    const { app, backend, form } = await approving();
    form.amount = '20';
    form.limit = 'none';
    await debounce();
    const html = renderApp(app);
    expect(byTestId(html, 'approve-limit-none-warning')?.text).toContain('could send any amount');
    expect(attribute(byTestId(html, 'approve-amount'), 'disabled')).toBe('');
    expect(lastPreview(backend)).toMatchObject({ limit: 'none', amount: null });
    expect(byTestId(html, 'approve-summary')?.text).toBe('Any amount, once (the limit does not renew)');

    form.limit = 'receive';
    await debounce();
    expect(lastPreview(backend)).toMatchObject({ limit: 'receive', amount: '20' });
    expect(byTestId(renderApp(app), 'approve-summary')?.text).toBe('Up to $20.00 delivered, once (the limit does not renew)');
  });

  it('sends the receiver only when given, and every chosen action', async () => {
    const { backend, form } = await approving();
    form.amount = '1';
    form.receiver = '   ';
    form.read = true;
    form.readAll = true;
    form.list = false;
    form.listAll = false;
    await debounce();
    expect(lastPreview(backend)).toMatchObject({ receiver: null, actions: ['create', 'read', 'readAll'] });
    form.receiver = ' https://ilp.example/incoming-payments/7 ';
    await debounce();
    expect(lastPreview(backend)?.receiver).toBe('https://ilp.example/incoming-payments/7');
  });

  it('starts empty for a profile of one’s own, and stops previewing off screen', async () => {
    const backend = new MockBackend();
    const mine = await backend.addProfile({
      name: 'Mine',
      walletAddress: 'https://ilp.example/me',
      keyId: null,
      importKey: null,
      passphrase: null,
      allowHttpLoopback: false,
    });
    backend.active = mine.id;
    const app = new AppState(backend);
    await app.start();
    await app.show('approve');
    expect(app.approve?.wallet).toBe('');
    expect(byTestId(renderApp(app), 'approve-missing')?.text).toBe('Enter the address of the wallet that pays.');

    const form = app.approve;
    if (!form) throw new Error('the approve form did not open');
    form.wallet = 'https://ilp.example/me';
    form.amount = '3';
    await app.show('home');
    await vi.advanceTimersByTimeAsync(10 * PREVIEW_DELAY_MS);
    expect(backend.count('preview_grant')).toBe(0);
    expect(vi.getTimerCount()).toBe(0);

    // Coming back keeps what was typed and previews it.
    await app.show('approve');
    expect(app.approve?.amount).toBe('3');
    expect(backend.count('preview_grant')).toBe(1);

    // Another profile: a form prefilled for it.
    await app.profiles.use('sandbox');
    await app.show('approve');
    expect(app.approve?.wallet).toBe('http://127.0.0.1:4455/alice');
    expect(app.approve?.amount).toBe('');
  });
});
