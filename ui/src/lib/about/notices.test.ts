import { describe, expect, it } from 'vitest';
import { MockBackend } from '../ipc/mock';
import { AppState } from '../shell/app.svelte';
import { attribute, byTestId, renderApp } from '../testing/html';

describe('About: notifications', () => {
  it('shows each switch as kept, switches one off alone, and shows what is still kept when saving fails', async () => {
    const backend = new MockBackend();
    backend.active = 'sandbox';
    backend.notices = { budgetMostlySpent: true, grantEnding: false, resumedPaymentSettled: true };
    const app = new AppState(backend);
    await app.start();
    await app.show('about');
    let html = renderApp(app);
    expect(byTestId(html, 'settings-notices')?.text).toContain('A budget is 80 % spent');
    expect(attribute(byTestId(html, 'settings-notice-budget'), 'checked')).not.toBeNull();
    expect(attribute(byTestId(html, 'settings-notice-ending'), 'checked')).toBeNull();

    expect(await app.notices.set('budgetMostlySpent', false)).toBe(true);
    expect(backend.calls.find((call) => call.command === 'set_notice_settings')?.args).toEqual({
      settings: { budgetMostlySpent: false, grantEnding: false, resumedPaymentSettled: true },
    });
    html = renderApp(app);
    expect(attribute(byTestId(html, 'settings-notice-budget'), 'checked')).toBeNull();
    expect(attribute(byTestId(html, 'settings-notice-resumed'), 'checked')).not.toBeNull();

    backend.failNext.set('set_notice_settings', { code: 'storage', message: 'the settings could not be saved' });
    expect(await app.notices.set('resumedPaymentSettled', false)).toBe(false);
    html = renderApp(app);
    expect(attribute(byTestId(html, 'settings-notice-resumed'), 'checked')).not.toBeNull();
    expect(byTestId(html, 'settings-notices-error')?.text).toContain('could not be saved');
    expect(backend.notices.resumedPaymentSettled).toBe(true);
  });
});
