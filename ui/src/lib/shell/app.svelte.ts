import { defaultPayer } from '../approve/describe';
import { GrantFlow } from '../approve/flow.svelte';
import { ApproveForm } from '../approve/form.svelte';
import { NoticeSettingsState } from '../about/notices.svelte';
import { GrantsState } from '../grants/grants.svelte';
import { WaitingApprovals } from '../grants/waiting.svelte';
import type {
  About,
  AppStatus,
  Backend,
  FlowProgress,
  GrantForm,
  GrantView,
  ProfileView,
  ReceivedLink,
  UiError,
} from '../ipc';
import { toUiError } from '../ipc';
import { ActivityState } from '../activity/activity.svelte';
import { PayState } from '../pay/pay.svelte';
import { ConnectFlow } from '../profiles/connect.svelte';
import { ProfilesState } from '../profiles/profiles.svelte';

/**
 * The screens. `welcome` is what Home becomes while no profile is in use;
 * `connect` is the "Connect my wallet" steps; `approve` is "Approve a
 * payment", the form or, once sent, its progress.
 */
export type Screen = 'home' | 'welcome' | 'approve' | 'pay' | 'activity' | 'profiles' | 'connect' | 'about';

/** App-wide state: what the status bar, Home, Profiles and About show. */
export class AppState {
  #backend: Backend;
  /** Profiles, the one in use and the keyring. */
  readonly profiles: ProfilesState;
  /** The grants Home lists. */
  readonly grants: GrantsState;
  /** Approvals that waited when the app last closed. */
  readonly waiting: WaitingApprovals;
  /** The Pay screen: form, quote, payment. */
  readonly pay: PayState;
  /** The activity log screen. */
  readonly activity: ActivityState;
  /** The notification switches on the About screen. */
  readonly notices: NoticeSettingsState;
  #screen = $state<Exclude<Screen, 'welcome'>>('home');
  #connect = $state<ConnectFlow | null>(null);
  /** Where "Cancel" in the connect steps goes back to. */
  #connectOrigin: Exclude<Screen, 'welcome' | 'connect'> = 'home';
  #approve = $state<ApproveForm | null>(null);
  /** The profile the approve form was prefilled for. */
  #approveProfile: string | null = null;
  #flow = $state<GrantFlow | null>(null);
  #status = $state<AppStatus | null>(null);
  #about = $state<About | null>(null);
  #links = $state<ReceivedLink[]>([]);
  #error = $state<UiError | null>(null);
  #loading = $state(false);

  constructor(backend: Backend) {
    this.#backend = backend;
    this.profiles = new ProfilesState(backend);
    this.grants = new GrantsState(backend);
    this.waiting = new WaitingApprovals(backend);
    this.pay = new PayState(backend);
    this.activity = new ActivityState(backend);
    this.notices = new NoticeSettingsState(backend);
  }

  /** The screen to show. Home is the welcome screen whenever no profile is in use. */
  get screen(): Screen {
    if (this.#screen === 'home' && this.profiles.loaded && this.profiles.activeId === null) return 'welcome';
    return this.#screen;
  }
  /** The connect steps while they are open. */
  get connect() {
    return this.#connect;
  }
  /** The "Approve a payment" form, once opened. */
  get approve() {
    return this.#approve;
  }
  /** The approval in progress (or just ended) after "Ask my wallet". */
  get flow() {
    return this.#flow;
  }
  get status() {
    return this.#status;
  }
  get about() {
    return this.#about;
  }
  /** Newest first. */
  get links() {
    return [...this.#links].reverse();
  }
  get error() {
    return this.#error;
  }
  get loading() {
    return this.#loading;
  }

  /**
   * Loads the status, the grants and the links that arrived before the UI
   * was ready, then follows new links and approval progress.
   */
  async start(): Promise<() => void> {
    const stopLinks = await this.#backend.onLinkReceived((link) => {
      // A link comes twice: when it arrives, and once it is known what became of it.
      const known = this.#links.findIndex((seen) => seen.url === link.url && seen.receivedAt === link.receivedAt);
      if (known === -1) this.#links.push(link);
      else this.#links[known] = link;
    });
    const stopProgress = await this.#backend.onFlowProgress((progress) => this.#progress(progress));
    const stopPayments = await this.#backend.onPaymentProgress((progress) => this.pay.receive(progress));
    const unsubscribe = () => {
      stopLinks();
      stopProgress();
      stopPayments();
    };
    await Promise.all([
      this.#run(async () => {
        const [status, links] = await Promise.all([this.#backend.appStatus(), this.#backend.receivedLinks()]);
        this.#status = status;
        // Links may have arrived through the subscription while we waited.
        const seen = new Set(this.#links.map((link) => link.url + link.receivedAt));
        this.#links = [...links.filter((link) => !seen.has(link.url + link.receivedAt)), ...this.#links];
      }),
      // Its failure shows on Home's profile card, with a retry.
      this.profiles.load(),
      // Its failure shows in Home's list of grants, with a retry.
      this.grants.load(),
      // Approvals a restart left waiting: Home says so (nothing shown if unreadable).
      this.waiting.load(),
    ]);
    return unsubscribe;
  }

  /** Goes to a screen; leaving the connect steps stops their checks, leaving an approval stops its clock. */
  async show(screen: Screen) {
    if (screen === 'connect') {
      await this.openConnect();
      return;
    }
    if (screen === 'approve') {
      await this.openApprove();
      return;
    }
    this.#closeConnect();
    this.#leaveApprove();
    this.profiles.dismissError();
    this.#screen = screen === 'welcome' ? 'home' : screen;
    if (screen === 'about') await Promise.all([this.refreshAbout(), this.notices.load()]);
    if (screen === 'profiles' && !this.profiles.loaded) await this.profiles.load();
    // Details opened earlier would be stale: Home starts with all closed.
    if (screen === 'home') this.grants.close();
    if (screen === 'activity') await this.activity.load();
    if (screen === 'pay') {
      if (!this.profiles.loaded) await this.profiles.load();
      if (!this.pay.from) this.pay.from = defaultPayer(this.profiles.active);
      await this.pay.loadRecent();
    }
  }

  /**
   * Opens "Approve a payment": the approval still running, or the form (kept
   * while the same profile is in use, prefilled for it otherwise) with a
   * fresh preview.
   */
  async openApprove() {
    this.#closeConnect();
    this.profiles.dismissError();
    this.#screen = 'approve';
    if (!this.profiles.loaded) await this.profiles.load();
    const flow = this.#flow;
    if (flow && !flow.ended) {
      flow.startClock();
      return;
    }
    this.#dropFlow();
    const profileId = this.profiles.activeId;
    if (!this.#approve || this.#approveProfile !== profileId) {
      this.#approve?.pause();
      this.#approve = new ApproveForm(this.#backend, defaultPayer(this.profiles.active));
      this.#approveProfile = profileId;
    }
    await this.#approve.refresh();
  }

  /**
   * "Set up a budget" on Home: the approve form with a limit that renews
   * every month (the approval still running, if one is).
   */
  async setUpBudget() {
    await this.openApprove();
    if (this.#flow && !this.#flow.ended) return;
    if (this.#approve && this.#approve.repeat === 'once') this.#approve.repeat = 'month';
  }

  /** "Ask my wallet": sends the form as previewed and follows the approval. */
  async submitApprove(): Promise<boolean> {
    const form = this.#approve;
    const preview = form?.preview;
    if (!form || !preview || !form.canSubmit || (this.#flow && !this.#flow.ended)) return false;
    const submission = form.submission;
    // The passphrase goes once, with the request; it is not kept here.
    form.passphrase = '';
    await this.#startFlow(submission, preview.summary, preview.walletName);
    // A key opened with a passphrase stays open: the form stops asking.
    if (submission.passphrase !== undefined) void this.profiles.load();
    return true;
  }

  /** "Retry" after a network failure: the same request again. */
  async retryApprove(): Promise<boolean> {
    const flow = this.#flow;
    if (!flow?.canRetry) return false;
    await this.#startFlow(flow.form, flow.summary, flow.walletName);
    return true;
  }

  /** "Approve another" (or back to the form after a failure), the form as it was. */
  async approveAgain() {
    if (this.#flow && !this.#flow.ended) return;
    this.#dropFlow();
    await this.openApprove();
  }

  /** Opens "Connect my wallet" at its first step; "Cancel" comes back to the current screen. */
  async openConnect() {
    this.#leaveApprove();
    this.#startConnect(undefined);
    if (!this.profiles.loaded) await this.profiles.load();
  }

  /** Opens the register step for a saved profile whose key may not be in its wallet yet. */
  resumeConnect(profileId: string) {
    const profile = this.profiles.byId(profileId);
    if (!profile) return;
    this.#leaveApprove();
    this.#startConnect(profile).startPolling();
  }

  /** "See it in your approvals": Home, that approval open with what it spent. */
  async showGrant(id: string) {
    await this.show('home');
    if (this.grants.openId !== id) await this.grants.open(id);
  }

  /** "Pay with this grant": the Pay form for the grant's wallet, that grant chosen. */
  async payWith(grant: GrantView) {
    this.pay.reset();
    this.pay.from = grant.wallet;
    this.pay.useGrant = grant.id;
    await this.show('pay');
  }

  /** "Cancel" (back where the person came from) or "Finish later" (to Profiles). */
  async leaveConnect(to?: 'profiles') {
    await this.show(to ?? this.#connectOrigin);
  }

  /** "Use this profile" once the key is registered: it becomes the one in use, then Home. */
  async finishConnect() {
    if (await this.#connect?.finish()) await this.show('home');
  }

  /** Sandbox from the welcome screen: one click to Home. */
  async useSandbox() {
    if (await this.profiles.use('sandbox')) await this.show('home');
  }

  async refreshStatus() {
    await this.#run(async () => {
      this.#status = await this.#backend.appStatus();
    });
  }

  async refreshAbout() {
    await this.#run(async () => {
      this.#about = await this.#backend.about();
    });
  }

  #startConnect(saved: ProfileView | undefined) {
    const from = this.#screen;
    this.#closeConnect();
    if (from !== 'connect') this.#connectOrigin = from;
    const flow = new ConnectFlow(this.#backend, this.profiles, saved);
    this.#connect = flow;
    this.#screen = 'connect';
    return flow;
  }

  async #startFlow(request: GrantForm, summary: string, walletName: string | null) {
    this.#dropFlow();
    const flow = new GrantFlow(this.#backend, request, summary, () => void this.grants.load(), walletName);
    this.#flow = flow;
    await flow.start();
  }

  #progress(progress: FlowProgress) {
    this.#flow?.receive(progress);
    this.grants.receive(progress);
    this.waiting.receive(progress);
    this.profiles.receive(progress);
  }

  /** Off the approve screen: no scheduled previews, no ticking clock (the approval itself goes on). */
  #leaveApprove() {
    this.#approve?.pause();
    this.#flow?.stopClock();
  }

  #dropFlow() {
    this.#flow?.dispose();
    this.#flow = null;
  }

  #closeConnect() {
    this.#connect?.dispose();
    this.#connect = null;
  }

  dismissError() {
    this.#error = null;
  }

  async #run(work: () => Promise<void>) {
    this.#loading = true;
    try {
      await work();
      this.#error = null;
    } catch (reason) {
      this.#error = toUiError(reason);
    } finally {
      this.#loading = false;
    }
  }
}
