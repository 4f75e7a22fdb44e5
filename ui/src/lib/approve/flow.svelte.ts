import type { Backend, FlowProgress, GrantForm, GrantView, UiError } from '../ipc';
import { toUiError } from '../ipc';
import { FLOW_STEPS, STEP_LABELS, type MainStep } from './describe';

/** How a flow ended. */
export type FlowResult = 'approved' | 'failed' | 'cancelled';
/** How a step is shown. */
export type StepState = 'done' | 'current' | 'todo' | 'failed';

export interface StepView {
  step: MainStep;
  label: string;
  state: StepState;
}

/** How often the elapsed time is brought up to date. */
export const CLOCK_TICK_MS = 1000;

/**
 * One approval after "Ask my wallet": the request, then the core's progress
 * events for this grant until it is approved, failed or cancelled.
 *
 * Which events are ours: until `request_grant` answers, the grant id is not
 * known, so events without an id (`requesting`, or `failed` before the
 * wallet answered) belong to this submit, and events with an id wait until
 * the answer says whether the id is ours (the core announces `waiting`
 * before it answers). After that only events for our grant count.
 */
export class GrantFlow {
  /** What was sent, to send it again. */
  readonly form: GrantForm;
  /** The limit in words, as previewed before sending. */
  readonly summary: string;
  /** The paying wallet's name ("Alice Sandbox"), as previewed; `null` when not known. */
  readonly walletName: string | null;
  #backend: Backend;
  #onEnd: () => void;

  #step = $state<MainStep>('requesting');
  #result = $state<FlowResult | null>(null);
  #message = $state('Asking your wallet for permission…');
  #grantId = $state<string | null>(null);
  #grant = $state<GrantView | null>(null);
  /** Why `request_grant` itself failed. */
  #error = $state<UiError | null>(null);
  /** What the wallet or the network said, for "Details" (never the sentence). */
  #details = $state<string | null>(null);
  /** A finish link that was not genuine, while the grant still waits. */
  #refused = $state<string | null>(null);
  #cancelling = $state(false);
  #inBrowser = $state(false);
  #inFlight = false;
  #early: FlowProgress[] = [];

  #startedAt = Date.now();
  #endedAt = $state<number | null>(null);
  #now = $state(Date.now());
  #clock: ReturnType<typeof setInterval> | undefined;

  /** `onEnd` runs once, when the flow is approved, failed or cancelled. */
  constructor(
    backend: Backend,
    form: GrantForm,
    summary: string,
    onEnd: () => void = () => {},
    walletName: string | null = null,
  ) {
    this.#backend = backend;
    this.form = form;
    this.summary = summary;
    this.walletName = walletName;
    this.#onEnd = onEnd;
    this.#inBrowser = form.approveIn === 'browser';
  }

  get step() {
    return this.#step;
  }
  /** `null` while running. */
  get result() {
    return this.#result;
  }
  get ended() {
    return this.#result !== null;
  }
  /** The latest sentence from the core (or about the request). */
  get message() {
    return this.#message;
  }
  get grantId() {
    return this.#grantId;
  }
  /** The grant as last reported. */
  get grant() {
    return this.#grant;
  }
  get error() {
    return this.#error;
  }
  /** The technical line of a failure (the wallet's status and code, the host), folded under "Details". */
  get details() {
    return this.#details;
  }
  get refused() {
    return this.#refused;
  }
  get cancelling() {
    return this.#cancelling;
  }
  /** "Cancel request" while the wallet waits for the person. */
  get canCancel() {
    return !this.ended && this.#step === 'waiting' && this.#grantId !== null;
  }
  /** "Open in my browser instead": waiting in Consent Desk's window, not handed over yet. */
  get canOpenInBrowser() {
    return this.canCancel && !this.#inBrowser && !this.#cancelling;
  }
  /** The wallet's page is in the person's browser, not in a Consent Desk window. */
  get inBrowser() {
    return this.#inBrowser;
  }
  /** "Retry" after the wallet could not be reached. */
  get canRetry() {
    return this.#result === 'failed' && this.#error?.code === 'network';
  }
  /** Whole seconds since "Ask my wallet", frozen at the end. */
  get elapsed() {
    return Math.max(0, Math.floor(((this.#endedAt ?? this.#now) - this.#startedAt) / 1000));
  }
  /** The clock is ticking. */
  get ticking() {
    return this.#clock !== undefined;
  }

  get steps(): StepView[] {
    const current = FLOW_STEPS.indexOf(this.#step);
    const result = this.#result;
    return FLOW_STEPS.map((step, index) => {
      let state: StepState = 'todo';
      if (index < current) state = 'done';
      else if (index === current) state = result === null ? 'current' : result === 'approved' ? 'done' : 'failed';
      return { step, label: STEP_LABELS[step], state };
    });
  }

  /** Sends the request and starts the clock. */
  async start(): Promise<void> {
    this.startClock();
    this.#inFlight = true;
    try {
      const grant = await this.#backend.requestGrant(this.form);
      this.#inFlight = false;
      this.#adopt(grant);
    } catch (reason) {
      this.#inFlight = false;
      this.#early = [];
      const error = toUiError(reason);
      this.#error = error;
      this.#details = error.details ?? this.#details;
      // The core's `failed` event may have ended the flow already; the command's error says more.
      if (this.#result === 'failed') this.#message = error.message;
      else this.#end('failed', error.message);
    }
  }

  /** A progress event from the core; answers whether it was for this flow. */
  receive(progress: FlowProgress): boolean {
    if (this.ended) return false;
    if (progress.grantId === null) {
      if (!this.#inFlight || (progress.step !== 'requesting' && progress.step !== 'failed')) return false;
      this.#apply(progress);
      return true;
    }
    if (this.#grantId === null) {
      if (!this.#inFlight) return false;
      this.#early.push(progress);
      return true;
    }
    if (progress.grantId !== this.#grantId) return false;
    this.#apply(progress);
    return true;
  }

  /** Asks the core to cancel; the core closes the wallet's window and announces `cancelled`. */
  async cancel(): Promise<void> {
    const id = this.#grantId;
    if (!this.canCancel || this.#cancelling || id === null) return;
    this.#cancelling = true;
    this.#message = 'Cancelling the request at your wallet…';
    try {
      await this.#backend.cancelGrant(id);
    } catch (reason) {
      this.#message = toUiError(reason).message;
    } finally {
      this.#cancelling = false;
    }
  }

  /** Hands the waiting approval to the system browser; the core hides its window without cancelling. */
  async openInBrowser(): Promise<void> {
    const id = this.#grantId;
    if (!this.canOpenInBrowser || id === null) return;
    this.#inBrowser = true;
    try {
      await this.#backend.continueInBrowser(id);
    } catch (reason) {
      // Still in the window, which stays open: say why.
      this.#inBrowser = false;
      this.#message = toUiError(reason).message;
    }
  }

  /** Keeps the elapsed time up to date; does nothing once ended or when already ticking. */
  startClock(): () => void {
    if (!this.ended && this.#clock === undefined) {
      this.#now = Date.now();
      this.#clock = setInterval(() => (this.#now = Date.now()), CLOCK_TICK_MS);
    }
    return () => this.stopClock();
  }

  stopClock() {
    clearInterval(this.#clock);
    this.#clock = undefined;
  }

  /** The view is gone for good. */
  dispose() {
    this.stopClock();
  }

  #adopt(grant: GrantView) {
    this.#grantId = grant.id;
    if (this.#grant === null) this.#grant = grant;
    const early = this.#early;
    this.#early = [];
    for (const progress of early) {
      if (progress.grantId === grant.id) this.receive(progress);
    }
    if (this.ended) return;
    switch (grant.state) {
      case 'pending':
        if (this.#step === 'requesting') {
          this.#step = 'waiting';
          this.#message = "Approve or reject in your wallet's window.";
        }
        break;
      case 'finishing':
        if (FLOW_STEPS.indexOf(this.#step) < FLOW_STEPS.indexOf('verifying')) this.#step = 'verifying';
        break;
      case 'approved':
        this.#step = 'done';
        this.#end('approved', `Approved: ${grant.summary}.`);
        break;
      case 'failed':
        this.#end('failed', grant.problem ?? 'The wallet did not approve this request.');
        break;
      case 'cancelled':
        this.#end('cancelled', grant.problem ?? 'The request was cancelled.');
        break;
    }
  }

  #apply(progress: FlowProgress) {
    if (progress.grant) this.#grant = progress.grant;
    // Handed to the browser here, or from the consent window's own strip.
    if (progress.inBrowser) this.#inBrowser = true;
    switch (progress.step) {
      case 'refused':
        // The link was not taken (not genuine, or a failure the wallet does
        // not confirm): the grant waits again, and can still be cancelled,
        // even though the engine had started checking the link.
        this.#refused = progress.message;
        this.#step = 'waiting';
        return;
      case 'failed':
        this.#details = progress.details ?? null;
        this.#end('failed', progress.message);
        return;
      case 'cancelled':
        this.#end('cancelled', progress.message);
        return;
      case 'done':
        this.#step = 'done';
        this.#end('approved', progress.message);
        return;
      default: {
        // Steps only move forward.
        if (FLOW_STEPS.indexOf(progress.step) < FLOW_STEPS.indexOf(this.#step)) return;
        if (progress.step !== 'waiting') this.#refused = null;
        this.#step = progress.step;
        this.#message = progress.message;
      }
    }
  }

  #end(result: FlowResult, message: string) {
    if (this.#result !== null) return;
    this.#result = result;
    this.#message = message;
    this.#refused = null;
    this.#endedAt = Date.now();
    this.stopClock();
    this.#onEnd();
  }
}
