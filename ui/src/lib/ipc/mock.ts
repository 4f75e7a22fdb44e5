import type { Backend } from './backend';
import type { About, AppStatus, ReceivedLink } from './bindings';

/** An in-memory backend for component and state tests. */
export class MockBackend implements Backend {
  status: AppStatus = {
    productName: 'Consent Desk',
    version: '0.0.0-test',
    status: { tone: 'ok', text: 'Ready.' },
  };
  aboutInfo: About = {
    productName: 'Consent Desk',
    version: '0.0.0-test',
    commit: 'abc123',
    identifier: 'dev.consentdesk.test',
    tauriVersion: '2.0.0',
    webviewVersion: '2.44.0',
    dataDir: '/tmp/data',
    configDir: '/tmp/config',
    logFile: '/tmp/logs/consent-desk.log',
    linkScheme: 'dev.consentdesk',
    sandbox: { state: 'running', url: 'http://127.0.0.1:4455/' },
  };
  links: ReceivedLink[] = [];
  failWith: unknown = null;
  private handlers = new Set<(link: ReceivedLink) => void>();

  private answer<T>(value: T): Promise<T> {
    return this.failWith === null ? Promise.resolve(structuredClone(value)) : Promise.reject(this.failWith);
  }

  appStatus() {
    return this.answer(this.status);
  }
  about() {
    return this.answer(this.aboutInfo);
  }
  receivedLinks() {
    return this.answer(this.links);
  }
  async onLinkReceived(handler: (link: ReceivedLink) => void) {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Simulates the OS delivering a link while the app runs. */
  deliver(link: ReceivedLink) {
    this.links.push(link);
    for (const handler of this.handlers) handler(link);
  }
}
