import { describe, expect, it, vi } from 'vitest';
import { MockBackend } from '../ipc/mock';
import { engineError } from '../ipc/mock-words';
import type { PaymentView } from '../ipc';
import { payStepsOf } from './pay.svelte';
import { AppState } from '../shell/app.svelte';
import { allByTestId, attribute, byTestId, renderApp } from '../testing/html';

async function paying() {
  const backend = new MockBackend();
  backend.active = 'sandbox';
  const app = new AppState(backend);
  await app.start();
  await app.show('pay');
  return { app, backend, pay: app.pay };
}

/** The sandbox profile with a $20.00 daily budget approved at the wallet. */
async function withDailyBudget() {
  const backend = new MockBackend();
  backend.active = 'sandbox';
  const grant = await backend.requestGrant({
    wallet: 'http://127.0.0.1:4455/alice',
    limit: 'debit',
    amount: '20',
    receiver: null,
    interval: 'R/2026-11-25T00:00:00Z/P1D',
    actions: [],
  });
  backend.progress(grant.id, 'done');
  const app = new AppState(backend);
  await app.start();
  return { app, backend, grant };
}

describe('payStepsOf', () => {
  it('puts each state at its step, and a stopped one where it stopped', () => {
    const states = (state: PaymentView['state'], sent: string | null = null) =>
      payStepsOf({ state, sent }).map((step) => step.state);
    expect(states('quoted')).toEqual(['done', 'todo', 'todo', 'todo', 'todo']);
    expect(states('sending')).toEqual(['done', 'done', 'current', 'todo', 'todo']);
    expect(states('sent', '$1.00')).toEqual(['done', 'done', 'done', 'current', 'todo']);
    expect(states('failed')).toEqual(['done', 'done', 'failed', 'todo', 'todo']);
    expect(states('cancelled')).toEqual(['done', 'failed', 'todo', 'todo', 'todo']);
  });
});

describe('Pay', () => {
  it('labels every field above it, and asks a key’s passphrase the way Approve does', async () => {
    const backend = new MockBackend();
    const filed = await backend.addProfile({
      name: 'Filed',
      walletAddress: 'https://ilp.example/me',
      keyId: null,
      importKey: null,
      passphrase: 'correct horse battery',
      allowHttpLoopback: false,
    });
    backend.active = filed.id;
    const app = new AppState(backend);
    await app.start();
    await app.show('pay');
    let html = renderApp(app);
    for (const id of ['pay-from', 'pay-to', 'pay-amount', 'pay-note', 'pay-passphrase']) {
      const label = html.indexOf(`<label for="${id}"`);
      expect(label, id).toBeGreaterThan(-1);
      expect(html.indexOf(`data-testid="${id}"`), id).toBeGreaterThan(label);
      expect(attribute(byTestId(html, id), 'aria-label'), id).toBeNull();
    }
    const passphrase = byTestId(html, 'pay-passphrase');
    expect(attribute(passphrase, 'type')).toBe('password');
    expect(attribute(passphrase, 'autocomplete')).toBe('off');
    expect(attribute(passphrase, 'aria-describedby')).toBe('pay-passphrase-hint');

    await app.show('approve');
    html = renderApp(app);
    const approve = byTestId(html, 'approve-passphrase');
    expect(attribute(approve, 'type')).toBe('password');
    expect(attribute(approve, 'autocomplete')).toBe('off');
    expect(attribute(approve, 'aria-describedby')).toBe('approve-passphrase-hint');
  });

  it('shows the core’s refusal of the amount at the amount field, marked invalid', async () => {
    const { app, pay } = await paying();
    pay.to = 'http://127.0.0.1:4455/bob';
    pay.amount = '12,50';
    expect(await pay.quote()).toBe(false);
    const html = renderApp(app);
    expect(byTestId(html, 'pay-amount-invalid')?.text).toBe(engineError('amountNotDecimal', { text: '12,50' }).message);
    expect(attribute(byTestId(html, 'pay-amount'), 'aria-invalid')).toBe('true');
    expect(byTestId(html, 'pay-error')).toBeNull();
    pay.amount = '12.50';
    expect(await pay.quote()).toBe(true);
    expect(pay.amountError).toBeNull();
  });

  it('prefills the sandbox payer, quotes, and shows what each side gets before anything is asked', async () => {
    const { app, backend, pay } = await paying();
    expect(pay.from).toBe('http://127.0.0.1:4455/alice');
    expect(pay.canQuote).toBe(false);
    pay.to = 'http://127.0.0.1:4455/bob';
    pay.amount = '10';
    pay.amountKind = 'receive';
    pay.note = 'rent';
    expect(await pay.quote()).toBe(true);
    expect(backend.calls.find((call) => call.command === 'quote_payment')?.args).toEqual({
      form: { from: 'http://127.0.0.1:4455/alice', to: 'http://127.0.0.1:4455/bob', amount: '10', amountKind: 'receive', note: 'rent' },
    });
    const html = renderApp(app);
    expect(attribute(byTestId(html, 'pay-state'), 'data-state')).toBe('quoted');
    expect(byTestId(html, 'pay-receive')?.text).toBe('€10.00');
    // Across currencies the fee is part of the rate.
    expect(byTestId(html, 'pay-fee')?.text).toBe('Included in the rate');
    // Who is paid: the name its wallet gives, then where.
    expect(byTestId(html, 'pay-to-shown')?.text).toMatch(/^\s*Bob Sandbox\s+http:\/\/127\.0\.0\.1:4455\/bob\s*$/);
    // The sandbox's numbers: €10.00 at 0.92 EUR per USD and its 1% spread cost $10.98.
    expect(byTestId(html, 'pay-rate')?.text).toContain('1 USD ≈ 0.9107 EUR (fees included)');
    expect(byTestId(html, 'pay-confirm')?.text).toContain('Approve $10.98');
    expect(backend.count('confirm_payment')).toBe(0);
  });

  it('says how long the quote is good for, in the one date format with a hint', async () => {
    // Time stands still, so the hint reads exactly what the wallet allowed.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(2026, 10, 30, 10, 15));
    try {
      const { app, pay } = await paying();
      pay.to = 'http://127.0.0.1:4455/bob';
      pay.amount = '10';
      expect(await pay.quote()).toBe(true);
      // The mock's quotes are good for five minutes.
      expect(byTestId(renderApp(app), 'pay-expiry')?.text).toBe('30 Nov 2026, 10:20 (in 5 min)');
    } finally {
      vi.useRealTimers();
    }
  });

  it('shows the URL a payment pointer stands for next to the receiver, and why a bad one is refused', async () => {
    const { app, pay } = await paying();
    pay.to = '$wallet.example';
    const shown = byTestId(renderApp(app), 'pay-to-resolved');
    expect(shown?.text).toBe('Means https://wallet.example/.well-known/pay');
    expect(attribute(shown, 'data-kind')).toBe('means');
    expect(byTestId(renderApp(app), 'pay-from-resolved')).toBeNull();
    pay.to = '$http://wallet.example/bob';
    const refused = byTestId(renderApp(app), 'pay-to-resolved');
    expect(attribute(refused, 'data-kind')).toBe('problem');
    expect(refused?.text).toContain('a payment pointer has no scheme');
  });

  it('follows the payment from approval to paid, and ignores other payments', async () => {
    const { app, backend, pay } = await paying();
    pay.to = '$ilp.example/dave';
    pay.amount = '12.50';
    await pay.quote();
    const id = pay.payment?.id ?? '';
    expect(await pay.confirm()).toBe(true);
    expect(backend.calls.find((call) => call.command === 'confirm_payment')?.args).toEqual({ id, approveIn: 'window' });
    expect(pay.payment?.state).toBe('authorizing');
    expect(byTestId(renderApp(app), 'pay-cancel')).not.toBeNull();
    // Its steps, like Approve's, with the current one and a clock; no badge.
    const stepStates = () =>
      Object.fromEntries(allByTestId(renderApp(app), 'pay-step').map((step) => [attribute(step, 'data-step'), attribute(step, 'data-state')]));
    expect(stepStates()).toEqual({ quote: 'done', approval: 'current', sending: 'todo', settling: 'todo', paid: 'todo' });
    expect(attribute(byTestId(renderApp(app), 'pay-elapsed'), 'role')).toBe('timer');
    expect(attribute(byTestId(renderApp(app), 'pay-state'), 'class')).not.toContain('badge');

    backend.paymentList.push({ ...backend.paymentList[0]!, id: 'other' });
    backend.paymentProgress('other', 'failed', 'Someone else’s payment.');
    expect(pay.payment?.state).toBe('authorizing');

    backend.paymentProgress(id, 'completed', 'Paid: the receiver got the money.');
    const html = renderApp(app);
    expect(attribute(byTestId(html, 'pay-state'), 'data-state')).toBe('completed');
    expect(byTestId(html, 'pay-message')?.text).toBe('Paid: the receiver got the money.');
    // Said in the past once paid; what was sent is what left the wallet, so no third "$12.50".
    expect(byTestId(html, 'pay-payment')?.text).toContain('You paid');
    expect(byTestId(html, 'pay-payment')?.text).toContain('They got');
    expect(byTestId(html, 'pay-sent')).toBeNull();
    expect(byTestId(html, 'pay-cancel')).toBeNull();
    expect(Object.values(stepStates())).toEqual(['done', 'done', 'done', 'done', 'done']);
    expect(byTestId(html, 'pay-elapsed')?.text).toMatch(/^\d+ s$/);
    pay.reset();
    expect(byTestId(renderApp(app), 'pay-quote')).not.toBeNull();
    expect(pay.to).toBe('$ilp.example/dave');
  });

  it('shows a refused quote as the core says it and keeps the form', async () => {
    const { app, backend, pay } = await paying();
    pay.to = 'http://127.0.0.1:4455/bob';
    pay.amount = '10';
    backend.failNext.set('quote_payment', { code: 'wallet', message: 'Your wallet at 127.0.0.1 is not answering.' });
    expect(await pay.quote()).toBe(false);
    const html = renderApp(app);
    expect(byTestId(html, 'pay-error')?.text).toContain('not answering');
    expect(byTestId(html, 'pay-quote')).not.toBeNull();
    expect(pay.payment).toBeNull();
  });
});

describe('Recent payments', () => {
  it('lists them, keeps them current from events, and reopens one not finished', async () => {
    const backend = new MockBackend();
    backend.active = 'sandbox';
    const app = new AppState(backend);
    await app.start();
    await app.pay.quote(); // nothing typed: refused without a call
    expect(backend.count('quote_payment')).toBe(0);
    app.pay.from = 'http://127.0.0.1:4455/alice';
    app.pay.to = 'http://127.0.0.1:4455/dave';
    app.pay.amount = '5';
    await app.pay.quote();
    const id = app.pay.payment?.id ?? '';
    await app.pay.confirm();
    app.pay.reset();

    // As after a restart: the list comes from the core.
    await app.show('pay');
    let html = renderApp(app);
    expect(attribute(byTestId(html, 'pay-history-item'), 'data-state')).toBe('authorizing');
    expect(byTestId(html, 'pay-history-item')?.text).toMatch(/\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}/);
    app.pay.open(id);
    expect(app.pay.payment?.state).toBe('authorizing');
    backend.paymentProgress(id, 'completed', 'Paid: the receiver got the money.');
    app.pay.reset();
    html = renderApp(app);
    expect(attribute(byTestId(html, 'pay-history-item'), 'data-state')).toBe('completed');
    expect(byTestId(html, 'pay-open')).toBeNull();
  });
});

describe('Paying with a grant approved earlier', () => {
  it('offers the wallet’s approved grants, pays without a new consent, and asks for one when the budget is spent', async () => {
    const { app, backend, grant } = await withDailyBudget();
    await app.payWith(app.grants.list[0]!);
    expect(app.screen).toBe('pay');
    expect(app.pay.from).toBe('http://127.0.0.1:4455/alice');
    expect(app.pay.useGrant).toBe(grant.id);
    app.pay.to = 'http://127.0.0.1:4455/dave';
    app.pay.amount = '5';
    await app.pay.quote();
    let html = renderApp(app);
    expect(attribute(byTestId(html, 'pay-with-grant'), 'data-id')).toBe(grant.id);
    expect(byTestId(html, 'pay-confirm')?.text).toContain('Pay $5.00 with that budget');
    expect(await app.pay.confirm()).toBe(true);
    expect(backend.count('confirm_payment')).toBe(0);
    expect(app.pay.payment?.state).toBe('completed');

    // Spent: back to the quote, and the next confirmation asks the wallet.
    app.pay.reset();
    app.pay.useGrant = grant.id;
    backend.budgetSpent.add(grant.id);
    await app.pay.quote();
    await app.pay.confirm();
    html = renderApp(app);
    expect(app.pay.payment?.state).toBe('quoted');
    expect(byTestId(html, 'pay-problem')?.text).toContain('budget is spent');
    // Said once, not in the progress line too; and the spent budget is no longer offered.
    expect(html.split('budget is spent').length - 1).toBe(1);
    expect(byTestId(html, 'pay-message')).toBeNull();
    expect(app.pay.grants.map((known) => known.id)).not.toContain(grant.id);
    expect(byTestId(html, 'pay-with-grant')).toBeNull();
    expect(app.pay.useGrant).toBeNull();
    expect(byTestId(html, 'pay-confirm')?.text).toContain('Approve $5.00 at my wallet');
  });
});

describe('Another payment started while a command still answers', () => {
  it('keeps the new form: the late answer about the paid one does not take the screen back', async () => {
    const { app, backend, grant } = await withDailyBudget();
    await app.payWith(app.grants.list[0]!);
    app.pay.to = 'http://127.0.0.1:4455/dave';
    app.pay.amount = '3';
    await app.pay.quote();
    // The wallet's answer to "pay with this grant" comes late, after the
    // event that says the payment completed (as under load in the e2e run).
    const pay = backend.payWithGrant.bind(backend);
    let release: () => void = () => {};
    backend.payWithGrant = (id: string, grantId: string) =>
      new Promise((resolve) => {
        release = () => resolve(pay(id, grantId));
      });
    const confirming = app.pay.confirm();
    const paid = { ...app.pay.payment!, state: 'completed' as const };
    app.pay.receive({ payment: paid, message: 'Paid.' });
    expect(app.pay.canStartAnother).toBe(true);
    app.pay.reset();
    release();
    expect(await confirming).toBe(true);
    expect(app.pay.payment).toBeNull();
    expect(byTestId(renderApp(app), 'pay-to')).not.toBeNull();
  });
});

describe('A payment still settling', () => {
  it('can be checked again until the wallet says it arrived', async () => {
    const { app, backend, pay } = await paying();
    pay.to = '$ilp.example/dave';
    pay.amount = '4';
    await pay.quote();
    const id = pay.payment?.id ?? '';
    await pay.confirm();
    backend.paymentProgress(id, 'sent', 'Sent; the wallet is still delivering it. Check again later.');
    expect(byTestId(renderApp(app), 'pay-check')).not.toBeNull();
    expect(await pay.check()).toBe(true);
    expect(pay.payment?.state).toBe('sent');
    backend.settled.add(id);
    expect(await pay.check()).toBe(true);
    expect(pay.payment?.state).toBe('completed');
    expect(byTestId(renderApp(app), 'pay-check')).toBeNull();
  });

  it('leaves a way out: another payment can be started while it settles, and it is checked later', async () => {
    const { app, backend, pay } = await paying();
    pay.to = '$ilp.example/dave';
    pay.amount = '4';
    await pay.quote();
    const id = pay.payment?.id ?? '';
    await pay.confirm();
    backend.paymentProgress(id, 'sent', 'Sent; the wallet is still delivering it. Check again later.');
    expect(byTestId(renderApp(app), 'pay-again')?.text).toBe('Make another payment');
    pay.reset();
    expect(byTestId(renderApp(app), 'pay-from')).not.toBeNull();
    await pay.loadRecent();
    pay.open(id);
    expect(pay.payment?.state).toBe('sent');
    expect(byTestId(renderApp(app), 'pay-check')).not.toBeNull();
  });
});

describe('A payment that may have been made', () => {
  it('is checked again, never paid again', async () => {
    const { app, backend, pay } = await paying();
    pay.to = '$ilp.example/dave';
    pay.amount = '4';
    await pay.quote();
    const id = pay.payment?.id ?? '';
    await pay.confirm();
    const words =
      'This payment may have been made already: the wallet refused to send it again. This grant cannot ' +
      'list payments, so that cannot be confirmed here. Do not pay it again: check again later.';
    backend.paymentProgress(id, 'sending', words, words);
    let html = renderApp(app);
    expect(byTestId(html, 'pay-problem')?.text).toContain('may have been made');
    expect(byTestId(html, 'pay-check')?.text).toBe('Check again');
    expect(byTestId(html, 'pay-confirm')).toBeNull();
    expect(byTestId(html, 'pay-cancel')).toBeNull();
    expect(await pay.check()).toBe(true);
    expect(pay.payment?.state).toBe('sending');
    html = renderApp(app);
    expect(byTestId(html, 'pay-check')).not.toBeNull();
    expect(byTestId(html, 'pay-again')?.text).toBe('Make another payment');
  });
});

describe('Grants offered for paying', () => {
  it('are the ones the core says can pay this quote; a chosen one that cannot is let go', async () => {
    const backend = new MockBackend();
    backend.active = 'sandbox';
    const form = {
      wallet: 'http://127.0.0.1:4455/alice',
      limit: 'debit' as const,
      amount: '20',
      receiver: null,
      interval: null,
      actions: ['create' as const, 'list' as const],
    };
    const blind = await backend.requestGrant(form);
    backend.progress(blind.id, 'done');
    const full = await backend.requestGrant({ ...form, actions: ['create', 'read'] });
    backend.progress(full.id, 'done');
    // No `read`: the core does not offer it.
    backend.cannotPay.add(blind.id);
    const app = new AppState(backend);
    await app.start();
    await app.payWith(app.grants.list.find((grant) => grant.id === blind.id)!);
    app.pay.to = 'http://127.0.0.1:4455/dave';
    app.pay.amount = '5';
    await app.pay.quote();
    expect(backend.count('payment_grants')).toBe(1);
    expect(app.pay.grants.map((grant) => grant.id)).toEqual([full.id]);
    expect(app.pay.useGrant).toBeNull();
    const html = renderApp(app);
    expect(byTestId(html, 'pay-confirm')?.text).toContain('Approve $5.00 at my wallet');
    expect(attribute(byTestId(html, 'pay-with-grant'), 'data-id')).toBe(full.id);
  });
});
