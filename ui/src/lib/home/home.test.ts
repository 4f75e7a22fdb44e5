import { describe, expect, it } from 'vitest';
import { MockBackend } from '../ipc/mock';
import { AppState } from '../shell/app.svelte';
import { allByTestId, attribute, byTestId, renderApp } from '../testing/html';

async function home(backend = new MockBackend()) {
  backend.active = 'sandbox';
  const app = new AppState(backend);
  await app.start();
  return { app, backend };
}

describe('Home', () => {
  it('starts with what a payer came for: Pay, a budget, an approval', async () => {
    const { app } = await home();
    const html = renderApp(app);
    expect(byTestId(html, 'home-pay')?.text).toBe('Pay');
    expect(byTestId(html, 'home-budget')?.text).toBe('Set up a budget');
    expect(byTestId(html, 'home-approve')?.text).toBe('Approve a payment');
    // Nothing approved yet: a word on what the app does.
    expect(byTestId(html, 'home-intro')?.text).toContain('asks your wallet for permission');

    await app.show('pay');
    expect(app.screen).toBe('pay');
  });

  it('"Set up a budget" opens the approval form with a limit that renews every month', async () => {
    const { app } = await home();
    await app.setUpBudget();
    expect(app.screen).toBe('approve');
    expect(app.approve?.repeat).toBe('month');
    const html = renderApp(app);
    expect(byTestId(html, 'approve-repeat-month')?.tag).toContain('checked');
  });

  it('says nothing about links until one came back from the browser, then lists it', async () => {
    const backend = new MockBackend();
    const grant = await backend.requestGrant({
      wallet: 'http://127.0.0.1:4455/alice',
      limit: 'debit',
      amount: '5',
      receiver: null,
      interval: null,
      actions: [],
    });
    backend.progress(grant.id, 'done');
    const { app } = await home(backend);
    let html = renderApp(app);
    // An approval came back through Consent Desk's window, not a link.
    expect(byTestId(html, 'grant-item')).not.toBeNull();
    expect(byTestId(html, 'home-intro')).toBeNull();
    expect(byTestId(html, 'links')).toBeNull();
    expect(html).not.toContain('No links yet');

    const receivedAt = new Date().toISOString();
    backend.deliver({ url: 'dev.consentdesk:/finish/abc?hash=x', said: null, refused: false, receivedAt, arrival: 'forwarded' });
    html = renderApp(app);
    expect(byTestId(html, 'links')?.text).toContain('Back from your browser');
    expect(byTestId(html, 'link-said')?.text).toBe('Checking this link…');
    expect(byTestId(html, 'link-url')?.text).toBe('dev.consentdesk:/finish/abc?hash=x');
    // What became of it leads; the link itself is a detail.
    const refusal = 'A link came back that belongs to no approval this app is waiting for, so it was refused.';
    backend.deliver({ url: 'dev.consentdesk:/finish/abc?hash=x', said: refusal, refused: true, receivedAt, arrival: 'forwarded' });
    html = renderApp(app);
    expect(byTestId(html, 'link-said')?.text).toBe(refusal);
    expect(attribute(byTestId(html, 'link-item'), 'data-refused')).toBe('true');
  });

  it('says which approvals were waiting when the app closed, and opens one again or cancels it', async () => {
    const backend = new MockBackend();
    const form = {
      wallet: 'http://127.0.0.1:4455/alice',
      limit: 'debit' as const,
      amount: '7',
      receiver: null,
      interval: null,
      actions: ['create' as const, 'read' as const],
      approveIn: 'window' as const,
    };
    const first = await backend.requestGrant(form);
    const second = await backend.requestGrant(form);
    backend.waitingFromBefore.add(first.id).add(second.id);
    const { app } = await home(backend);
    let html = renderApp(app);
    expect(byTestId(html, 'home-waiting')?.text).toContain('2 approvals were waiting when Consent Desk closed');
    expect(allByTestId(html, 'home-waiting-item')).toHaveLength(2);
    // Before the approvals list: pending ones first.
    expect(html.indexOf('data-testid="home-waiting"')).toBeLessThan(html.indexOf('data-testid="grants"'));

    expect(await app.waiting.reopen(first.id)).toBe(true);
    expect(backend.calls.find((call) => call.command === 'reopen_approval')?.args).toEqual({ id: first.id, inBrowser: false });
    html = renderApp(app);
    expect(byTestId(html, 'home-waiting-reopened')?.text).toContain('open again');
    expect(await app.waiting.cancel(second.id)).toBe(true);
    expect(backend.count('end_grant')).toBe(1);
    expect(allByTestId(renderApp(app), 'home-waiting-item')).toHaveLength(1);
    // The reopened one leaves once its approval ends.
    backend.progress(first.id, 'done');
    expect(byTestId(renderApp(app), 'home-waiting')).toBeNull();
  });

  it('says nothing about waiting approvals when none was left by a restart', async () => {
    const backend = new MockBackend();
    await backend.requestGrant({
      wallet: 'http://127.0.0.1:4455/alice',
      limit: 'debit',
      amount: '7',
      receiver: null,
      interval: null,
      actions: ['create', 'read'],
      approveIn: 'window',
    });
    const { app } = await home(backend);
    expect(byTestId(renderApp(app), 'home-waiting')).toBeNull();
  });
});
