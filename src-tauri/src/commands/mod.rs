//! Commands the UI invokes, by feature. Each is a few lines over the core.

pub(crate) mod activity;
pub(crate) mod app;
pub(crate) mod grants;
pub(crate) mod links;
pub(crate) mod payments;
pub(crate) mod profiles;
pub(crate) mod settings;
