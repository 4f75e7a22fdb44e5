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
    link: null,
    request: {
      headers: [
        { name: 'content-type', value: 'application/json' },
        { name: 'authorization', value: 'GNAP (redacted)' },
        { name: 'signature', value: 'sig1=:AAAA:' },
      ],
      body: '{\n  "interact_ref": "(redacted)"\n}',
    },
    response:
      status === null
        ? null
        : { headers: [{ name: 'content-type', value: 'application/json' }], body: '{\n  "access_token": {\n    "value": "(redacted)"\n  }\n}' },
    signature: {
      label: 'sig1',
      components: ['@method', '@target-uri', 'content-digest'],
      keyid: 'k',
      created: 1764064800,
      alg: null,
    },
  };
}

function finish(id: number): ActivityView {
  return {
    ...request(id, 'finish', null),
    kind: 'finish',
    method: null,
    url: 'dev.consentdesk:/finish/g1',
    ok: false,
    signatureInput: null,
    grant: 'g1',
    hashVerified: false,
    hash: 'AAAA',
    outcome: 'the finish link did not come from your wallet',
    link: 'dev.consentdesk:/finish/g1?hash=AAAA&interact_ref=%28redacted%29',
    request: null,
    response: null,
    signature: null,
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
      finish(4),
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
    expect(byTestId(html, 'activity-signature')?.text).toContain('content-digest');
    expect(byTestId(html, 'activity-signature-key')?.text).toContain('key k');
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

  it('opens a row on its headers and bodies as recorded, secrets already redacted, and a finish on its hash check', async () => {
    const backend = new MockBackend();
    backend.active = 'sandbox';
    backend.activityLog = [request(1, 'post-continue', 200), finish(2)];
    const app = new AppState(backend);
    await app.start();
    await app.show('activity');
    app.activity.toggle(1);
    let html = renderApp(app);
    const sent = byTestId(html, 'activity-request')?.text ?? '';
    expect(sent).toContain('POST http://127.0.0.1:4455/post-continue');
    expect(sent).toContain('authorization: GNAP (redacted)');
    expect(sent).toContain('signature: sig1=:AAAA:');
    expect(sent).toContain('"interact_ref": "(redacted)"');
    const answer = byTestId(html, 'activity-response')?.text ?? '';
    expect(answer).toContain('200');
    expect(answer).toContain('"value": "(redacted)"');

    app.activity.toggle(2);
    html = renderApp(app);
    expect(byTestId(html, 'activity-request')).toBeNull();
    expect(byTestId(html, 'activity-link')?.text).toContain('hash=AAAA');
    expect(byTestId(html, 'activity-detail')?.text).toContain('SHA-256');
  });

  it('exports exactly what the list shows, to the file chosen, and nothing when the dialog is cancelled', async () => {
    const backend = new MockBackend();
    backend.active = 'sandbox';
    backend.activityLog = [request(1, 'post-request', 200), request(2, 'create-quote', 500), finish(3), request(4, 'create-quote', 201)];
    const app = new AppState(backend);
    await app.start();
    await app.show('activity');

    app.activity.kind = 'request';
    app.activity.failuresOnly = true;
    await app.activity.load();
    // Typed but not searched: the list still shows the filter it was read with.
    app.activity.text = 'no such thing';
    const listed = allByTestId(renderApp(app), 'activity-item');
    expect(listed).toHaveLength(1);

    expect(await app.activity.export()).toBe(true);
    expect(backend.calls.find((call) => call.command === 'export_activity')?.args).toEqual({
      query: { text: '', failuresOnly: true, kind: 'request' },
    });
    expect(backend.exportedEntries.map((entry) => entry.id)).toEqual([2]);
    expect(byTestId(renderApp(app), 'activity-exported')?.text).toContain(
      '1 entry written to /home/me/consent-desk-activity.jsonl',
    );

    app.activity.text = '';
    app.activity.kind = '';
    app.activity.failuresOnly = false;
    await app.activity.load();
    backend.exportChoice = null;
    expect(await app.activity.export()).toBe(false);
    expect(backend.exportedEntries).toHaveLength(1);
    expect(app.activity.error).toBeNull();
  });
});
