import { describe, expect, it } from 'vitest';
import type { GrantForm } from '../ipc';
import { MockBackend } from '../ipc/mock';
import { AppState } from '../shell/app.svelte';
import { allByTestId, attribute, byTestId, renderApp } from '../testing/html';
import { GRANTS_PAGE } from './grants.svelte';

const form: GrantForm = {
  wallet: 'http://127.0.0.1:4455/alice',
  limit: 'debit',
  amount: '10',
  receiver: null,
  interval: null,
  actions: [],
};

async function withApproved(backend = new MockBackend()) {
  backend.active = 'sandbox';
  const grant = await backend.requestGrant(form);
  backend.progress(grant.id, 'done');
  const app = new AppState(backend);
  await app.start();
  return { app, backend, id: grant.id };
}

describe('A grant’s details', () => {
  it('shows the budget used as a bar, and renews, revokes (asked twice) and cancels', async () => {
    const backend = new MockBackend();
    backend.spentCents.set('grant-1', 400);
    const { app, id } = await withApproved(backend);
    expect(await app.grants.open(id)).toBe(true);
    let html = renderApp(app);
    expect(byTestId(html, 'grant-spent')?.text).toContain('$4.00 used of $10.00');
    expect(attribute(byTestId(html, 'grant-meter'), 'aria-valuenow')).toBe('40');
    // The payer's words on the buttons; grant and token stay in Activity and the JSON.
    expect(byTestId(html, 'grant-rotate')?.text).toBe('Renew access');
    expect(byTestId(html, 'grant-revoke')?.text).toBe('Stop this approval');
    expect(byTestId(html, 'grant-end')?.text).toBe('End this budget');
    expect(byTestId(html, 'grant-pay')?.text).toBe('Pay with it');
    for (const id of ['grant-rotate', 'grant-revoke', 'grant-end', 'grant-pay', 'grant-token-expiry']) {
      const shown = byTestId(html, id);
      expect(shown, id).not.toBeNull();
      expect(shown?.text, id).not.toMatch(/\b(grant|token|revoke)\b/i);
    }
    expect(byTestId(html, 'grant-token-expiry')?.text).toContain('Access renews by itself');

    expect(await app.grants.act('rotate')).toBe(true);
    expect(backend.count('rotate_grant')).toBe(1);

    // Revoke needs a second click.
    expect(await app.grants.act('revoke')).toBe(false);
    expect(backend.count('revoke_grant')).toBe(0);
    app.grants.ask('revoke');
    expect(byTestId(renderApp(app), 'grant-revoke-confirm')).not.toBeNull();
    expect(await app.grants.act('revoke')).toBe(true);
    html = renderApp(app);
    expect(attribute(byTestId(html, 'grant-item'), 'data-state')).toBe('revoked');
    expect(byTestId(html, 'grant-rotate')).toBeNull();

    app.grants.ask('end');
    expect(await app.grants.act('end')).toBe(true);
    expect(attribute(byTestId(renderApp(app), 'grant-item'), 'data-state')).toBe('cancelled');
  });

  it('says why an action failed and keeps the grant as it was', async () => {
    const { app, backend, id } = await withApproved();
    await app.grants.open(id);
    backend.failNext.set('rotate_grant', { code: 'network', message: 'Your wallet is not answering.' });
    expect(await app.grants.act('rotate')).toBe(false);
    const html = renderApp(app);
    expect(byTestId(html, 'grant-detail-error')?.text).toBe('Your wallet is not answering.');
    expect(attribute(byTestId(html, 'grant-item'), 'data-state')).toBe('approved');
  });
});

describe('A long history', () => {
  it('reads one page at first and the next on request', async () => {
    const backend = new MockBackend();
    backend.active = 'sandbox';
    for (let n = 0; n < GRANTS_PAGE + 5; n++) await backend.requestGrant(form);
    const app = new AppState(backend);
    await app.start();
    expect(backend.calls.find((call) => call.command === 'grants')?.args).toEqual({ limit: GRANTS_PAGE, offset: 0 });
    let html = renderApp(app);
    expect(allByTestId(html, 'grant-item')).toHaveLength(GRANTS_PAGE);
    expect(byTestId(html, 'grants-more')).not.toBeNull();
    await app.grants.loadMore();
    html = renderApp(app);
    expect(allByTestId(html, 'grant-item')).toHaveLength(GRANTS_PAGE + 5);
    expect(byTestId(html, 'grants-more')).toBeNull();
  });
});

describe('Grants by wallet', () => {
  it('groups approvals under the wallet that pays, newest wallet first', async () => {
    const backend = new MockBackend();
    backend.active = 'sandbox';
    await backend.requestGrant(form);
    await backend.requestGrant({ ...form, wallet: 'http://127.0.0.1:4455/dave' });
    await backend.requestGrant({ ...form, amount: '3' });
    const app = new AppState(backend);
    await app.start();
    const html = renderApp(app);
    expect(allByTestId(html, 'grants-wallet').map((heading) => heading.text)).toEqual([
      'http://127.0.0.1:4455/alice',
      'http://127.0.0.1:4455/dave',
    ]);
    expect(app.grants.byWallet.map((group) => group.grants.length)).toEqual([2, 1]);
    expect(allByTestId(html, 'grant-item')).toHaveLength(3);
  });
});

describe('A renewing grant', () => {
  it('shows what each period used, as bars', async () => {
    const backend = new MockBackend();
    backend.periods.set('grant-1', [
      { start: '26 Nov 2026', startsAt: '2026-11-26T00:00:00Z', spent: '$3.00', percent: 60 },
      { start: '25 Nov 2026', startsAt: '2026-11-25T00:00:00Z', spent: '$5.00', percent: 100 },
    ]);
    const { app, id } = await withApproved(backend);
    await app.grants.open(id);
    const html = renderApp(app);
    expect(allByTestId(html, 'grant-period-spent').map((cell) => cell.text)).toEqual(['$3.00', '$5.00']);
    const bars = allByTestId(html, 'grant-period');
    expect(bars[1]?.text).toContain('25 Nov 2026');
  });

  it('names a refusal and an expiry as such', async () => {
    const backend = new MockBackend();
    backend.active = 'sandbox';
    const grant = await backend.requestGrant(form);
    backend.grantList[0]!.state = 'rejected';
    const app = new AppState(backend);
    await app.start();
    expect(byTestId(renderApp(app), 'grant-state')?.text).toBe('Rejected');
    backend.grantList[0]!.state = 'expired';
    await app.grants.load();
    expect(byTestId(renderApp(app), 'grant-state')?.text).toBe('Expired');
    expect(grant.id).toBe('grant-1');
  });
});
