import { invoke, type InvokeArgs } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import type { Backend } from './backend';
import {
  FLOW_PROGRESS,
  LINK_RECEIVED,
  PAYMENT_PROGRESS,
  type PaymentProgress,
  type PaymentView,
  type About,
  type NoticeSettings,
  type ActivityExport,
  type ActivityView,
  type AppStatus,
  type FlowProgress,
  type GrantDetail,
  type GrantPreview,
  type GrantView,
  type ProfilesView,
  type ProfileView,
  type ReceivedLink,
  type RegistrationView,
  type WalletPreviewView,
} from './bindings';
import { toUiError } from './error';

/** Tauri maps camelCase argument names to the Rust command's snake_case parameters. */
async function call<T>(command: string, args?: InvokeArgs): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (reason) {
    throw toUiError(reason);
  }
}

/** The backend inside the Tauri app. Only this file talks to Tauri. */
export const tauriBackend: Backend = {
  appStatus: () => call<AppStatus>('app_status'),
  about: () => call<About>('about'),
  noticeSettings: () => call<NoticeSettings>('notice_settings'),
  setNoticeSettings: (settings) => call<NoticeSettings>('set_notice_settings', { settings }),
  activity: (query, limit, offset) => call<ActivityView[]>('activity', { query, limit, offset }),
  exportActivity: (query, path) => call<ActivityExport | null>('export_activity', { query, path: path ?? null }),
  receivedLinks: () => call<ReceivedLink[]>('received_links'),
  onLinkReceived: (handler) => listen<ReceivedLink>(LINK_RECEIVED, (event) => handler(event.payload)),

  profiles: () => call<ProfilesView>('profiles'),
  useProfile: (id) => call<ProfilesView>('use_profile', { id }),
  setLoopbackFinish: (id, on) => call<ProfilesView>('set_loopback_finish', { id, on }),
  setClientForm: (id, form) => call<ProfilesView>('set_client_form', { id, form }),
  removeProfile: (id) => call<ProfilesView>('remove_profile', { id }),
  previewWallet: (url, allowHttpLoopback) => call<WalletPreviewView>('preview_wallet', { url, allowHttpLoopback }),
  addProfile: (request) => call<ProfileView>('add_profile', { request }),
  checkRegistration: (id) => call<RegistrationView>('check_registration', { id }),

  previewGrant: (form) => call<GrantPreview>('preview_grant', { form }),
  requestGrant: (form) => call<GrantView>('request_grant', { form }),
  proveOwnership: (passphrase) => call<GrantView>('prove_ownership', { passphrase }),
  cancelGrant: (id) => call<null>('cancel_grant', { id }),
  grants: (limit, offset) => call<GrantView[]>('grants', { limit, offset }),
  grantDetail: (id) => call<GrantDetail>('grant_detail', { id }),
  rotateGrant: (id) => call<GrantView>('rotate_grant', { id }),
  revokeGrant: (id) => call<GrantView>('revoke_grant', { id }),
  endGrant: (id) => call<GrantView>('end_grant', { id }),
  waitingApprovals: () => call<GrantView[]>('waiting_approvals'),
  reopenApproval: (id, inBrowser) => call<GrantView>('reopen_approval', { id, inBrowser }),
  continueInBrowser: (id) => call<GrantView>('continue_in_browser', { id }),
  onFlowProgress: (handler) => listen<FlowProgress>(FLOW_PROGRESS, (event) => handler(event.payload)),

  quotePayment: (form) => call<PaymentView>('quote_payment', { form }),
  confirmPayment: (id, approveIn) => call<PaymentView>('confirm_payment', { id, approveIn }),
  payWithGrant: (id, grantId) => call<PaymentView>('pay_with_grant', { id, grantId }),
  paymentGrants: (id) => call<GrantView[]>('payment_grants', { id }),
  requotePayment: (id) => call<PaymentView>('requote_payment', { id }),
  checkPayment: (id) => call<PaymentView>('check_payment', { id }),
  cancelPayment: (id) => call<PaymentView>('cancel_payment', { id }),
  payments: (limit, offset) => call<PaymentView[]>('payments', { limit, offset }),
  onPaymentProgress: (handler) => listen<PaymentProgress>(PAYMENT_PROGRESS, (event) => handler(event.payload)),
};
