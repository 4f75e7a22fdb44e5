//! What a desktop notification says: a bold line and a sentence under it.

use crate::notices::{Notice, NoticeKind};

/// A payment taken up after a restart went through.
#[must_use]
pub fn resumed_payment_settled(amount: &str, to: &str) -> Notice {
    Notice {
        kind: NoticeKind::ResumedPaymentSettled,
        title: "Payment made".to_owned(),
        body: format!("{amount} to {to} went through after Consent Desk restarted."),
    }
}

/// A budget passed the share the person is told about.
#[must_use]
pub fn budget_mostly_spent(percent: u8, spent: &str, limit: &str, summary: &str) -> Notice {
    Notice {
        kind: NoticeKind::BudgetMostlySpent,
        title: format!("Budget {percent} % spent"),
        body: format!("{spent} of {limit} spent on your budget “{summary}”."),
    }
}

/// A budget's last period ends in `left`.
#[must_use]
pub fn budget_ending(summary: &str, left: time::Duration) -> Notice {
    Notice {
        kind: NoticeKind::GrantEnding,
        title: "A budget ends soon".to_owned(),
        body: format!(
            "Your budget “{summary}” ends {}. Set up a new one to keep paying without asking \
             each time.",
            in_words(left)
        ),
    }
}

/// "in 5 hours", "in 40 minutes", "in under a minute".
fn in_words(left: time::Duration) -> String {
    let minutes = left.whole_minutes();
    match minutes {
        ..=0 => "in under a minute".to_owned(),
        1 => "in 1 minute".to_owned(),
        2..=89 => format!("in {minutes} minutes"),
        _ => {
            let hours = (minutes + 30) / 60;
            format!("in {hours} hours")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_is_said_in_round_words() {
        let said = |minutes| in_words(time::Duration::minutes(minutes));
        assert_eq!(said(0), "in under a minute");
        assert_eq!(said(1), "in 1 minute");
        assert_eq!(said(40), "in 40 minutes");
        assert_eq!(said(89), "in 89 minutes");
        assert_eq!(said(90), "in 2 hours");
        assert_eq!(said(23 * 60 + 10), "in 23 hours");
    }

    #[test]
    fn notices_say_what_and_how_much_in_a_payer_s_words() {
        let spent = budget_mostly_spent(80, "$8.00", "$10.00", "Up to $10.00 every day");
        assert_eq!(spent.title, "Budget 80 % spent");
        assert_eq!(
            spent.body,
            "$8.00 of $10.00 spent on your budget “Up to $10.00 every day”."
        );
        let ending = budget_ending("Up to $5.00 every week", time::Duration::hours(5));
        assert!(ending.body.contains("ends in 5 hours"), "{}", ending.body);
        let made = resumed_payment_settled("$3.00", "Bob Sandbox");
        assert_eq!(
            made.body,
            "$3.00 to Bob Sandbox went through after Consent Desk restarted."
        );
        for notice in [spent, ending, made] {
            assert!(
                !notice.body.to_lowercase().contains("grant"),
                "{}",
                notice.body
            );
            assert!(
                !notice.body.to_lowercase().contains("token"),
                "{}",
                notice.body
            );
        }
    }
}
