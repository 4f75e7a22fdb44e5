import type { ApproveIn, Backend, GrantView, PayAmountKind, PaymentProgress, PaymentView, UiError } from '../ipc';
import { toUiError } from '../ipc';
import { problemField } from '../ui/field-problem';

/** The steps of a payment that its progress lists, in order. */
export const PAY_STEPS = ['quote', 'approval', 'sending', 'settling', 'paid'] as const;
export type PayStep = (typeof PAY_STEPS)[number];

/** What each step is called on screen. */
export const PAY_STEP_LABELS: Record<PayStep, string> = {
  quote: 'Quote',
  approval: 'Waiting for your approval',
  sending: 'Sending',
  settling: 'Reaching the receiver',
  paid: 'Paid',
};

export interface PayStepView {
  step: PayStep;
  label: string;
  state: 'done' | 'current' | 'todo' | 'failed';
}

/**
 * A payment's steps as its state puts them: the one it is at is current
 * (a quote waits for the person, so nothing is current yet); one that
 * failed or was stopped shows where.
 */
export function payStepsOf(payment: Pick<PaymentView, 'state' | 'sent'>): PayStepView[] {
  const at: Record<PaymentView['state'], [number, 'current' | 'failed' | 'todo']> = {
    quoted: [1, 'todo'],
    authorizing: [1, 'current'],
    sending: [2, 'current'],
    sent: [3, 'current'],
    completed: [5, 'todo'],
    // Refused by the wallet while sending, or lost on the way.
    failed: [payment.sent ? 3 : 2, 'failed'],
    cancelled: [1, 'failed'],
  };
  const [index, state] = at[payment.state];
  return PAY_STEPS.map((step, i) => ({
    step,
    label: PAY_STEP_LABELS[step],
    state: i < index ? 'done' : i === index ? state : 'todo',
  }));
}

/**
 * The Pay screen: the form, then the quote to confirm, then the payment as
 * the core reports it (waiting for approval, sending, paid or not).
 */
export class PayState {
  #backend: Backend;
  from = $state('');
  to = $state('');
  amount = $state('');
  amountKind = $state<PayAmountKind>('send');
  note = $state('');
  approveIn = $state<ApproveIn>('window');
  /** An approved grant to pay with instead of asking for a new one; `null` asks. */
  useGrant = $state<string | null>(null);
  /** The passphrase of a key kept in a protected file; sent once, never kept. */
  passphrase = $state('');
  #payment = $state<PaymentView | null>(null);
  /** Which payment the screen shows, counted: a new one (reset, open) makes
   * answers to commands about the one before stale. Not shown, so not state. */
  #view = 0;
  #message = $state<string | null>(null);
  #busy = $state<'quote' | 'confirm' | 'requote' | 'cancel' | 'check' | null>(null);
  #error = $state<UiError | null>(null);
  #recent = $state<PaymentView[]>([]);
  /** Grants approved earlier that the core says can pay the quoted payment. */
  #grants = $state<GrantView[]>([]);
  #recentError = $state<UiError | null>(null);
  /** When the person confirmed the payment on screen (ms), for the elapsed time; `null` before. */
  #startedAt = $state<number | null>(null);
  /** When it reached an end (ms), freezing the elapsed time. */
  #endedAt = $state<number | null>(null);

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  /** The payment being made (quoted, waiting, sent…), once quoted. */
  get payment() {
    return this.#payment;
  }
  /** The latest payments, newest first (also those a restart left unfinished). */
  get recent() {
    return this.#recent;
  }
  get recentError() {
    return this.#recentError;
  }
  /** Grants approved earlier that can pay the payment on screen as quoted (empty otherwise). */
  get grants() {
    return this.#grants;
  }
  /** The steps of the payment on screen. */
  get steps(): PayStepView[] {
    return this.#payment ? payStepsOf(this.#payment) : [];
  }
  /** Whole seconds since the person confirmed it (frozen at its end); `null` when not confirmed here. */
  elapsed(now: number): number | null {
    if (this.#startedAt === null) return null;
    return Math.max(0, Math.floor(((this.#endedAt ?? now) - this.#startedAt) / 1000));
  }
  /** The core's last sentence about it. */
  get message() {
    return this.#message;
  }
  get busy() {
    return this.#busy;
  }
  get error() {
    return this.#error;
  }
  /** The core's refusal of the form when it is about the amount: shown at the amount field. */
  get amountError(): string | null {
    return !this.#payment && problemField(this.#error) === 'amount' ? (this.#error?.message ?? null) : null;
  }
  /** "Get a quote" can be pressed. */
  get canQuote() {
    // No amount pays what an incoming payment link asks for.
    const amountGiven = this.amount.trim() !== '' || this.to.includes('/incoming-payments/');
    return this.#busy === null && this.from.trim() !== '' && this.to.trim() !== '' && amountGiven;
  }
  /** The payment reached an end: the form can start another. */
  get ended() {
    const state = this.#payment?.state;
    return state === 'completed' || state === 'failed' || state === 'cancelled';
  }
  /**
   * Another payment can be started: this one ended, or it was sent and the
   * wallet is still delivering it (it stays in the list, to check later).
   */
  get canStartAnother() {
    // A payment that may have been made (`sending`) is checked, never paid
    // again; another payment can still be started meanwhile.
    return this.ended || this.#payment?.state === 'sent' || this.#payment?.state === 'sending';
  }

  /** Steps 1–2 in the core: the incoming payment and the quote. */
  async quote(): Promise<boolean> {
    if (!this.canQuote) return false;
    const passphrase = this.passphrase;
    this.passphrase = '';
    const done = await this.#run('quote', () =>
      this.#backend.quotePayment({
        from: this.from.trim(),
        to: this.to.trim(),
        amount: this.amount.trim(),
        amountKind: this.amountKind,
        note: this.note,
        ...(passphrase ? { passphrase } : {}),
      }),
    );
    await this.loadGrants();
    return done;
  }

  /**
   * Asks the core which grants approved earlier can pay the quoted payment;
   * a chosen grant that cannot is let go (a new approval is asked for).
   */
  async loadGrants(): Promise<void> {
    const payment = this.#payment;
    if (payment?.state !== 'quoted') {
      this.#grants = [];
      return;
    }
    try {
      const grants = await this.#backend.paymentGrants(payment.id);
      if (this.#payment?.id !== payment.id) return;
      this.#grants = grants;
    } catch {
      // Offering none is safe: the person approves at the wallet instead.
      this.#grants = [];
    }
    if (this.useGrant !== null && !this.#grants.some((grant) => grant.id === this.useGrant)) this.useGrant = null;
  }

  /**
   * The person accepts the quote: with a grant approved earlier it is paid at
   * once; otherwise the wallet's consent page opens.
   */
  async confirm(): Promise<boolean> {
    const id = this.#payment?.id;
    if (!id || this.#payment?.state !== 'quoted') return false;
    const grant = this.useGrant;
    this.#startedAt = Date.now();
    this.#endedAt = null;
    const done = await this.#run('confirm', () =>
      grant ? this.#backend.payWithGrant(id, grant) : this.#backend.confirmPayment(id, this.approveIn),
    );
    // A spent budget sends the payment back to its quote: a new grant is needed.
    if (this.#payment?.state === 'quoted') this.#startedAt = null;
    if (grant && this.#payment?.state === 'quoted') {
      this.useGrant = null;
      await this.loadGrants();
    }
    return done;
  }

  /** A new quote after the old one expired. */
  async requote(): Promise<boolean> {
    const id = this.#payment?.id;
    if (!id) return false;
    const done = await this.#run('requote', () => this.#backend.requotePayment(id));
    await this.loadGrants();
    return done;
  }

  /** Asks the wallet again about a payment still settling, or one that may have been made (resumed). */
  async check(): Promise<boolean> {
    const id = this.#payment?.id;
    const state = this.#payment?.state;
    if (!id || (state !== 'sent' && state !== 'sending')) return false;
    return this.#run('check', () => this.#backend.checkPayment(id));
  }

  /** Stops the payment before money moves. */
  async cancel(): Promise<boolean> {
    const id = this.#payment?.id;
    if (!id || this.ended) return false;
    return this.#run('cancel', () => this.#backend.cancelPayment(id));
  }

  /** Reads the latest payments. */
  async loadRecent(limit = 20): Promise<boolean> {
    try {
      this.#recent = await this.#backend.payments(limit, 0);
      this.#recentError = null;
      return true;
    } catch (reason) {
      this.#recentError = toUiError(reason);
      return false;
    }
  }

  /** Shows a listed payment (to go on with one not finished). */
  open(id: string) {
    const payment = this.#recent.find((known) => known.id === id);
    if (!payment) return;
    this.#view += 1;
    this.#payment = payment;
    this.#message = null;
    this.#error = null;
    this.#startedAt = null;
    this.#endedAt = null;
    void this.loadGrants();
  }

  /** Back to the form (kept as it was) for another payment. */
  reset() {
    this.#view += 1;
    this.useGrant = null;
    this.#grants = [];
    this.#payment = null;
    this.#startedAt = null;
    this.#endedAt = null;
    this.#message = null;
    this.#error = null;
  }

  /** A `payment://progress` event: applies to the payment on screen only. */
  receive(progress: PaymentProgress) {
    const index = this.#recent.findIndex((known) => known.id === progress.payment.id);
    if (index >= 0) this.#recent[index] = progress.payment;
    else this.#recent = [progress.payment, ...this.#recent];
    if (progress.payment.id !== this.#payment?.id) return;
    this.#payment = progress.payment;
    this.#message = progress.message;
    this.#stopIfEnded();
  }

  /** The clock stops when the payment ends. */
  #stopIfEnded() {
    if (this.#startedAt !== null && this.#endedAt === null && this.#payment && isFinal(this.#payment.state)) {
      this.#endedAt = Date.now();
    }
  }

  async #run(task: NonNullable<PayState['busy']>, work: () => Promise<PaymentView>): Promise<boolean> {
    if (this.#busy !== null) return false;
    this.#busy = task;
    this.#error = null;
    const view = this.#view;
    try {
      const payment = await work();
      // The person went on to another payment (or opened one) while the
      // command answered: its answer must not take the screen back.
      if (this.#view !== view) return true;
      // An event may have moved it on while the command answered.
      if (this.#payment?.id !== payment.id || !isFinal(this.#payment.state)) this.#payment = payment;
      this.#stopIfEnded();
      return true;
    } catch (reason) {
      if (this.#view === view) this.#error = toUiError(reason);
      return false;
    } finally {
      this.#busy = null;
    }
  }
}

function isFinal(state: PaymentView['state']) {
  return state === 'completed' || state === 'failed' || state === 'cancelled';
}
