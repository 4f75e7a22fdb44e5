import { describe, expect, it } from 'vitest';
import type { ActivityView } from '../ipc';
import { MockBackend } from '../ipc/mock';
import { AppState } from '../shell/app.svelte';
import { allByTestId, attribute, byTestId, renderApp } from '../testing/html';

function request(id: number, operation: string, status: number | null): ActivityView {
  return {
    id,
    at: '2026-11-25T10:00:00.000Z',
    kind: 'request',
    operation,
    method: 'POST',
    url: `http://127.0.0.1:4455/${operation}`,
    status,
    durationMs: 12,
    ok: status !== null && status < 400,
    signatureInput: 'sig1=("@method" "@target-uri" "content-digest");keyid="k";created=1',
    withToken: operation !== 'post-request',
    outcome: status === null ? 'no answer from 127.0.0.1' : null,
    grant: null,
    hashVerified: null,
    hash: null,
  };
}

describe('Activity', () => {
  it('lists what the app did, filters failures, shows what a signature covered, and exports', async () => {
    const backend = new MockBackend();
    backend.active = 'sandbox';
    backend.activityLog = [
      request(1, 'post-request', 200),
      request(2, 'create-quote', 201),
      request(3, 'create-outgoing-payment', null),
      {
        ...request(4, 'finish', null),
        kind: 'finish',
        method: null,
        url: 'dev.consentdesk:/finish/g1',
        ok: false,
        signatureInput: null,
        grant: 'g1',
        hashVerified: false,
        hash: 'AAAA',
        outcome: 'the finish link did not come from your wallet',
      },
    ];
    const app = new AppState(backend);
    await app.start();
    await app.show('activity');
    let html = renderApp(app);
    expect(allByTestId(html, 'activity-item').map((item) => attribute(item, 'data-operation'))).toEqual([
      'finish',
      'create-outgoing-payment',
      'create-quote',
      'post-request',
    ]);

    app.activity.toggle(2);
    html = renderApp(app);
    expect(byTestId(html, 'activity-signature')?.text).toContain('"content-digest"');
    expect(byTestId(html, 'activity-detail')?.text).toContain('sent (its value is not recorded)');

    app.activity.failuresOnly = true;
    await app.activity.load();
    html = renderApp(app);
    expect(allByTestId(html, 'activity-item')).toHaveLength(2);
    app.activity.toggle(4);
    expect(byTestId(renderApp(app), 'activity-hash-verified')?.text).toContain('did NOT match');

    app.activity.failuresOnly = false;
    app.activity.text = 'quote';
    await app.activity.load();
    expect(allByTestId(renderApp(app), 'activity-item')).toHaveLength(1);

    expect(await app.activity.export()).toBe(true);
    expect(backend.calls.find((call) => call.command === 'export_activity')?.args).toEqual({
      query: { text: 'quote', failuresOnly: false },
    });
    expect(byTestId(renderApp(app), 'activity-exported')?.text).toContain('1 entry written to');
  });
});
