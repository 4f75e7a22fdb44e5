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
 * Where the log file is written.
 */
logFile: string, 
/**
 * The URI scheme wallets redirect to, e.g. `dev.consentdesk`.
 */
linkScheme: string, 
/**
 * The built-in sandbox wallet: where it listens, or why it does not.
 */
sandbox: SandboxStatus, };

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
 * A link that reached the app through the OS (a deep link).
 */
export type ReceivedLink = { 
/**
 * The full URL as the OS delivered it.
 */
url: string, 
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
 * What a failed command tells the UI: a stable code to branch on and a
 * sentence for the person.
 */
export type IpcError = { 
/**
 * Stable machine-readable code.
 */
code: ErrorCode, 
/**
 * One sentence saying what happened and what to do.
 */
message: string, };

/**
 * Codes the UI branches on. Add one only when the UI needs it.
 */
export type ErrorCode = "storage";

/** Event carrying a {@link ReceivedLink}. */
export const LINK_RECEIVED = "links://received";
