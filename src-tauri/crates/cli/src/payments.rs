//! `consent-desk payments …` (also `payment`): payments made, and those a
//! crash interrupted: list, show, resume (never pays twice) and cancel.

use clap::Subcommand;
use consent_desk_engine::PaymentState;
use consent_desk_identity::Folders;

use crate::context::{Context, Options};
use crate::output::{print, print_list};
use crate::pay::{payment_code, payment_text};

/// `consent-desk payments`'s arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) options: Options,
    #[command(subcommand)]
    command: PaymentsCommand,
}

#[derive(Debug, Subcommand)]
enum PaymentsCommand {
    /// List payments, newest first.
    List {
        /// How many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// How many newer ones to skip.
        #[arg(long, default_value_t = 0)]
        offset: usize,
    },
    /// Show one payment.
    Show {
        /// The payment id.
        id: String,
    },
    /// Go on with a payment a crash or a lost connection interrupted (never
    /// pays twice).
    Resume {
        /// The payment id.
        id: String,
    },
    /// Stop a payment that was not sent.
    Cancel {
        /// The payment id.
        id: String,
    },
}

pub(crate) async fn run(args: Args, folders: &Folders) -> Result<i32, String> {
    let context = Context::open(&args.options, folders)?;
    let json_mode = args.options.store.json;
    match args.command {
        PaymentsCommand::List { limit, offset } => {
            let list = context
                .flows
                .payments(limit, offset)
                .map_err(|e| e.to_string())?;
            print_list(json_mode, &list, "No payments yet.", payment_text);
            Ok(0)
        }
        PaymentsCommand::Show { id } => {
            let payment = context.flows.payment(&id).map_err(|e| e.to_string())?;
            print(json_mode, &payment, &payment_text(&payment));
            Ok(0)
        }
        PaymentsCommand::Resume { id } => {
            // The app's own sending routine, as at its start.
            let payment = context.flows.payment(&id).map_err(|e| e.to_string())?;
            context.unlock(&payment.profile).await?;
            let sent = context.engine.send(&id).await.map_err(|e| e.to_string())?;
            if let Some(error) = sent.error {
                return Err(error.to_string());
            }
            print(json_mode, &sent.payment, &payment_text(&sent.payment));
            Ok(payment_code(&sent.payment))
        }
        PaymentsCommand::Cancel { id } => {
            let payment = context.flows.payment(&id).map_err(|e| e.to_string())?;
            if let (PaymentState::Authorizing, Some(grant)) =
                (payment.state, payment.grant_id.as_deref())
            {
                let client = context.client(&payment.profile).await?;
                context
                    .flows
                    .cancel(&client, grant)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            let stopped = context
                .flows
                .cancel_payment(&id)
                .map_err(|e| e.to_string())?;
            print(json_mode, &stopped, "Stopped; no money moved.");
            Ok(0)
        }
    }
}
