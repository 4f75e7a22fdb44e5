//! The sandbox wallet over real HTTP on loopback: the Rust client against it,
//! the official Node SDK against it, refusals, limits, state and faults.

mod admin;
mod faults;
mod flow;
mod limits;
mod money;
mod node_sdk;
mod reference;
mod refusals;
mod state;
mod support;
