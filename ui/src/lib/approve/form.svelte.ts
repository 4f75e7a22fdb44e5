import type { AmountLimit, ApproveIn, Backend, GrantAction, GrantForm, GrantPreview, UiError } from '../ipc';
import { toUiError } from '../ipc';
import { problemField } from '../ui/field-problem';
import { buildInterval, localDate, type Repeat } from './describe';

/** How long the form waits after the last change before asking the core for a preview. */
export const PREVIEW_DELAY_MS = 400;

interface Fields {
  wallet: string;
  limit: AmountLimit;
  amount: string;
  receiver: string;
  repeat: Repeat;
  repeatStart: string;
  customInterval: string;
  read: boolean;
  readAll: boolean;
  list: boolean;
  listAll: boolean;
  approveIn: ApproveIn;
}

/**
 * "Approve a payment": the form, and a live preview from the core of what it
 * would send. Every change asks again, {@link PREVIEW_DELAY_MS} after the
 * last one; answers to older versions of the form are dropped.
 */
export class ApproveForm {
  #backend: Backend;
  #fields = $state<Fields>({
    wallet: '',
    limit: 'debit',
    amount: '',
    receiver: '',
    repeat: 'once',
    repeatStart: localDate(),
    customInterval: '',
    // Paying with this grant later needs `read` as well as `create`: without
    // it the app cannot follow the payments it makes (as the CLI asks).
    // Nothing more by default: seeing or listing other payments is the
    // person's explicit choice (the wallet asks about it on its page too).
    read: true,
    readAll: false,
    list: false,
    listAll: false,
    approveIn: 'window',
  });
  #preview = $state<GrantPreview | null>(null);
  /** The asset of the wallet last previewed, for the amount's label. */
  #assetCode = $state<string | null>(null);
  #error = $state<UiError | null>(null);
  /** A preview is scheduled but not asked for yet. */
  #scheduled = $state(false);
  #loading = $state(false);
  #timer: ReturnType<typeof setTimeout> | undefined;
  #generation = 0;

  constructor(backend: Backend, wallet = '') {
    this.#backend = backend;
    this.#fields.wallet = wallet;
  }

  get wallet() {
    return this.#fields.wallet;
  }
  set wallet(value: string) {
    if (value === this.#fields.wallet) return;
    this.#assetCode = null;
    this.#set('wallet', value);
  }
  get limit() {
    return this.#fields.limit;
  }
  set limit(value: AmountLimit) {
    this.#set('limit', value);
  }
  /** In the wallet's major unit, as typed ("13.20"). */
  get amount() {
    return this.#fields.amount;
  }
  set amount(value: string) {
    this.#set('amount', value);
  }
  get receiver() {
    return this.#fields.receiver;
  }
  set receiver(value: string) {
    this.#set('receiver', value);
  }
  get repeat() {
    return this.#fields.repeat;
  }
  set repeat(value: Repeat) {
    this.#set('repeat', value);
  }
  /** The first day of a daily, weekly or monthly limit ("2025-04-22"). */
  get repeatStart() {
    return this.#fields.repeatStart;
  }
  set repeatStart(value: string) {
    this.#set('repeatStart', value);
  }
  /** A raw ISO 8601 repeating interval, for "Custom". */
  get customInterval() {
    return this.#fields.customInterval;
  }
  set customInterval(value: string) {
    this.#set('customInterval', value);
  }
  get read() {
    return this.#fields.read;
  }
  set read(value: boolean) {
    this.#set('read', value);
  }
  get readAll() {
    return this.#fields.readAll;
  }
  set readAll(value: boolean) {
    this.#set('readAll', value);
  }
  get list() {
    return this.#fields.list;
  }
  set list(value: boolean) {
    this.#set('list', value);
  }
  get listAll() {
    return this.#fields.listAll;
  }
  set listAll(value: boolean) {
    this.#set('listAll', value);
  }

  /** The passphrase of a key kept in a protected file; sent with the request only, never previewed. */
  passphrase = $state('');

  /** Where the person approves: the app's own window, or the system browser. */
  get approveIn() {
    return this.#fields.approveIn;
  }
  set approveIn(value: ApproveIn) {
    // Not part of the request body: no new preview needed.
    this.#fields.approveIn = value;
  }

  /** The ISO 8601 interval the recurrence control stands for, or `null` for once. */
  get interval(): string | null {
    const fields = this.#fields;
    return buildInterval(fields.repeat, fields.repeatStart, fields.customInterval);
  }

  /** The request with the passphrase, for sending. */
  get submission(): GrantForm {
    const passphrase = this.passphrase;
    return passphrase ? { ...this.request, passphrase } : this.request;
  }

  /** What the app sends, as a plain object: creating payments always, the chosen extras, nothing empty. */
  get request(): GrantForm {
    const fields = this.#fields;
    const actions: GrantAction[] = ['create'];
    if (fields.read) actions.push('read');
    if (fields.readAll) actions.push('readAll');
    if (fields.list) actions.push('list');
    if (fields.listAll) actions.push('listAll');
    const amount = fields.amount.trim();
    const receiver = fields.receiver.trim();
    return {
      wallet: fields.wallet.trim(),
      limit: fields.limit,
      amount: fields.limit === 'none' || !amount ? null : amount,
      receiver: receiver || null,
      interval: this.interval,
      actions,
      approveIn: fields.approveIn,
    };
  }

  /** What must be filled in before the core is asked at all; `null` when nothing is missing. */
  get missing(): string | null {
    const fields = this.#fields;
    if (!fields.wallet.trim()) return 'Enter the address of the wallet that pays.';
    if (fields.limit !== 'none' && !fields.amount.trim()) {
      return fields.limit === 'receive'
        ? 'Enter the most that may arrive, like 13.20.'
        : 'Enter the most that may leave your wallet, like 13.20.';
    }
    if (fields.repeat === 'custom' && !fields.customInterval.trim()) {
      return 'Type the interval, such as R/2025-04-22T00:00:00Z/P1W, or choose how often above.';
    }
    if (fields.repeat !== 'once' && fields.repeat !== 'custom' && !fields.repeatStart) {
      return 'Choose the day the limit starts.';
    }
    return null;
  }

  /** The core's answer for the form as it is (or was, while a new answer is on its way). */
  get preview() {
    return this.#preview;
  }
  /** "USD", once a preview has named the wallet's asset. */
  get assetCode() {
    return this.#preview?.assetCode ?? this.#assetCode;
  }
  /** The core's refusal of the form, shown verbatim. */
  get error() {
    return this.#error;
  }
  /** The core's refusal when it is about the amount: shown at the amount field. */
  get amountError(): string | null {
    return problemField(this.#error) === 'amount' ? (this.#error?.message ?? null) : null;
  }
  /** The core's refusal when it is about the custom interval: shown at that field. */
  get intervalError(): string | null {
    return problemField(this.#error) === 'interval' ? (this.#error?.message ?? null) : null;
  }
  /** The core's refusal when no field shows it: shown in the preview. */
  get formError(): UiError | null {
    return problemField(this.#error) === null ? this.#error : null;
  }
  /** A preview is scheduled or on its way: what is shown may be out of date. */
  get checking() {
    return this.#scheduled || this.#loading;
  }
  /** Why "Ask my wallet" cannot be pressed now, or `null` when it can. */
  get blocker(): string | null {
    if (this.missing) return this.missing;
    if (this.checking) return 'Checking the request with your wallet…';
    if (this.amountError) return 'Correct the amount first.';
    if (this.intervalError) return 'Correct the repeating interval first.';
    if (this.#error) {
      return this.#error.code === 'network' || this.#error.code === 'unreachable'
        ? 'Your wallet did not answer: try again above.'
        : 'The message above says what to change.';
    }
    if (!this.#preview) return 'Waiting for the preview of the request.';
    return null;
  }
  get canSubmit() {
    return this.blocker === null;
  }

  /** Asks the core for a preview now (no delay). Answers whether the form can be sent. */
  async refresh(): Promise<boolean> {
    this.#cancelScheduled();
    const generation = ++this.#generation;
    if (this.missing) {
      this.#preview = null;
      this.#error = null;
      this.#loading = false;
      return false;
    }
    const request = this.request;
    this.#loading = true;
    try {
      const preview = await this.#backend.previewGrant(request);
      if (generation !== this.#generation) return false;
      this.#preview = preview;
      this.#assetCode = preview.assetCode;
      this.#error = null;
      return true;
    } catch (reason) {
      if (generation !== this.#generation) return false;
      this.#preview = null;
      this.#error = toUiError(reason);
      return false;
    } finally {
      if (generation === this.#generation) this.#loading = false;
    }
  }

  /** The form is off screen: no scheduled preview, and an answer on its way is dropped. */
  pause() {
    this.#cancelScheduled();
    this.#generation++;
    this.#loading = false;
  }

  #set<K extends keyof Fields>(key: K, value: Fields[K]) {
    if (this.#fields[key] === value) return;
    this.#fields[key] = value;
    this.#changed();
  }

  #changed() {
    this.pause();
    if (this.missing) {
      this.#preview = null;
      this.#error = null;
      return;
    }
    this.#scheduled = true;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.refresh();
    }, PREVIEW_DELAY_MS);
  }

  #cancelScheduled() {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#scheduled = false;
  }
}
