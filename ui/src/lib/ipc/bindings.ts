// Generated from src-tauri/src/ipc.rs by `npm run bindings`. Do not edit.

/**
 * What the main window shows first: who we are and whether we are ready.
 */
export type AppStatus = { 
/**
 * "Consent Desk".
 */
productName: string, 
/**
 * The app's semantic version.
 */
version: string, 
/**
 * One sentence about the app's readiness, for the status bar.
 */
status: StatusLine, };

/**
 * A sentence for the status bar and how it should be shown.
 */
export type StatusLine = { 
/**
 * How worried the person should be.
 */
tone: Tone, 
/**
 * The sentence itself.
 */
text: string, };

/**
 * The mood of a status line.
 */
export type Tone = "ok" | "warning";

/**
 * The About screen: what is running and where it keeps its files.
 */
export type About = { 
/**
 * "Consent Desk".
 */
productName: string, 
/**
 * The app's semantic version.
 */
version: string, 
/**
 * The git commit the binary was built from, or "unknown".
 */
commit: string, 
/**
 * The app identifier; also the name of its data folders.
 */
identifier: string, 
/**
 * The Tauri runtime version.
 */
tauriVersion: string, 
/**
 * The system webview's version (WebKitGTK on Linux).
 */
webviewVersion: string, 
/**
 * Where grants and activity are stored.
 */
dataDir: string, 
/**
 * Where profiles are stored.
 */
configDir: string, 
/**
 * The log folder.
 */
logDir: string, 
/**
 * Today's log file (empty until the first line is written).
 */
logFile: string, 
/**
 * The URI scheme wallets redirect to, e.g. `dev.consentdesk`.
 */
linkScheme: string, 
/**
 * The built-in sandbox wallet: where it listens, or why it does not.
 */
sandbox: SandboxStatus, 
/**
 * Certificate authority files profiles trust besides the built-in
 * roots, each once; empty when none.
 */
extraCas: Array<string>, };

/**
 * The built-in sandbox wallet's state.
 */
export type SandboxStatus = { "state": "running", 
/**
 * `http://127.0.0.1:<port>/`; wallet addresses are below it
 * (`…/alice`).
 */
url: string, } | { "state": "stopped", 
/**
 * Why, in a sentence.
 */
problem: string, };

/**
 * Which notifications the person wants: each on until switched off.
 */
export type NoticeSettings = { 
/**
 * "A budget is 80 % spent".
 */
budgetMostlySpent: boolean, 
/**
 * "A budget ends within a day".
 */
grantEnding: boolean, 
/**
 * "A payment taken up after a restart has settled".
 */
resumedPaymentSettled: boolean, };

/**
 * Profiles: who the app signs as, and whether keys can go to the keyring.
 */
export type ProfilesView = { 
/**
 * The profile in use; `null` until the person chooses (first run).
 */
active: string | null, 
/**
 * All profiles, the sandbox first.
 */
profiles: Array<ProfileView>, 
/**
 * Whether new keys can be kept in the system keyring.
 */
keyring: KeyringStatus, };

/**
 * One profile, without any secret.
 */
export type ProfileView = { 
/**
 * Stable id.
 */
id: string, 
/**
 * What the person called it.
 */
name: string, 
/**
 * The client wallet address.
 */
walletAddress: string, 
/**
 * The key id in the wallet's `jwks.json`.
 */
keyId: string, 
/**
 * The public JWK as JSON text, ready to copy into the wallet.
 */
publicJwk: string, 
/**
 * Where the private key is kept.
 */
keyStore: KeyStoreKind, 
/**
 * The built-in sandbox profile.
 */
sandbox: boolean, 
/**
 * Plain http to this machine allowed.
 */
allowHttpLoopback: boolean, 
/**
 * The wallet sends the person back to a loopback address on this
 * machine instead of the app's link (for wallets that refuse custom
 * schemes).
 */
loopbackFinish: boolean, 
/**
 * How grant requests name this app: the deprecated string form every
 * deployed server accepts, or `{"walletAddress": …}` (Open Payments 1.3).
 */
clientForm: ClientFormChoice, 
/**
 * A certificate authority's certificate (PEM file) trusted for this
 * profile besides the built-in roots (`profile add --ca-cert`).
 */
caCert: string | null, 
/**
 * A key in a passphrase file opened in this run: no passphrase needed
 * until the app closes.
 */
unlocked: boolean, };

/**
 * Where a private key is kept.
 */
export type KeyStoreKind = "keyring" | "encryptedFile" | "memory";

/**
 * The form of `client` in a profile's grant requests.
 */
export type ClientFormChoice = "string" | "object";

/**
 * Whether the system keyring can hold keys.
 */
export type KeyringStatus = { "state": "available" } | { "state": "unavailable", 
/**
 * Why, in a sentence.
 */
problem: string, };

/**
 * A wallet address looked up before it becomes a profile.
 */
export type WalletPreviewView = { 
/**
 * The wallet address as the wallet names it.
 */
url: string, 
/**
 * Its public name.
 */
publicName: string, 
/**
 * e.g. "USD".
 */
assetCode: string, 
/**
 * e.g. 2.
 */
assetScale: number, 
/**
 * Its authorization server.
 */
authServer: string, };

/**
 * A profile to add, from the "Connect my wallet" steps. `Debug` hides the
 * key and the passphrase.
 */
export type AddProfileRequest = { 
/**
 * What to call it.
 */
name: string, 
/**
 * The wallet address (as looked up).
 */
walletAddress: string, 
/**
 * The key id; a new one when absent.
 */
keyId: string | null, 
/**
 * A private key to import (PEM, base64 PEM); a new key when absent.
 */
importKey: string | null, 
/**
 * Keep the key in a passphrase-protected file with this passphrase
 * instead of the system keyring.
 */
passphrase: string | null, 
/**
 * Plain http to this machine allowed.
 */
allowHttpLoopback: boolean, };

/**
 * Whether a profile's key is published in its wallet.
 */
export type RegistrationView = { 
/**
 * `registered`, `kidMissing` or `differentKey`.
 */
state: RegistrationState, 
/**
 * One sentence saying what is so and what to do.
 */
message: string, };

/**
 * The registration states.
 */
export type RegistrationState = "registered" | "kidMissing" | "differentKey";

/**
 * The grant request form. `Debug` hides the passphrase.
 */
export type GrantForm = { 
/**
 * The sending wallet address (the person's own wallet).
 */
wallet: string, 
/**
 * What the amount limits.
 */
limit: AmountLimit, 
/**
 * The amount in the wallet's major unit, as typed ("13.20").
 */
amount: string | null, 
/**
 * The only incoming payment the grant may pay.
 */
receiver: string | null, 
/**
 * An ISO 8601 repeating interval, e.g. `R/2025-04-22T00:00:00Z/P1D`.
 */
interval: string | null, 
/**
 * What the client may do; the usual set when empty.
 */
actions: Array<GrantAction>, 
/**
 * Where the person approves (this app's window unless said otherwise).
 */
approveIn?: ApproveIn, 
/**
 * The passphrase of a profile whose key is in a protected file (needed
 * once per run).
 */
passphrase?: string, };

/**
 * Which amount a grant limits.
 */
export type AmountLimit = "none" | "debit" | "receive";

/**
 * Outgoing-payment actions.
 */
export type GrantAction = "create" | "read" | "readAll" | "list" | "listAll";

/**
 * Where the person approves.
 */
export type ApproveIn = "window" | "browser";

/**
 * What a form would send, before sending it.
 */
export type GrantPreview = { 
/**
 * The sending wallet's public name, or its address.
 */
walletName: string, 
/**
 * e.g. "USD".
 */
assetCode: string, 
/**
 * e.g. 2.
 */
assetScale: number, 
/**
 * The limit in words: "Up to $13.20 every day from 22 Apr 2025".
 */
summary: string, 
/**
 * The exact grant request body, pretty-printed.
 */
requestJson: string, };

/**
 * A grant, without any token.
 */
export type GrantView = { 
/**
 * Its id (also in its finish link).
 */
id: string, 
/**
 * Where it is.
 */
state: GrantStateView, 
/**
 * The sending wallet address.
 */
wallet: string, 
/**
 * The limit in words.
 */
summary: string, 
/**
 * The wallet's consent page, while the grant waits (to open it again).
 */
consentUrl: string | null, 
/**
 * What was granted (JSON), once approved.
 */
accessJson: string | null, 
/**
 * When the access token expires (RFC 3339).
 */
expiresAt: string | null, 
/**
 * Why it did not succeed, in words.
 */
problem: string | null, 
/**
 * RFC 3339.
 */
createdAt: string, };

/**
 * Where a grant is.
 */
export type GrantStateView = "pending" | "finishing" | "approved" | "failed" | "rejected" | "expired" | "cancelled" | "revoked";

/**
 * A step of a running approval, sent as an event.
 */
export type FlowProgress = { 
/**
 * The grant, once it has an id.
 */
grantId: string | null, 
/**
 * The step reached.
 */
step: FlowStep, 
/**
 * One sentence for the person.
 */
message: string, 
/**
 * For a failure: the technical line folded under "Details" (the
 * wallet's status and code, the host).
 */
details?: string, 
/**
 * The grant as it now is.
 */
grant: GrantView | null, 
/**
 * It waits in the person's browser, not in a Consent Desk window.
 */
inBrowser: boolean, };

/**
 * The steps of an approval.
 */
export type FlowStep = "requesting" | "waiting" | "verifying" | "continuing" | "done" | "failed" | "refused" | "cancelled";

/**
 * One grant with what it spent and the payments made with it.
 */
export type GrantDetail = { 
/**
 * The grant.
 */
grant: GrantView, 
/**
 * Its budget and what is used of it (this interval's, for a recurring
 * one), when the wallet could be asked.
 */
spent: SpentMeter | null, 
/**
 * Why the wallet could not say what was spent, in words.
 */
spentProblem: string | null, 
/**
 * The renewal in words ("every day from 25 Nov 2026"), if any.
 */
interval: string | null, 
/**
 * Payments made with it, newest first.
 */
payments: Array<PaymentView>, 
/**
 * For a budget that renews: what its payments used in each period,
 * newest first (up to twelve), as this app recorded them.
 */
history: Array<PeriodUse>, };

/**
 * Spent against a limit, for a bar.
 */
export type SpentMeter = { 
/**
 * What was spent ("$4.00"), debit or delivered as the limit counts.
 */
spent: string, 
/**
 * The limit ("$10.00"); none for a grant without an amount limit.
 */
limit: string | null, 
/**
 * Spent as a share of the limit, 0 to 100.
 */
percent: number | null, 
/**
 * Whether the limit counts what leaves (`debit`) or arrives.
 */
counts: AmountLimit, };

/**
 * What a renewing grant's payments used in one period.
 */
export type PeriodUse = { 
/**
 * When the period starts, in words ("25 Nov 2026").
 */
start: string, 
/**
 * RFC 3339.
 */
startsAt: string, 
/**
 * Used ("$3.00").
 */
spent: string, 
/**
 * Used as a share of the limit, 0 to 100.
 */
percent: number | null, };

/**
 * Which activity entries to list.
 */
export type ActivityQuery = { 
/**
 * Text found in the operation, the URL or the details.
 */
text: string, 
/**
 * Only failures: no answer, a status of 400 or more, refused finishes.
 */
failuresOnly: boolean, 
/**
 * Only requests, or only finish links; none for both.
 */
kind?: ActivityKindView, };

/**
 * Which kind of activity entry.
 */
export type ActivityKindView = "request" | "finish";

/**
 * One thing the app did: a request to a wallet, or a finish link checked.
 */
export type ActivityView = { 
/**
 * Grows with time.
 */
id: number, 
/**
 * RFC 3339, milliseconds.
 */
at: string, 
/**
 * `request` or `finish`.
 */
kind: string, 
/**
 * The OpenAPI operation, or `finish`.
 */
operation: string, 
/**
 * For a request.
 */
method: string | null, 
/**
 * The URL asked, or the finish link without its query.
 */
url: string | null, 
/**
 * The answer's status.
 */
status: number | null, 
/**
 * How long it took.
 */
durationMs: number | null, 
/**
 * Answered below 400, or a finish verified and completed.
 */
ok: boolean, 
/**
 * A request's `Signature-Input` (covered components, key id, time).
 */
signatureInput: string | null, 
/**
 * A token went with the request (its value is never kept).
 */
withToken: boolean, 
/**
 * Why a request got no answer, or how a finish ended.
 */
outcome: string | null, 
/**
 * For a finish: the grant it named.
 */
grant: string | null, 
/**
 * For a finish: whether its hash matched (none when it named no
 * waiting grant).
 */
hashVerified: boolean | null, 
/**
 * For a finish: the `hash` it carried.
 */
hash: string | null, 
/**
 * For a finish: the link as received, its `interact_ref` redacted, cut
 * at 4 KiB.
 */
link: string | null, 
/**
 * For a request: what was sent.
 */
request: HttpMessageView | null, 
/**
 * For a request that was answered: the answer.
 */
response: HttpMessageView | null, 
/**
 * For a signed request: what its signature covered.
 */
signature: SignatureView | null, };

/**
 * One side of an exchange: headers and body, secrets redacted.
 */
export type HttpMessageView = { 
/**
 * Name and value, in the order sent or received; a credential's value
 * reads `(redacted)`.
 */
headers: Array<HeaderView>, 
/**
 * The body (JSON indented), tokens, interaction references and private
 * keys redacted, cut at 16 KiB with "… (N bytes more)".
 */
body: string | null, };

/**
 * One header.
 */
export type HeaderView = { 
/**
 * Lower case, as HTTP/2 sends it.
 */
name: string, 
/**
 * Its value, or `(redacted)`.
 */
value: string, };

/**
 * What a request's signature covered (RFC 9421), read from its
 * `Signature-Input`.
 */
export type SignatureView = { 
/**
 * The signature's label (`sig1`).
 */
label: string, 
/**
 * The covered components, in order (`@method`, `@target-uri`,
 * `authorization`, `content-digest`, …).
 */
components: Array<string>, 
/**
 * The `keyid` parameter.
 */
keyid: string | null, 
/**
 * The `created` parameter, seconds since 1970.
 */
created: number | null, 
/**
 * The `alg` parameter, when sent.
 */
alg: string | null, };

/**
 * Where the activity log was written.
 */
export type ActivityExport = { 
/**
 * The file.
 */
path: string, 
/**
 * How many entries.
 */
entries: number, };

/**
 * The Pay screen's form.
 */
export type PayForm = { 
/**
 * The sending wallet address (the person's own).
 */
from: string, 
/**
 * A wallet address (`https://…` or `$…`), or an incoming payment URL a
 * merchant gave.
 */
to: string, 
/**
 * In the asset's normal unit ("12.50"); empty pays what an incoming
 * payment asks for.
 */
amount: string, 
/**
 * Whether `amount` is what leaves the wallet or what arrives.
 */
amountKind: PayAmountKind, 
/**
 * A note for the receiver.
 */
note: string, 
/**
 * The passphrase of a profile whose key is in a protected file.
 */
passphrase?: string, };

/**
 * Which amount the person gave.
 */
export type PayAmountKind = "send" | "receive";

/**
 * A payment, for the Pay screen and lists.
 */
export type PaymentView = { 
/**
 * Local id.
 */
id: string, 
/**
 * Where it is.
 */
state: PaymentStateView, 
/**
 * The sending wallet address.
 */
from: string, 
/**
 * The receiving wallet address, or the incoming payment it pays.
 */
to: string, 
/**
 * The receiver's public name, when its wallet gives one.
 */
toName: string | null, 
/**
 * What leaves the wallet, fees included ("$12.63").
 */
debit: string, 
/**
 * What the receiver gets ("€11.50").
 */
receive: string, 
/**
 * What the wallet keeps, in words ("$0.11", or that it is part of the
 * rate across currencies).
 */
fee: string, 
/**
 * The exchange rate in words, across currencies only.
 */
rate: string | null, 
/**
 * When the quote stops being valid (RFC 3339).
 */
quoteExpiresAt: string | null, 
/**
 * The quote's time has passed: a new one is needed before paying.
 */
quoteExpired: boolean, 
/**
 * What has been sent so far, once the payment exists.
 */
sent: string | null, 
/**
 * The note for the receiver.
 */
note: string | null, 
/**
 * Why it failed or stopped, in words.
 */
problem: string | null, 
/**
 * The grant that allows it, once asked for.
 */
grantId: string | null, 
/**
 * RFC 3339.
 */
createdAt: string, };

/**
 * Where a payment is.
 */
export type PaymentStateView = "quoted" | "authorizing" | "sending" | "sent" | "completed" | "failed" | "cancelled";

/**
 * A payment moved on (sent as an event).
 */
export type PaymentProgress = { 
/**
 * The payment as it now is.
 */
payment: PaymentView, 
/**
 * One sentence for the person.
 */
message: string, };

/**
 * A link that reached the app through the OS (a deep link).
 */
export type ReceivedLink = { 
/**
 * The URL as the OS delivered it, its `interact_ref` redacted.
 */
url: string, 
/**
 * What became of it, in one sentence; `None` while it is checked.
 */
said: string | null, 
/**
 * It was refused as not the wallet's answer for a waiting approval
 * (forged, for no approval, used already); a link that failed for a
 * reason that may pass (the wallet is down) is not.
 */
refused: boolean, 
/**
 * When it arrived, RFC 3339 in UTC.
 */
receivedAt: string, 
/**
 * How it arrived.
 */
arrival: Arrival, };

/**
 * How a link reached the app.
 */
export type Arrival = "launch" | "forwarded";

/**
 * What a failed command tells the UI: a stable code to branch on, a
 * sentence for the person, and a technical line folded under "Details".
 */
export type IpcError = { 
/**
 * Stable machine-readable code.
 */
code: ErrorCode, 
/**
 * The finer code: which problem exactly (`wallet_unavailable`, …).
 */
problem: ProblemCode, 
/**
 * One sentence saying what happened and what to do.
 */
message: string, 
/**
 * The server's status, code and description, the host, what a parser
 * said: for a bug report, not for the sentence.
 */
details: string | null, };

/**
 * Codes the UI branches on. Add one only when the UI needs it.
 */
export type ErrorCode = "storage" | "wallet" | "keyring" | "passphrase" | "profile" | "key" | "grant" | "network";

/**
 * The finer code of a [`Problem`], stable and snake_case: what the UI
 * branches on beyond [`ErrorCode`].
 */
export type ProblemCode = "wallet_unreachable" | "wallet_slow" | "wallet_unavailable" | "wallet_refused" | "wallet_answered" | "wallet_unreadable" | "answer_too_large" | "untrusted_certificate" | "unsupported_interaction" | "not_https" | "not_an_address" | "not_a_wallet" | "no_public_name" | "token_rejected" | "budget_spent" | "over_limit" | "refused_unexplained" | "unknown_finish" | "already_used" | "finish_refused" | "failure_unconfirmed" | "quote_expired" | "may_have_been_paid" | "needs_passphrase" | "wrong_passphrase" | "weak_passphrase" | "keyring" | "key" | "profile" | "storage" | "busy" | "missing" | "not_now" | "wallet_fault" | "no_profile" | "invalid" | "amount" | "interval";

/** Event carrying a {@link ReceivedLink}. */
export const LINK_RECEIVED = "links://received";

/** Event carrying a {@link FlowProgress}. */
export const FLOW_PROGRESS = "flow://progress";

/** Event carrying a {@link PaymentProgress}. */
export const PAYMENT_PROGRESS = "payment://progress";
