//! Typed events sent to the UI: each payload type knows its event name.

use serde::Serialize;
use tauri::{AppHandle, Emitter};

use crate::ipc::{self, FlowProgress, PaymentProgress, ReceivedLink};

/// A payload the UI listens for under a fixed name.
pub(crate) trait Event: Serialize + Clone {
    /// The event name; the UI imports the same constant from the bindings.
    const NAME: &'static str;
}

impl Event for ReceivedLink {
    const NAME: &'static str = ipc::event::LINK_RECEIVED;
}

impl Event for FlowProgress {
    const NAME: &'static str = ipc::event::FLOW_PROGRESS;
}

impl Event for PaymentProgress {
    const NAME: &'static str = ipc::event::PAYMENT_PROGRESS;
}

/// Sends `event` to the UI. A window that is gone is not an error.
pub(crate) fn emit<E: Event>(app: &AppHandle, event: E) {
    if let Err(error) = app.emit(E::NAME, event) {
        tracing::warn!(%error, name = E::NAME, "could not emit event");
    }
}
