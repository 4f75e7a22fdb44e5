//! `consent-desk prove <wallet>`: prove you own a wallet address (Open
//! Payments 1.3 `subject`). You confirm at its wallet; nothing is granted or
//! paid. Exit 0 when proved, 4 when not.

use consent_desk_identity::Folders;
use serde_json::json;

use crate::context::{Context, Options};
use crate::grant::{
    await_finish, report, show_finish, show_pending, waits_for_link, Approval, Finish,
};

/// `consent-desk prove`'s arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) options: Options,
    /// The wallet address (https://… or $wallet.example/you).
    wallet: String,
    #[command(flatten)]
    approval: Approval,
}

pub(crate) async fn run(args: Args, folders: &Folders) -> Result<i32, String> {
    let context = Context::open(&args.options, folders)?;
    let json_mode = args.options.store.json;
    let profile = context.profile(args.options.profile.as_deref())?;
    let client = context.client(&profile.id).await?;
    let wallet = consent_desk_engine::typed_url(&args.wallet, "the wallet address")
        .map_err(|e| e.to_string())?;
    let (finish, why, via, mut listener) = Finish::route(args.approval.finish, &profile).await?;
    let pending = context
        .flows
        .request_proof(&client, &profile.id, &wallet, via)
        .await
        .map_err(|e| e.to_string())?;
    show_finish(json_mode, finish, why);
    show_pending(
        json_mode,
        json!({"id": pending.id, "finish": finish.name(), "wallet": pending.wallet}),
        pending.redirect.as_ref().map_or("", |url| url.as_str()),
        "that you own this wallet address",
        args.approval.open_browser,
    );
    let Some(listener) = listener.as_mut() else {
        waits_for_link(json_mode, "proof", &pending.id);
        return Ok(0);
    };
    let finished = await_finish(&context, listener, args.approval.timeout, &pending.id).await?;
    Ok(report(json_mode, &finished.completed, None))
}
