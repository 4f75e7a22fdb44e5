import type { Backend, FlowProgress, GrantDetail, GrantView, UiError } from '../ipc';

/** Grants read at a time: the first paint does not grow with history. */
export const GRANTS_PAGE = 50;

/** A change asked of the wallet for the open grant. */
export type GrantTask = 'rotate' | 'revoke' | 'end';
import { toUiError } from '../ipc';

/** Every grant the app asked for, newest first, as Home lists them. */
export class GrantsState {
  #backend: Backend;
  #list = $state<GrantView[] | null>(null);
  #loading = $state(false);
  #error = $state<UiError | null>(null);
  #generation = 0;
  #more = $state(false);
  #openId = $state<string | null>(null);
  #detail = $state<GrantDetail | null>(null);
  #detailError = $state<UiError | null>(null);
  #task = $state<GrantTask | 'detail' | null>(null);
  #confirming = $state<'revoke' | 'end' | null>(null);

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  /** `false` until the first answer from the core. */
  get loaded() {
    return this.#list !== null;
  }
  get list(): GrantView[] {
    return this.#list ?? [];
  }
  /** The grants by paying wallet, each wallet where its newest grant falls. */
  get byWallet(): { wallet: string; grants: GrantView[] }[] {
    const groups = new Map<string, GrantView[]>();
    for (const grant of this.list) {
      const group = groups.get(grant.wallet);
      if (group) group.push(grant);
      else groups.set(grant.wallet, [grant]);
    }
    return [...groups].map(([wallet, grants]) => ({ wallet, grants }));
  }
  get loading() {
    return this.#loading;
  }
  get error() {
    return this.#error;
  }
  /** More grants than shown are stored. */
  get more() {
    return this.#more;
  }
  /** The grant whose details are open. */
  get openId() {
    return this.#openId;
  }
  get detail() {
    return this.#detail;
  }
  get detailError() {
    return this.#detailError;
  }
  /** What is being asked of the wallet for the open grant. */
  get task() {
    return this.#task;
  }
  /** The destructive action waiting for a second click. */
  get confirming() {
    return this.#confirming;
  }

  /** The next page of older grants. */
  async loadMore(): Promise<boolean> {
    const offset = this.list.length;
    try {
      const page = await this.#backend.grants(GRANTS_PAGE, offset);
      const known = new Set(this.list.map((grant) => grant.id));
      this.#list = [...this.list, ...page.filter((grant) => !known.has(grant.id))];
      this.#more = page.length === GRANTS_PAGE;
      return true;
    } catch (reason) {
      this.#error = toUiError(reason);
      return false;
    }
  }

  /** Opens a grant's details: what it spent (from the wallet) and its payments. Again to close. */
  async open(id: string): Promise<boolean> {
    if (this.#openId === id) {
      this.close();
      return true;
    }
    this.#openId = id;
    this.#detail = null;
    this.#confirming = null;
    return this.#refresh(id);
  }

  close() {
    this.#openId = null;
    this.#detail = null;
    this.#detailError = null;
    this.#confirming = null;
  }

  /** First click on "Stop this approval" or "End this budget": asks again. */
  ask(action: 'revoke' | 'end') {
    this.#confirming = action;
  }

  /** Rotates the token, or (confirmed) revokes it or cancels the grant. */
  async act(task: GrantTask): Promise<boolean> {
    const id = this.#openId;
    if (!id || this.#task !== null) return false;
    if (task !== 'rotate' && this.#confirming !== task) return false;
    this.#task = task;
    this.#detailError = null;
    try {
      const grant = await (task === 'rotate'
        ? this.#backend.rotateGrant(id)
        : task === 'revoke'
          ? this.#backend.revokeGrant(id)
          : this.#backend.endGrant(id));
      this.#replace(grant);
      this.#confirming = null;
    } catch (reason) {
      this.#detailError = toUiError(reason);
      return false;
    } finally {
      this.#task = null;
    }
    return this.#refresh(id);
  }

  async #refresh(id: string): Promise<boolean> {
    this.#task = 'detail';
    try {
      const detail = await this.#backend.grantDetail(id);
      if (this.#openId !== id) return false;
      this.#detail = detail;
      this.#replace(detail.grant);
      return true;
    } catch (reason) {
      if (this.#openId === id) this.#detailError = toUiError(reason);
      return false;
    } finally {
      this.#task = null;
    }
  }

  #replace(grant: GrantView) {
    const index = this.list.findIndex((known) => known.id === grant.id);
    if (index >= 0 && this.#list) this.#list[index] = grant;
  }

  /** Reads the grants again; only the latest answer counts. */
  async load(): Promise<boolean> {
    const generation = ++this.#generation;
    this.#loading = true;
    try {
      const list = await this.#backend.grants(GRANTS_PAGE, 0);
      if (generation !== this.#generation) return false;
      this.#list = list;
      this.#more = list.length === GRANTS_PAGE;
      this.#error = null;
      return true;
    } catch (reason) {
      if (generation !== this.#generation) return false;
      this.#error = toUiError(reason);
      return false;
    } finally {
      if (generation === this.#generation) this.#loading = false;
    }
  }

  /** A progress event that carries a grant: it replaces the one listed, or comes first when new. */
  receive(progress: FlowProgress) {
    const grant = progress.grant;
    if (!grant || this.#list === null) return;
    const index = this.#list.findIndex((known) => known.id === grant.id);
    if (index >= 0) this.#list[index] = grant;
    else this.#list.unshift(grant);
  }
}
