#!/usr/bin/env node
// A payment approved in Consent Desk, driven over plain W3C WebDriver (HTTP
// and JSON, Node's global fetch, no dependencies) through tauri-driver:
// first run → the sandbox wallet → Pay alice → bob → the quote → approve →
// Approve on the wallet's page in the consent window → paid.
//
// It expects a running tauri-driver; `run.sh` starts one in a throwaway
// desktop session and sets the variables below.
//   WEBDRIVER_URL     tauri-driver's address (default http://127.0.0.1:4444)
//   CONSENT_DESK_BIN  the app to start (default /usr/bin/consent-desk)
//   QA_EXAMPLE_OUT    where the screenshots go (default: a new temp folder)

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DRIVER = (process.env.WEBDRIVER_URL ?? 'http://127.0.0.1:4444').replace(/\/$/, '');
const BIN = process.env.CONSENT_DESK_BIN || '/usr/bin/consent-desk';
const OUT = process.env.QA_EXAMPLE_OUT || mkdtempSync(join(tmpdir(), 'consent-desk-qa-'));
const AMOUNT = '1.50';
const NOTE = 'QA example';

// How long a person would wait for each thing.
const UI_TIMEOUT_MS = 20_000;
const APP_START_TIMEOUT_MS = 60_000;
const SETTLE_TIMEOUT_MS = 60_000;
const POLL_MS = 100;

// The W3C name of an element reference in WebDriver answers.
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

let started = 0;
function step(text) {
  const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(5);
  console.log(`[${seconds} s] ${text}`);
}

/** A failed WebDriver command: what was being done and what the driver said. */
class DriverError extends Error {
  constructor(doing, status, value) {
    const detail = value?.message ? `${value.error}: ${value.message}` : JSON.stringify(value);
    super(`${doing}: WebDriver answered ${status} (${detail})`);
    this.code = value?.error;
  }
}

/** One WebDriver command; returns its `value` or throws a DriverError. */
async function command(method, path, body, { doing, timeoutMs = UI_TIMEOUT_MS } = {}) {
  let response;
  try {
    response = await fetch(`${DRIVER}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new Error(`${doing ?? `${method} ${path}`}: tauri-driver at ${DRIVER} did not answer (${error.cause?.message ?? error.message})`);
  }
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${doing ?? `${method} ${path}`}: not JSON from tauri-driver (${response.status}): ${text.slice(0, 200)}`);
  }
  if (!response.ok) throw new DriverError(doing ?? `${method} ${path}`, response.status, json.value);
  return json.value;
}

/**
 * Polls `probe` until it returns something other than undefined, or fails
 * after `timeoutMs`; `what` (text, or a function giving it) names the wait.
 */
async function waitFor(what, probe, timeoutMs = UI_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      // Not there yet, or re-rendered between finding and reading it.
      if (!['no such element', 'stale element reference'].includes(error.code)) throw error;
      last = error;
    }
    if (Date.now() > deadline) {
      const banner = await session?.errorBanner();
      const seen = banner ? ` The app showed: "${banner}".` : '';
      const named = typeof what === 'function' ? what() : what;
      throw new Error(`waited ${timeoutMs / 1000} s for ${named}, in vain.${seen}${last ? ` (${last.message})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

const byTestId = (testid) => ({ using: 'css selector', value: `[data-testid="${testid}"]` });

class Session {
  constructor(id) {
    this.id = id;
    this.base = `/session/${id}`;
  }

  static async start() {
    const value = await command(
      'POST',
      '/session',
      { capabilities: { alwaysMatch: { browserName: 'wry', 'tauri:options': { application: BIN } } } },
      { doing: `starting ${BIN}`, timeoutMs: APP_START_TIMEOUT_MS },
    );
    return new Session(value.sessionId);
  }

  run(method, path, body, doing) {
    return command(method, `${this.base}${path}`, body, { doing });
  }

  /** The element now matching `testid` (throws `no such element`). */
  async element(testid) {
    const found = await this.run('POST', '/element', byTestId(testid), `finding ${testid}`);
    if (!found?.[ELEMENT]) throw new Error(`finding ${testid}: the driver answered no element reference: ${JSON.stringify(found)}`);
    return found[ELEMENT];
  }

  /** Waits until `testid` is on the page. */
  find(testid, timeoutMs) {
    return waitFor(`[data-testid="${testid}"]`, () => this.element(testid), timeoutMs);
  }

  async text(testid) {
    const element = await this.find(testid);
    return this.run('GET', `/element/${element}/text`, undefined, `reading ${testid}`);
  }

  async property(testid, name) {
    const element = await this.find(testid);
    return this.run('GET', `/element/${element}/property/${name}`, undefined, `reading ${name} of ${testid}`);
  }

  async attribute(testid, name) {
    const element = await this.element(testid);
    return this.run('GET', `/element/${element}/attribute/${name}`, undefined, `reading ${name} of ${testid}`);
  }

  /** Waits until `testid`'s attribute `name` passes `check`; returns it. */
  waitForAttribute(testid, name, check, timeoutMs) {
    let last = null;
    return waitFor(
      () => `${testid}'s ${name} to become as expected (last seen: ${JSON.stringify(last)})`,
      async () => {
        last = await this.attribute(testid, name);
        return check(last) ? last : undefined;
      },
      timeoutMs,
    );
  }

  /** Clicks `testid` once present and enabled, scrolled into view first (WebKit refuses covered controls). */
  async click(testid) {
    const element = await waitFor(`${testid} to be enabled`, async () => {
      const element = await this.element(testid);
      const enabled = await this.run('GET', `/element/${element}/enabled`, undefined, `checking ${testid}`);
      return enabled ? element : undefined;
    });
    await this.run(
      'POST',
      '/execute/sync',
      { script: "arguments[0].scrollIntoView({block: 'center'});", args: [{ [ELEMENT]: element }] },
      `scrolling to ${testid}`,
    );
    await this.run('POST', `/element/${element}/click`, {}, `clicking ${testid}`);
  }

  /** Replaces an input's value by typing, as a person would. */
  async type(testid, text) {
    const element = await this.find(testid);
    await this.run('POST', `/element/${element}/clear`, {}, `clearing ${testid}`);
    await this.run('POST', `/element/${element}/value`, { text }, `typing into ${testid}`);
  }

  windows() {
    return this.run('GET', '/window/handles', undefined, 'listing windows');
  }

  window() {
    return this.run('GET', '/window', undefined, 'reading the window handle');
  }

  switchTo(handle) {
    return this.run('POST', '/window', { handle }, 'switching windows');
  }

  /**
   * The consent windows showing a wallet's page. Consent Desk keeps a consent
   * window between approvals, hidden on a blank page, and WebDriver still lists
   * it: a window counts only when it is visible and not blank.
   */
  async consentWindows(mainWindow) {
    const current = await this.window();
    const showing = [];
    for (const handle of await this.windows()) {
      if (handle === mainWindow) continue;
      try {
        await this.switchTo(handle);
        const [href, visibility] = await this.run(
          'POST',
          '/execute/sync',
          { script: 'return [location.href, document.visibilityState];', args: [] },
          'reading a window',
        );
        if (href !== 'about:blank' && visibility !== 'hidden') showing.push(handle);
      } catch {
        // The window went between listing and reading it: not showing.
      }
    }
    await this.switchTo(current).catch(() => {});
    return showing;
  }

  /** Waits for a consent window to show the wallet's page and switches to it. */
  async switchToConsentWindow(mainWindow) {
    const handle = await waitFor('the consent window to open', async () => (await this.consentWindows(mainWindow))[0]);
    await this.switchTo(handle);
    return handle;
  }

  /** Saves a PNG of the current window after two painted frames (the driver shows the last painted one). */
  async screenshot(name) {
    await this.run(
      'POST',
      '/execute/async',
      { script: 'const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done()));', args: [] },
      'waiting for a painted frame',
    );
    const png = await this.run('GET', '/screenshot', undefined, 'taking a screenshot');
    const path = join(OUT, `${name}.png`);
    writeFileSync(path, Buffer.from(png, 'base64'));
    return path;
  }

  /** The app's error banner text, if it shows one now (for failure messages). */
  async errorBanner() {
    try {
      const banner = await this.element('error-banner');
      return (await this.run('GET', `/element/${banner}/text`, undefined, 'reading the error banner')) || null;
    } catch {
      return null;
    }
  }

  async end() {
    await command('DELETE', this.base, undefined, { doing: 'ending the session (closes the app)' });
  }
}

let session = null;

async function main() {
  started = Date.now();
  step(`starting ${BIN} through tauri-driver at ${DRIVER}`);
  session = await Session.start();
  const mainWindow = await session.window();

  step('first run: choosing the sandbox wallet');
  await session.find('welcome', APP_START_TIMEOUT_MS);
  await session.click('welcome-sandbox');
  const wallet = await session.text('profile-active-wallet');
  // The sandbox profile's own wallet address is <sandbox>/consent-desk.
  const base = wallet.replace(/consent-desk$/, '');
  step(`profile in use: ${await session.text('profile-active-name')} (${wallet})`);

  step('Pay: alice → bob');
  await session.click('nav-pay');
  const from = await session.property('pay-from', 'value');
  if (from !== `${base}alice`) throw new Error(`the payer should be prefilled with ${base}alice, not ${JSON.stringify(from)}`);
  await session.type('pay-to', `${base}bob`);
  await session.click('pay-kind-send');
  await session.type('pay-amount', AMOUNT);
  await session.type('pay-note', NOTE);
  await session.click('pay-quote');
  await session.waitForAttribute('pay-state', 'data-state', (state) => state === 'quoted');
  const debit = await session.text('pay-debit');
  const note = await session.text('pay-note-shown');
  if (note !== NOTE) throw new Error(`the quote should show the note "${NOTE}", not "${note}"`);
  step(`quote: you pay ${debit}, bob gets ${await session.text('pay-receive')}, rate ${await session.text('pay-rate')}, note "${note}"`);

  step('approving: the wallet opens its consent page in a window of its own');
  await session.click('pay-confirm');
  await session.switchToConsentWindow(mainWindow);
  const asked = await session.text('consent-amount');
  step(`consent window: the wallet asks "${asked}"`);
  const charged = debit.split(/\s/)[0];
  if (!asked.includes(charged)) throw new Error(`the wallet should ask for the quote's ${charged}, but shows "${asked}"`);
  await session.click('consent-approve');

  step('back in the main window: waiting for the payment to settle');
  await session.switchTo(mainWindow);
  await session.waitForAttribute('pay-state', 'data-state', (state) => state === 'completed', SETTLE_TIMEOUT_MS);
  await waitFor('the consent window to close', async () =>
    (await session.consentWindows(mainWindow)).length === 0 ? true : undefined,
  );
  await session.switchTo(mainWindow);
  step(`paid: the payment shows "${await session.text('pay-state')}"`);
  step(`screenshot: ${await session.screenshot('paid')}`);
}

let failed = false;
try {
  await main();
  step('passed');
} catch (error) {
  failed = true;
  console.error(`\nFAILED: ${error.message}`);
  if (session) {
    try {
      console.error(`screenshot of the moment: ${await session.screenshot('failure')}`);
    } catch {
      // The app may be gone; the message above says why.
    }
  }
} finally {
  if (session) {
    try {
      await session.end();
    } catch (error) {
      console.error(`note: the session could not be ended cleanly: ${error.message}`);
    }
  }
}
process.exit(failed ? 1 : 0);
