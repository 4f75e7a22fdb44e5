import type {
  About,
  NoticeSettings,
  AddProfileRequest,
  AppStatus,
  ClientFormChoice,
  FlowProgress,
  GrantForm,
  GrantPreview,
  GrantView,
  ProfilesView,
  ProfileView,
  ReceivedLink,
  RegistrationView,
  WalletPreviewView,
  ApproveIn,
  PayForm,
  PaymentProgress,
  PaymentView,
  GrantDetail,
  ActivityExport,
  ActivityQuery,
  ActivityView,
} from './bindings';

/**
 * Everything the UI asks of the Rust core. Components take a `Backend`, so
 * they run in vitest against a mock and in the app against Tauri.
 */
export interface Backend {
  /** Name, version and the one-line status for the status bar. */
  appStatus(): Promise<AppStatus>;
  /** Versions and folders for the About screen. */
  about(): Promise<About>;
  /** Which desktop notifications are on. */
  noticeSettings(): Promise<NoticeSettings>;
  /** Switches desktop notifications on or off; what is now kept. */
  setNoticeSettings(settings: NoticeSettings): Promise<NoticeSettings>;
  /** The activity log, newest first: `limit` entries from `offset`, filtered. */
  activity(query: ActivityQuery, limit: number, offset: number): Promise<ActivityView[]>;
  /**
   * Writes exactly the entries `query` selects to a file for a bug report: the one the person
   * chooses in the system's save dialog, or `path` (tests and QA). `null` when the dialog was cancelled.
   */
  exportActivity(query: ActivityQuery, path?: string): Promise<ActivityExport | null>;
  /** Links received through the OS since the app started, oldest first. */
  receivedLinks(): Promise<ReceivedLink[]>;
  /** Calls `handler` for each link that arrives from now on; returns an unsubscribe function. */
  onLinkReceived(handler: (link: ReceivedLink) => void): Promise<() => void>;

  /** All profiles, the one in use (`null` on first run) and whether the keyring works. */
  profiles(): Promise<ProfilesView>;
  /** Makes a profile the one in use; answers with the updated list. */
  useProfile(id: string): Promise<ProfilesView>;
  /** Whether the wallet returns the person to a loopback address (for wallets that refuse app links); answers with the updated list. */
  setLoopbackFinish(id: string, on: boolean): Promise<ProfilesView>;
  /** How grant requests name this app: the deprecated string every server accepts, or `{"walletAddress": …}`; answers with the updated list. */
  setClientForm(id: string, form: ClientFormChoice): Promise<ProfilesView>;
  /** Removes a profile and deletes its private key; answers with the updated list. */
  removeProfile(id: string): Promise<ProfilesView>;
  /** Looks a wallet address up (`https://…` or `$…`) before it becomes a profile. */
  previewWallet(url: string, allowHttpLoopback: boolean): Promise<WalletPreviewView>;
  /** Adds a profile with a new or imported key. It does not become the one in use. */
  addProfile(request: AddProfileRequest): Promise<ProfileView>;
  /** Whether the profile's public key is listed in its wallet's `jwks.json`. */
  checkRegistration(id: string): Promise<RegistrationView>;

  /** What a grant request would send and its limit in words; refuses a form the wallet would refuse. */
  previewGrant(form: GrantForm): Promise<GrantPreview>;
  /**
   * Asks the wallet for the grant; the core then opens the wallet's consent
   * page in a window of its own. Answers with the pending grant; what happens
   * next arrives through {@link Backend.onFlowProgress}.
   */
  requestGrant(form: GrantForm): Promise<GrantView>;
  /**
   * "Prove I own this wallet address" for the profile in use: the wallet's
   * consent page opens like a grant's; the outcome arrives through
   * {@link Backend.onFlowProgress} ("Proved: you own …" when done).
   */
  proveOwnership(passphrase: string | null): Promise<GrantView>;
  /** Cancels a grant that waits for approval (its window closes); a `cancelled` progress event follows. */
  cancelGrant(id: string): Promise<null>;
  /** Grants, newest first: `limit` of them from `offset`. */
  grants(limit: number, offset: number): Promise<GrantView[]>;
  /** A grant with what it spent (asked of the wallet) and the payments made with it. */
  grantDetail(id: string): Promise<GrantDetail>;
  /** A new access token for the grant; the old one stops working. */
  rotateGrant(id: string): Promise<GrantView>;
  /** Revokes the grant's token at the wallet: nothing more can be paid with it. */
  revokeGrant(id: string): Promise<GrantView>;
  /** Cancels the grant at the wallet. */
  endGrant(id: string): Promise<GrantView>;
  /** Approvals that waited for the person when the app last closed (still pending, asked for by an earlier run). */
  waitingApprovals(): Promise<GrantView[]>;
  /** Opens the wallet's page again for one of those: the same grant, in the consent window or the browser. */
  reopenApproval(id: string, inBrowser: boolean): Promise<GrantView>;
  /** "Open in my browser instead" while an approval waits in its window: the page in the browser, the window hidden without cancelling. */
  continueInBrowser(id: string): Promise<GrantView>;
  /** Calls `handler` for each step of any running approval; returns an unsubscribe function. */
  onFlowProgress(handler: (progress: FlowProgress) => void): Promise<() => void>;

  /** Creates the incoming payment and the quote; nothing is paid until confirmed. */
  quotePayment(form: PayForm): Promise<PaymentView>;
  /** The person confirmed the quote: asks the wallet for the grant (its consent page opens). */
  confirmPayment(id: string, approveIn: ApproveIn): Promise<PaymentView>;
  /** Pays a quoted payment with a grant approved earlier: no new consent. */
  payWithGrant(id: string, grantId: string): Promise<PaymentView>;
  /** Approved grants that can pay this quoted payment (create and read allowed, budget left). */
  paymentGrants(id: string): Promise<GrantView[]>;
  /** A new quote for a payment whose quote expired. */
  requotePayment(id: string): Promise<PaymentView>;
  /** Looks at a sent payment again (or resumes an interrupted one). */
  checkPayment(id: string): Promise<PaymentView>;
  /** Stops a payment that was not sent. */
  cancelPayment(id: string): Promise<PaymentView>;
  /** Payments, newest first, `limit` from `offset`. */
  payments(limit: number, offset: number): Promise<PaymentView[]>;
  /** Calls `handler` each time a payment moves on; returns an unsubscribe function. */
  onPaymentProgress(handler: (progress: PaymentProgress) => void): Promise<() => void>;
}
