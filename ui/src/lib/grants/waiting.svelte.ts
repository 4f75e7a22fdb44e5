import type { Backend, FlowProgress, GrantView, UiError } from '../ipc';
import { toUiError } from '../ipc';

/** What happened to one approval that waited when Consent Desk closed. */
export type WaitingOutcome = 'reopened' | 'cancelled' | 'ended';

/**
 * Approvals that waited for the person when Consent Desk last closed (or
 * crashed): Home says so and offers the wallet's page again (the same grant)
 * or to cancel it at the wallet. Read once at start.
 */
export class WaitingApprovals {
  #backend: Backend;
  #list = $state<GrantView[]>([]);
  #outcome = $state<Record<string, WaitingOutcome>>({});
  #busy = $state<string | null>(null);
  #error = $state<{ id: string; error: UiError } | null>(null);

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  /** Those still to be dealt with, or just reopened (shown until their approval ends). */
  get list(): GrantView[] {
    return this.#list.filter((grant) => this.#outcome[grant.id] !== 'ended' && this.#outcome[grant.id] !== 'cancelled');
  }
  outcome(id: string): WaitingOutcome | null {
    return this.#outcome[id] ?? null;
  }
  /** The approval a command runs for. */
  get busy() {
    return this.#busy;
  }
  errorFor(id: string): UiError | null {
    return this.#error?.id === id ? this.#error.error : null;
  }

  /** Reads them; failing shows nothing (the approvals list below still has them). */
  async load(): Promise<void> {
    try {
      this.#list = await this.#backend.waitingApprovals();
    } catch {
      this.#list = [];
    }
  }

  /** "Open my wallet's page again": the same grant, in a window or the browser. */
  async reopen(id: string, inBrowser = false): Promise<boolean> {
    return this.#run(id, async () => {
      await this.#backend.reopenApproval(id, inBrowser);
      this.#outcome[id] = 'reopened';
    });
  }

  /** "Cancel it at the wallet". */
  async cancel(id: string): Promise<boolean> {
    return this.#run(id, async () => {
      await this.#backend.endGrant(id);
      this.#outcome[id] = 'cancelled';
    });
  }

  /** A reopened approval that ends (approved, rejected, cancelled) leaves the card. */
  receive(progress: FlowProgress) {
    const id = progress.grantId;
    if (!id || !this.#list.some((grant) => grant.id === id)) return;
    if (progress.step === 'done' || progress.step === 'failed' || progress.step === 'cancelled') {
      this.#outcome[id] = 'ended';
    }
  }

  async #run(id: string, work: () => Promise<void>): Promise<boolean> {
    if (this.#busy !== null) return false;
    this.#busy = id;
    this.#error = null;
    try {
      await work();
      return true;
    } catch (reason) {
      this.#error = { id, error: toUiError(reason) };
      return false;
    } finally {
      this.#busy = null;
    }
  }
}
