import { describe, expect, it } from 'vitest';
import { MockBackend } from '../ipc/mock';
import { AppState } from './app.svelte';

const link = (url: string, receivedAt: string, said: string | null = null) => ({
  url,
  said,
  refused: false,
  receivedAt,
  arrival: 'forwarded' as const,
});

describe('AppState', () => {
  it('loads the status and the links received before start', async () => {
    const backend = new MockBackend();
    backend.links = [link('dev.consentdesk:/a', '2025-01-01T00:00:00Z')];
    const state = new AppState(backend);
    await state.start();
    expect(state.status?.status.text).toBe('Ready.');
    expect(state.links.map((l) => l.url)).toEqual(['dev.consentdesk:/a']);
  });

  it('adds links delivered later, newest first, without duplicates', async () => {
    const backend = new MockBackend();
    const state = new AppState(backend);
    await state.start();
    backend.deliver(link('dev.consentdesk:/1', '2025-01-01T00:00:01Z'));
    backend.deliver(link('dev.consentdesk:/2', '2025-01-01T00:00:02Z'));
    expect(state.links.map((l) => l.url)).toEqual(['dev.consentdesk:/2', 'dev.consentdesk:/1']);
  });

  it('replaces a link with what became of it, once the core knows', async () => {
    const backend = new MockBackend();
    const state = new AppState(backend);
    await state.start();
    backend.deliver(link('dev.consentdesk:/1', '2025-01-01T00:00:01Z'));
    expect(state.links.map((l) => l.said)).toEqual([null]);
    backend.deliver(link('dev.consentdesk:/1', '2025-01-01T00:00:01Z', 'Your wallet sent you back and the approval is complete.'));
    expect(state.links.map((l) => l.said)).toEqual(['Your wallet sent you back and the approval is complete.']);
  });

  it('stops following links after unsubscribing', async () => {
    const backend = new MockBackend();
    const state = new AppState(backend);
    const stop = await state.start();
    stop();
    backend.deliver(link('dev.consentdesk:/late', '2025-01-01T00:00:03Z'));
    expect(state.links).toEqual([]);
  });

  it('shows a command error and clears it on the next success', async () => {
    const backend = new MockBackend();
    const state = new AppState(backend);
    backend.failWith = { code: 'storage', message: 'No home folder.' };
    await state.show('about');
    expect(state.error).toMatchObject({ code: 'storage', message: 'No home folder.' });
    expect(state.about).toBeNull();
    backend.failWith = null;
    await state.refreshAbout();
    expect(state.error).toBeNull();
    expect(state.about?.dataDir).toBe('/tmp/data');
  });
});
