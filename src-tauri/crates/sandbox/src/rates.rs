//! Exchange rates and fees for quotes, in exact integer arithmetic.
//!
//! Rates are fixed (a sandbox wants predictable numbers): units of each asset
//! per US dollar, in millionths. Across assets the connector keeps 1% of what
//! is sent (the exchange's spread). On top of that the sending wallet may
//! charge its own fee ([`Fee`], per asset, none by default), as Rafiki does:
//! `debitAmount` includes it, `sentAmount` does not.

/// `(asset, millionths of the asset per 1 USD)`: the sandbox's fixed
/// exchange rates (the app's test backend quotes with them too).
pub const RATES: &[(&str, u128)] = &[
    ("USD", 1_000_000),
    ("EUR", 920_000),
    ("MXN", 17_000_000),
    ("JPY", 150_000_000),
    ("GBP", 790_000),
];

/// The cross-asset fee in basis points (1%).
pub const FEE_BASIS_POINTS: u128 = 100;

/// One side of a conversion: asset code and scale.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Asset<'a> {
    pub(crate) code: &'a str,
    pub(crate) scale: u8,
}

/// The sending wallet's fee for one asset: a fixed part in the asset's
/// smallest unit plus a share of the amount, in basis points (Rafiki's
/// `fixedFee` and `basisPointFee`).
///
/// ```
/// use consent_desk_sandbox::Fee;
///
/// let fee: Fee = "10+1%".parse().unwrap();
/// assert_eq!((fee.fixed, fee.basis_points), (10, 100));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fee {
    /// In the asset's smallest unit (10 is $0.10 at scale 2).
    #[serde(default)]
    pub fixed: u64,
    /// Hundredths of a percent of the amount (100 is 1%), at most 10000.
    #[serde(default)]
    pub basis_points: u32,
}

impl Fee {
    /// The fee on `principal`, the share rounded up (Rafiki's rounding).
    #[must_use]
    pub fn on(self, principal: u64) -> Option<u64> {
        let share = (u128::from(principal) * u128::from(self.basis_points)).div_ceil(10_000);
        u64::try_from(share).ok()?.checked_add(self.fixed)
    }
}

/// Parses `<fixed>`, `<percent>%` or `<fixed>+<percent>%`: `10+1%`, `25`,
/// `0.5%`.
impl std::str::FromStr for Fee {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wrong = || {
            format!(
                "`{text}` is not a fee: write <fixed>+<percent>%, like 10+1% (the fixed part in \
                 the asset's smallest unit)"
            )
        };
        let mut fee = Self::default();
        for part in text.split('+').map(str::trim) {
            if let Some(percent) = part.strip_suffix('%') {
                let (whole, fraction) = percent.split_once('.').unwrap_or((percent, ""));
                if fraction.len() > 2 || whole.is_empty() && fraction.is_empty() {
                    return Err(wrong());
                }
                let digits = format!("{whole}{fraction:0<2}");
                fee.basis_points = digits.parse().map_err(|_| wrong())?;
                if fee.basis_points > 10_000 {
                    return Err(format!("the fee `{text}` is more than 100%"));
                }
            } else {
                fee.fixed = part.parse().map_err(|_| wrong())?;
            }
        }
        Ok(fee)
    }
}

/// Fees by asset code.
pub type Fees = std::collections::BTreeMap<String, Fee>;

/// One `--fee` value: `USD=10+1%`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetFee {
    /// The sending account's asset.
    pub asset_code: String,
    /// Its fee.
    pub fee: Fee,
}

impl std::str::FromStr for AssetFee {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (asset, fee) = text.split_once('=').ok_or_else(|| {
            format!("`{text}` is not a fee: write <ASSET>=<fixed>+<percent>%, like USD=10+1%")
        })?;
        let asset = asset.trim().to_ascii_uppercase();
        if asset.is_empty() || !asset.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(format!("`{asset}` is not an asset code, like USD"));
        }
        Ok(Self {
            asset_code: asset,
            fee: fee.parse()?,
        })
    }
}

/// A quote's amounts: what leaves the sender (`debit`, fees included), what
/// the wallet sends on (`sent`, in the sender's asset) and what arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Amounts {
    pub(crate) debit: u64,
    pub(crate) sent: u64,
    pub(crate) receive: u64,
}

/// The amounts when `debit` is fixed: the wallet's fee comes off first.
/// `None` when the fee eats it all or the assets do not convert.
pub(crate) fn for_debit(debit: u64, fee: Fee, from: Asset<'_>, to: Asset<'_>) -> Option<Amounts> {
    let sent = debit.checked_sub(fee.on(debit)?)?;
    Some(Amounts {
        debit,
        sent,
        receive: receive_for_debit(sent, from, to)?,
    })
}

/// The amounts when `receive` is fixed: the wallet's fee goes on top of what
/// must be sent.
pub(crate) fn for_receive(
    receive: u64,
    fee: Fee,
    from: Asset<'_>,
    to: Asset<'_>,
) -> Option<Amounts> {
    let sent = debit_for_receive(receive, from, to)?;
    Some(Amounts {
        debit: sent.checked_add(fee.on(sent)?)?,
        sent,
        receive,
    })
}

fn rate(code: &str) -> Option<u128> {
    RATES
        .iter()
        .find(|(known, _)| *known == code)
        .map(|(_, rate)| *rate)
}

fn pow10(scale: u8) -> Option<u128> {
    10u128.checked_pow(u32::from(scale))
}

/// `value` of `from` in `to`, rounded down (`up = false`) or up.
pub(crate) fn convert(value: u64, from: Asset<'_>, to: Asset<'_>, up: bool) -> Option<u64> {
    if from.code == to.code && from.scale == to.scale {
        return Some(value);
    }
    let numerator = u128::from(value)
        .checked_mul(rate(to.code)?)?
        .checked_mul(pow10(to.scale)?)?;
    let denominator = rate(from.code)?.checked_mul(pow10(from.scale)?)?;
    let quotient = if up {
        numerator.div_ceil(denominator)
    } else {
        numerator / denominator
    };
    u64::try_from(quotient).ok()
}

fn fee_bps(from: Asset<'_>, to: Asset<'_>) -> u128 {
    if from.code == to.code {
        0
    } else {
        FEE_BASIS_POINTS
    }
}

/// What arrives when `debit` leaves: the fee comes off first (rounded up,
/// in the sender's favour never), then the rest converts rounding down.
pub(crate) fn receive_for_debit(debit: u64, from: Asset<'_>, to: Asset<'_>) -> Option<u64> {
    let fee = (u128::from(debit) * fee_bps(from, to)).div_ceil(10_000);
    let after_fee = u64::try_from(u128::from(debit).checked_sub(fee)?).ok()?;
    convert(after_fee, from, to, false)
}

/// What must leave for `receive` to arrive: converts rounding up, then adds
/// the fee so that [`receive_for_debit`] of the result is at least `receive`.
pub(crate) fn debit_for_receive(receive: u64, from: Asset<'_>, to: Asset<'_>) -> Option<u64> {
    let base = u128::from(convert(receive, to, from, true)?);
    let bps = fee_bps(from, to);
    let debit = (base * 10_000).div_ceil(10_000 - bps);
    u64::try_from(debit).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const USD: Asset<'static> = Asset {
        code: "USD",
        scale: 2,
    };
    const EUR: Asset<'static> = Asset {
        code: "EUR",
        scale: 2,
    };
    const JPY: Asset<'static> = Asset {
        code: "JPY",
        scale: 0,
    };

    #[test]
    fn same_asset_is_free_and_exact() {
        assert_eq!(receive_for_debit(1320, USD, USD), Some(1320));
        assert_eq!(debit_for_receive(1320, USD, USD), Some(1320));
    }

    #[test]
    fn cross_asset_charges_the_fee_and_rounds_for_the_receiver() {
        // 10.00 EUR at 0.92 EUR/USD is 10.8695… USD, rounded up to 10.87; with the
        // 1% fee taken off the debit, 10.98 leaves.
        let debit = debit_for_receive(1000, USD, EUR).unwrap();
        assert_eq!(debit, 1098);
        assert!(receive_for_debit(debit, USD, EUR).unwrap() >= 1000);
        assert!(receive_for_debit(debit - 1, USD, EUR).unwrap() < 1000);
    }

    #[test]
    fn scales_differ() {
        // $1.00 → 150 JPY less 1%: 0.99 USD → 148.5 → 148.
        assert_eq!(receive_for_debit(100, USD, JPY), Some(148));
        assert_eq!(convert(150, JPY, USD, false), Some(100));
    }

    #[test]
    fn the_wallet_fee_is_in_the_debit_and_not_in_what_is_sent() {
        // Rafiki with a fee of 0.10 + 1%: sending 5.00 debits 500 and sends 485;
        // receiving 3.00 debits 313 and sends 300.
        let fee: Fee = "10+1%".parse().unwrap();
        let send = for_debit(500, fee, USD, USD).unwrap();
        assert_eq!((send.debit, send.sent, send.receive), (500, 485, 485));
        let receive = for_receive(300, fee, USD, USD).unwrap();
        assert_eq!(
            (receive.debit, receive.sent, receive.receive),
            (313, 300, 300)
        );
        assert_eq!(for_debit(10, fee, USD, USD), None, "the fee eats it all");
        let none = Fee::default();
        assert_eq!(for_debit(500, none, USD, USD).map(|a| a.sent), Some(500));
    }

    #[test]
    fn fees_parse_as_written() {
        let parse = |text: &str| text.parse::<Fee>().map(|f| (f.fixed, f.basis_points));
        assert_eq!(parse("10+1%"), Ok((10, 100)));
        assert_eq!(parse("0.25%"), Ok((0, 25)));
        assert_eq!(parse("7"), Ok((7, 0)));
        assert!(parse("1.234%").is_err());
        assert!(parse("ten").is_err());
        assert!(parse("101%").is_err());
    }

    #[test]
    fn unknown_assets_and_overflow_are_none() {
        assert_eq!(
            convert(
                1,
                Asset {
                    code: "XYZ",
                    scale: 2
                },
                USD,
                false
            ),
            None
        );
        assert_eq!(convert(u64::MAX, USD, JPY, false), None);
    }
}
