//! Exchange rates and fees for quotes, in exact integer arithmetic.
//!
//! Rates are fixed (a sandbox wants predictable numbers): units of each asset
//! per US dollar, in millionths. Payments within one asset are free; across
//! assets the sender pays a 1% fee on top, as a wallet's connector would.

/// `(asset, millionths of the asset per 1 USD)`.
pub(crate) const RATES: &[(&str, u128)] = &[
    ("USD", 1_000_000),
    ("EUR", 920_000),
    ("MXN", 17_000_000),
    ("JPY", 150_000_000),
    ("GBP", 790_000),
];

/// The cross-asset fee in basis points (1%).
pub(crate) const FEE_BASIS_POINTS: u128 = 100;

/// One side of a conversion: asset code and scale.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Asset<'a> {
    pub(crate) code: &'a str,
    pub(crate) scale: u8,
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
