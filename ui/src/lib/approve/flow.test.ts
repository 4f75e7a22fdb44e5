import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FlowProgress, GrantForm } from '../ipc';
import { MockBackend } from '../ipc/mock';
import { AppState } from '../shell/app.svelte';
import { allByTestId, attribute, byTestId, renderApp } from '../testing/html';
import { PREVIEW_DELAY_MS } from './form.svelte';
import { engineError, engineWords } from '../ipc/mock-words';

/** The sandbox in use and a previewed form, ready for "Ask my wallet". */
async function ready(backend = new MockBackend()) {
  backend.active = 'sandbox';
  const app = new AppState(backend);
  await app.start();
  await app.show('approve');
  const form = app.approve;
  if (!form) throw new Error('the approve form did not open');
  form.amount = '13.20';
  form.repeat = 'day';
  await vi.advanceTimersByTimeAsync(PREVIEW_DELAY_MS);
  expect(form.canSubmit).toBe(true);
  return { app, backend, form };
}

/** "Ask my wallet" pressed; the core has answered with a pending grant. */
async function asked(backend = new MockBackend()) {
  const opened = await ready(backend);
  expect(await opened.app.submitApprove()).toBe(true);
  const flow = opened.app.flow;
  if (!flow) throw new Error('no flow after submit');
  return { ...opened, flow, id: flow.grantId ?? '' };
}

function steps(app: AppState) {
  return Object.fromEntries(
    allByTestId(renderApp(app), 'flow-step').map((step) => [attribute(step, 'data-step'), attribute(step, 'data-state')]),
  );
}

describe('Approval progress', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date(2025, 3, 22, 10, 30));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('follows the core’s events from the request to the result', async () => {
    const { app, backend, flow, id } = await asked();
    const request = backend.calls.find((call) => call.command === 'request_grant')?.args as { form: GrantForm };
    expect(request.form).toEqual({
      wallet: 'http://127.0.0.1:4455/alice',
      limit: 'debit',
      amount: '13.20',
      receiver: null,
      interval: 'R/2025-04-22T00:00:00Z/P1D',
      actions: ['create', 'read'],
      approveIn: 'window',
    });
    // The core announced "waiting" before it answered; the flow kept it for its grant.
    expect(id).toBe('grant-1');
    let html = renderApp(app);
    expect(byTestId(html, 'approve')).toBeNull();
    expect(byTestId(html, 'flow-summary')?.text).toBe('Up to $13.20 every day from 22 Apr 2025');
    expect(steps(app)).toEqual({
      requesting: 'done',
      waiting: 'current',
      verifying: 'todo',
      continuing: 'todo',
      done: 'todo',
    });
    expect(byTestId(html, 'flow-steps')?.tag).toMatch(/^<ol/);
    const message = byTestId(html, 'flow-message');
    expect(message?.text).toBe("Approve or reject in your wallet's window.");
    expect(attribute(message, 'aria-live')).toBe('polite');
    expect(byTestId(html, 'flow-cancel')?.text).toBe('Cancel request');
    expect(byTestId(html, 'flow-result')).toBeNull();
    // Home already lists the pending grant.
    expect(app.grants.list[0]).toMatchObject({ id, state: 'pending' });

    backend.progress(id, 'verifying');
    expect(steps(app)).toMatchObject({ waiting: 'done', verifying: 'current' });
    expect(byTestId(renderApp(app), 'flow-cancel')).toBeNull();
    backend.progress(id, 'continuing');
    html = renderApp(app);
    expect(steps(app)).toMatchObject({ verifying: 'done', continuing: 'current' });
    expect(byTestId(html, 'flow-message')?.text).toBe('Approved. Collecting the permission from your wallet…');

    const grantsBefore = backend.count('grants');
    backend.progress(id, 'done');
    await vi.advanceTimersByTimeAsync(0);
    expect(flow.result).toBe('approved');
    expect(Object.values(steps(app))).toEqual(['done', 'done', 'done', 'done', 'done']);
    html = renderApp(app);
    const result = byTestId(html, 'flow-result');
    expect(attribute(result, 'data-result')).toBe('approved');
    expect(byTestId(html, 'flow-result-summary')?.text).toBe('Up to $13.20 every day from 22 Apr 2025');
    expect(byTestId(html, 'flow-result-access')?.text).toContain('"value": "1320"');
    expect(byTestId(html, 'flow-result-access')?.text).toContain('R/2025-04-22T00:00:00Z/P1D');
    // A daily budget does not end when its access token expires (that renews by itself):
    // the token's time is in the folded details only.
    expect(byTestId(html, 'flow-result-expiry')?.text).toContain('renews');
    expect(byTestId(html, 'flow-result-expiry')?.text).not.toMatch(/in 10 min|ends/i);
    expect(byTestId(html, 'flow-result-token')?.text).toContain('(in 10 min)');
    expect(byTestId(html, 'flow-result-token')?.text).toContain('renews it by itself');
    // The wallet by its name, with a way to the approval itself.
    expect(byTestId(html, 'flow-result-wallet')?.text).toMatch(/^Alice\s/);
    expect(byTestId(html, 'flow-result-grant')?.text).toBe('See it in your approvals');
    expect(byTestId(html, 'flow-again')?.text).toBe('Approve another');
    expect(byTestId(html, 'flow-retry')).toBeNull();
    expect(byTestId(html, 'flow-cancel')).toBeNull();

    // Home's list was read again, and shows the grant in words.
    expect(backend.count('grants')).toBe(grantsBefore + 1);
    await app.show('home');
    html = renderApp(app);
    const item = byTestId(html, 'grant-item');
    expect(attribute(item, 'data-id')).toBe(id);
    expect(attribute(item, 'data-state')).toBe('approved');
    expect(item?.text).toContain('Up to $13.20 every day from 22 Apr 2025');
    expect(byTestId(html, 'grants-wallet')?.text).toBe('http://127.0.0.1:4455/alice');
    expect(byTestId(html, 'grant-state')?.text).toBe('Active');
    expect(byTestId(html, 'grants-empty')).toBeNull();

    // "See it in your approvals" opens that approval on Home.
    await app.show('approve');
    await app.showGrant(id);
    expect(app.screen).toBe('home');
    expect(app.grants.openId).toBe(id);
    expect(byTestId(renderApp(app), 'grant-detail')).not.toBeNull();
  });

  it('"Approve another" goes back to the form as it was', async () => {
    const { app, backend, flow, id } = await asked();
    backend.progress(id, 'done');
    expect(flow.ended).toBe(true);
    const previews = backend.count('preview_grant');
    await app.approveAgain();
    expect(app.flow).toBeNull();
    const html = renderApp(app);
    expect(byTestId(html, 'flow')).toBeNull();
    expect(attribute(byTestId(html, 'approve-amount'), 'value')).toBe('13.20');
    expect(attribute(byTestId(html, 'approve-repeat-day'), 'checked')).toBe('');
    expect(backend.count('preview_grant')).toBe(previews + 1);
    expect(app.approve?.canSubmit).toBe(true);
  });

  it('hands a request waiting in the window to the browser, and keeps waiting there', async () => {
    const { app, backend, flow, id } = await asked();
    let html = renderApp(app);
    expect(byTestId(html, 'flow-hint')?.text).toContain('closing it cancels the request');
    expect(byTestId(html, 'flow-in-browser')?.text).toBe('Open in my browser instead');
    await flow.openInBrowser();
    await vi.advanceTimersByTimeAsync(0);
    expect(backend.calls).toContainEqual({ command: 'continue_in_browser', args: { id } });
    html = renderApp(app);
    // Still waiting, now in the browser: no window hint, no second hand-over, Cancel still there.
    expect(flow.ended).toBe(false);
    expect(byTestId(html, 'flow-message')?.text).toBe(engineWords.steps.waitingInBrowser);
    expect(byTestId(html, 'flow-hint')).toBeNull();
    expect(byTestId(html, 'flow-in-browser')).toBeNull();
    expect(byTestId(html, 'flow-cancel')).not.toBeNull();
  });

  it('follows a hand-over to the browser made in the consent window itself', async () => {
    const { app, backend, flow, id } = await asked();
    // The strip's "Open in my browser instead": the core says so in its event.
    backend.progress(id, 'waiting', engineWords.steps.waitingInBrowser, true);
    expect(flow.inBrowser).toBe(true);
    const html = renderApp(app);
    expect(byTestId(html, 'flow-in-browser')).toBeNull();
    expect(byTestId(html, 'flow-hint')).toBeNull();
  });

  it('cancels a request that waits, and says so', async () => {
    const { app, backend, flow, id } = await asked();
    await flow.cancel();
    expect(backend.calls).toContainEqual({ command: 'cancel_grant', args: { id } });
    expect(flow.result).toBe('cancelled');
    const html = renderApp(app);
    const result = byTestId(html, 'flow-result');
    expect(attribute(result, 'data-result')).toBe('cancelled');
    // The main window's Cancel, not the wallet's window closed (issue 16, point 7).
    expect(result?.text).toContain('You cancelled the request; it was cancelled at your wallet too.');
    expect(result?.text).not.toContain('closed your wallet');
    expect(byTestId(html, 'flow-cancel')).toBeNull();
    expect(byTestId(html, 'flow-retry')).toBeNull();
    expect(byTestId(html, 'flow-again')?.text).toBe('Back to the request');
    expect(steps(app)).toMatchObject({ requesting: 'done', waiting: 'failed', verifying: 'todo' });
    await vi.advanceTimersByTimeAsync(0);
    expect(app.grants.list.find((grant) => grant.id === id)?.state).toBe('cancelled');
  });

  it('tells a wallet answering 503 in one sentence, with Retry and the wallet’s words under Details', async () => {
    const backend = new MockBackend();
    const busy = engineError('walletUnavailable', { host: '127.0.0.1:4455' });
    backend.failNext.set('request_grant', busy);
    const { app, flow } = await asked(backend);
    expect(flow.result).toBe('failed');
    expect(flow.error?.problem).toBe('wallet_unavailable');
    const html = renderApp(app);
    const message = byTestId(html, 'flow-result-message')?.text ?? '';
    expect(message).toBe('The wallet at 127.0.0.1:4455 is not answering right now (HTTP 503). Try again in a moment.');
    expect(message).not.toContain('injected_fault');
    expect(byTestId(html, 'flow-retry')?.text).toBe('Retry');
    const result = byTestId(html, 'flow-result')?.text ?? '';
    expect(result).toContain('Details');
    expect(result).toContain('HTTP 503 from 127.0.0.1:4455: injected_fault');
    expect(result).not.toContain('Code');
  });

  it('shows the wallet’s words for a failure the core reports as progress under Details', async () => {
    const { app, backend, id } = await asked();
    backend.emit({
      grantId: id,
      step: 'failed',
      message: engineError('walletUnavailable', { host: 'w.example' }).message,
      details: 'HTTP 503 from w.example',
      grant: null,
    });
    const result = byTestId(renderApp(app), 'flow-result')?.text ?? '';
    expect(result).toContain('not answering right now');
    expect(result).toContain('HTTP 503 from w.example');
  });

  it('waits for the core to confirm a cancellation', async () => {
    const { app, backend, flow, id } = await asked();
    backend.cancelGrant = async () => null;
    const cancelling = flow.cancel();
    expect(flow.cancelling).toBe(true);
    let html = renderApp(app);
    expect(byTestId(html, 'flow-cancel')?.text).toBe('Cancelling…');
    expect(attribute(byTestId(html, 'flow-cancel'), 'disabled')).toBe('');
    expect(byTestId(html, 'flow-message')?.text).toBe('Cancelling the request at your wallet…');
    await cancelling;
    expect(flow.ended).toBe(false);
    backend.progress(id, 'cancelled');
    html = renderApp(app);
    expect(attribute(byTestId(html, 'flow-result'), 'data-result')).toBe('cancelled');
  });

  it('offers a retry when the wallet could not be reached, and only then', async () => {
    const backend = new MockBackend();
    const unreachable = engineError('walletUnreachable', { host: '127.0.0.1:4455' });
    backend.failNext.set('request_grant', unreachable);
    const { app, flow } = await asked(backend);
    expect(flow.result).toBe('failed');
    let html = renderApp(app);
    expect(attribute(byTestId(html, 'flow-result'), 'data-result')).toBe('failed');
    expect(byTestId(html, 'flow-result-message')?.text).toBe(unreachable.message);
    expect(byTestId(html, 'flow-retry')?.text).toBe('Retry');
    expect(byTestId(html, 'flow-again')).not.toBeNull();
    expect(steps(app)).toMatchObject({ requesting: 'failed', waiting: 'todo' });
    expect(flow.ticking).toBe(false);

    expect(await app.retryApprove()).toBe(true);
    expect(app.flow).not.toBe(flow);
    expect(backend.count('request_grant')).toBe(2);
    expect(app.flow?.step).toBe('waiting');
    html = renderApp(app);
    expect(byTestId(html, 'flow-result')).toBeNull();
    expect(byTestId(html, 'flow-cancel')).not.toBeNull();

    // The wallet's own refusal: no retry, just back to the request.
    const id = app.flow?.grantId ?? '';
    backend.progress(id, 'failed');
    html = renderApp(app);
    expect(byTestId(html, 'flow-result-message')?.text).toBe(engineWords.grantOutcomes.rejected);
    expect(byTestId(html, 'flow-retry')).toBeNull();
    expect(await app.retryApprove()).toBe(false);
  });

  it('shows other failures of the request as they are, without a retry', async () => {
    const backend = new MockBackend();
    backend.failNext.set('request_grant', { code: 'grant', message: 'Choose a profile first (Profiles).' });
    const { app } = await asked(backend);
    const html = renderApp(app);
    expect(byTestId(html, 'flow-result-message')?.text).toBe('Choose a profile first (Profiles).');
    expect(byTestId(html, 'flow-retry')).toBeNull();
  });

  it('warns about a refused finish link and keeps waiting', async () => {
    const { app, backend, flow, id } = await asked();
    backend.progress(id, 'refused');
    expect(flow.ended).toBe(false);
    let html = renderApp(app);
    const refused = byTestId(html, 'flow-refused');
    expect(attribute(refused, 'role')).toBe('alert');
    expect(refused?.text).toContain(engineWords.steps.refused);
    expect(steps(app)).toMatchObject({ waiting: 'current', verifying: 'todo' });
    expect(byTestId(html, 'flow-cancel')).not.toBeNull();
    expect(byTestId(html, 'flow-result')).toBeNull();
    expect(app.grants.list[0]?.state).toBe('pending');

    // As the engine tells it: checking a link, then refusing it. The
    // request waits again and can still be cancelled.
    backend.progress(id, 'verifying');
    backend.progress(id, 'refused');
    html = renderApp(app);
    expect(steps(app)).toMatchObject({ waiting: 'current', verifying: 'todo' });
    expect(byTestId(html, 'flow-cancel')).not.toBeNull();

    // The genuine answer follows.
    backend.progress(id, 'verifying');
    html = renderApp(app);
    expect(byTestId(html, 'flow-refused')).toBeNull();
    expect(steps(app)).toMatchObject({ waiting: 'done', verifying: 'current' });
  });

  it('ignores progress of other grants', async () => {
    const backend = new MockBackend();
    const opened = await ready(backend);
    // An older request, still pending.
    const other = await backend.requestGrant(opened.form.request);
    const { app, flow, id } = await asked(backend);
    expect(id).not.toBe(other.id);

    backend.progress(other.id, 'refused');
    backend.progress(other.id, 'verifying');
    backend.progress(other.id, 'done');
    backend.progress('grant-unknown', 'failed');
    backend.emit({ grantId: null, step: 'requesting', message: 'Asking your wallet for permission…', grant: null });
    backend.emit({ grantId: null, step: 'failed', message: 'Something else failed.', grant: null });
    expect(flow.ended).toBe(false);
    expect(flow.step).toBe('waiting');
    expect(flow.message).toBe("Approve or reject in your wallet's window.");
    const html = renderApp(app);
    expect(byTestId(html, 'flow-refused')).toBeNull();
    expect(steps(app)).toMatchObject({ requesting: 'done', waiting: 'current' });
    // Home's list still follows every grant.
    expect(app.grants.list.find((grant) => grant.id === other.id)?.state).toBe('approved');
  });

  it('keeps events that arrive before the request is answered only when they turn out to be ours', async () => {
    const backend = new MockBackend();
    const { app, form } = await ready(backend);
    const request = backend.requestGrant.bind(backend);
    const event = (grantId: string | null, step: FlowProgress['step'], message: string): FlowProgress => ({
      grantId,
      step,
      message,
      grant: null,
      inBrowser: false,
    });
    backend.requestGrant = async (sent) => {
      backend.emit(event('grant-old', 'done', 'Approved: something else.'));
      const grant = await request(sent);
      backend.emit(event(grant.id, 'verifying', 'Checking that the answer comes from your wallet…'));
      return grant;
    };
    expect(form.canSubmit).toBe(true);
    await app.submitApprove();
    const flow = app.flow;
    expect(flow?.ended).toBe(false);
    expect(flow?.step).toBe('verifying');
    expect(steps(app)).toMatchObject({ requesting: 'done', waiting: 'done', verifying: 'current' });
  });

  it('counts the seconds while it runs and stops counting when it ends', async () => {
    const { app, backend, flow, id } = await asked();
    expect(flow.ticking).toBe(true);
    await vi.advanceTimersByTimeAsync(3000);
    let elapsed = byTestId(renderApp(app), 'flow-elapsed');
    expect(elapsed?.text).toBe('3 s');
    expect(attribute(elapsed, 'data-seconds')).toBe('3');
    expect(attribute(elapsed, 'role')).toBe('timer');

    await vi.advanceTimersByTimeAsync(500);
    backend.progress(id, 'done');
    expect(flow.ticking).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(5000);
    elapsed = byTestId(renderApp(app), 'flow-elapsed');
    expect(elapsed?.text).toBe('3 s');
    expect(flow.elapsed).toBe(3);
  });

  it('stops the clock off screen and picks up where the approval is on return', async () => {
    const { app, backend, flow, id } = await asked();
    await vi.advanceTimersByTimeAsync(2000);
    await app.show('home');
    expect(flow.ticking).toBe(false);
    expect(vi.getTimerCount()).toBe(0);

    // The approval goes on meanwhile.
    backend.progress(id, 'verifying');
    await vi.advanceTimersByTimeAsync(60_000);
    await app.show('approve');
    expect(app.flow).toBe(flow);
    expect(flow.ticking).toBe(true);
    const html = renderApp(app);
    expect(byTestId(html, 'flow-elapsed')?.text).toBe('1 min 02 s');
    expect(steps(app)).toMatchObject({ verifying: 'current' });
    flow.dispose();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('opens the form again once an ended approval was left', async () => {
    const { app, backend, id } = await asked();
    backend.progress(id, 'done');
    await app.show('home');
    await app.show('approve');
    expect(app.flow).toBeNull();
    expect(byTestId(renderApp(app), 'approve')).not.toBeNull();
  });
});

describe('Grants on Home', () => {
  it('says when there are none yet', async () => {
    const backend = new MockBackend();
    backend.active = 'sandbox';
    const app = new AppState(backend);
    await app.start();
    const html = renderApp(app);
    expect(byTestId(html, 'grants-empty')).not.toBeNull();
    expect(byTestId(html, 'grants-list')).toBeNull();
  });

  it('lists grants newest first with their state in words, and offers a retry when they cannot be read', async () => {
    const backend = new MockBackend();
    backend.active = 'sandbox';
    const form: GrantForm = {
      wallet: 'http://127.0.0.1:4455/alice',
      limit: 'debit',
      amount: '5',
      receiver: null,
      interval: null,
      actions: [],
    };
    const first = await backend.requestGrant(form);
    const second = await backend.requestGrant({ ...form, amount: '7' });
    backend.progress(first.id, 'failed');
    backend.failNext.set('grants', { code: 'storage', message: 'The grant store could not be read.' });
    const app = new AppState(backend);
    await app.start();
    let html = renderApp(app);
    expect(byTestId(html, 'grants-error')?.text).toContain('The grant store could not be read.');

    await app.grants.load();
    html = renderApp(app);
    expect(byTestId(html, 'grants-error')).toBeNull();
    const items = allByTestId(html, 'grant-item');
    expect(items.map((item) => attribute(item, 'data-id'))).toEqual([second.id, first.id]);
    expect(items.map((item) => attribute(item, 'data-state'))).toEqual(['pending', 'failed']);
    expect(allByTestId(html, 'grant-state').map((chip) => chip.text)).toEqual(['Waiting for approval', 'Failed']);
    expect(items[1]?.text).toContain('You rejected the request at your wallet; nothing was granted.');
  });
});

describe('A key in a passphrase file', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('asks the passphrase of a key in a file once, sends it only with the request, and then stops asking', async () => {
    const backend = new MockBackend();
    const mine = await backend.addProfile({
      name: 'Filed',
      walletAddress: 'https://ilp.example/me',
      keyId: null,
      importKey: null,
      passphrase: 'correct horse battery',
      allowHttpLoopback: false,
    });
    backend.active = mine.id;
    const app = new AppState(backend);
    await app.start();
    await app.show('approve');
    const form = app.approve;
    if (!form) throw new Error('the approve form did not open');
    form.wallet = 'https://ilp.example/me';
    form.amount = '2.50';
    form.passphrase = 'not the passphrase';
    await vi.advanceTimersByTimeAsync(PREVIEW_DELAY_MS);
    expect(byTestId(renderApp(app), 'approve-passphrase')).not.toBeNull();
    const previews = backend.calls.filter((call) => call.command === 'preview_grant');
    expect(previews.length).toBeGreaterThan(0);
    expect(JSON.stringify(previews)).not.toContain('not the passphrase');

    expect(await app.submitApprove()).toBe(true);
    expect(app.flow?.result).toBe('failed');
    expect(byTestId(renderApp(app), 'flow-result-message')?.text).toBe(engineError('wrongPassphrase').message);
    expect(form.passphrase).toBe('');

    await app.approveAgain();
    form.passphrase = 'correct horse battery';
    expect(await app.submitApprove()).toBe(true);
    expect(app.flow?.ended).toBe(false);
    await vi.waitFor(() => expect(app.profiles.active?.unlocked).toBe(true));
    await app.approveAgain();
    expect(byTestId(renderApp(app), 'approve-passphrase')).toBeNull();
    const sent = backend.calls.filter((call) => call.command === 'request_grant');
    expect(sent.map((call) => (call.args as { form: GrantForm }).form.passphrase)).toEqual([
      'not the passphrase',
      'correct horse battery',
    ]);
  });
});
