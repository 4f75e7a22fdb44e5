// Generated from src-tauri/src/ipc.rs by `npm run bindings`. Do not edit.

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

export type StatusLine = { 
/**
 * How worried the person should be.
 */
tone: Tone, 
/**
 * The sentence itself.
 */
text: string, };

export type Tone = "ok" | "warning";

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
linkScheme: string, };

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

export type Arrival = "launch" | "forwarded";

export type IpcError = { 
/**
 * Stable machine-readable code.
 */
code: ErrorCode, 
/**
 * One sentence saying what happened and what to do.
 */
message: string, };

export type ErrorCode = "storage";

export const LINK_RECEIVED = "links://received";
