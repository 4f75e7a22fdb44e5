import type { PaymentStateView } from '../ipc';

/** A payment's state as a person reads it, on every screen that lists payments. */
export const paymentStateWords: Record<PaymentStateView, string> = {
  quoted: 'Quote ready',
  authorizing: 'Waiting for your approval',
  sending: 'Sending…',
  sent: 'Sent, settling…',
  completed: 'Paid',
  failed: 'Not paid',
  cancelled: 'Stopped',
};
