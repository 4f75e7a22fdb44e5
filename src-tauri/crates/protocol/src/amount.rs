//! Open Payments amounts: a whole number of an asset's smallest unit.
//!
//! On the wire (`amount` in the Open Payments OpenAPI documents) `value` is an
//! unsigned 64-bit integer written as a decimal string, so that JSON parsers
//! that read numbers as doubles cannot round it. This type never goes through
//! a float: it refuses JSON numbers, signs, decimal points and exponents.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::AmountError;

/// An amount of an asset: `value` units of 10^-`asset_scale` `asset_code`.
///
/// `{"value":"500","assetCode":"USD","assetScale":2}` is USD 5.00.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Amount {
    /// The number of smallest units, a decimal string on the wire.
    #[serde(
        serialize_with = "serialize_value",
        deserialize_with = "deserialize_value"
    )]
    pub value: u64,
    /// The asset, an ISO 4217 code where there is one (`USD`).
    pub asset_code: String,
    /// How many decimal places the smallest unit is (2 for cents).
    pub asset_scale: u8,
}

impl Amount {
    /// Parses a wire `value`: ASCII digits only, at most `u64::MAX`.
    ///
    /// Leading zeros are accepted, as a `uint64` string can have them.
    ///
    /// # Errors
    ///
    /// [`AmountError::Empty`], [`AmountError::NotDigits`] or
    /// [`AmountError::TooLarge`].
    pub fn parse_value(text: &str) -> Result<u64, AmountError> {
        if text.is_empty() {
            return Err(AmountError::Empty);
        }
        // `u64::from_str` alone would accept a leading `+`.
        if !text.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(AmountError::NotDigits {
                value: text.to_owned(),
            });
        }
        text.parse().map_err(|_| AmountError::TooLarge {
            value: text.to_owned(),
        })
    }

    /// Parses an amount as people write it, in the asset's major unit
    /// (`12.50` at scale 2, `1000` at scale 0), into smallest units, by
    /// moving the decimal point in the digit string: never a float.
    ///
    /// # Errors
    ///
    /// Empty, not digits with at most one dot, negative, more decimals than
    /// `scale`, zero, or more than `u64::MAX` smallest units; each error says
    /// what was wrong with an example.
    pub fn parse_decimal(text: &str, scale: u8) -> Result<u64, AmountError> {
        let text = text.trim();
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        if whole.is_empty() && fraction.is_empty() {
            return Err(AmountError::NoDecimal { scale });
        }
        let digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
        if let Some(rest) = text.strip_prefix('-') {
            let (whole, fraction) = rest.split_once('.').unwrap_or((rest, ""));
            if digits(whole) && digits(fraction) && !rest.is_empty() {
                return Err(AmountError::Negative {
                    value: text.to_owned(),
                    scale,
                });
            }
        }
        if !digits(whole) || !digits(fraction) {
            return Err(AmountError::NotDecimal {
                value: text.to_owned(),
                scale,
            });
        }
        if fraction.len() > usize::from(scale) {
            return Err(AmountError::TooPrecise {
                value: text.to_owned(),
                scale,
            });
        }
        let padded = format!("{whole}{fraction:0<width$}", width = usize::from(scale));
        let significant = padded.trim_start_matches('0');
        if significant.is_empty() {
            return Err(AmountError::Zero { scale });
        }
        Self::parse_value(significant).map_err(|_| AmountError::TooLarge {
            value: text.to_owned(),
        })
    }
}

/// Shows the value in the asset's major unit, `5.00 USD`, by placing the
/// decimal point in the digit string: exact for every `u64` and scale.
impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.value.to_string();
        let scale = usize::from(self.asset_scale);
        if scale == 0 {
            return write!(f, "{digits} {}", self.asset_code);
        }
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (whole, fraction) = padded.split_at(padded.len() - scale);
        write!(f, "{whole}.{fraction} {}", self.asset_code)
    }
}

// Serde's `serialize_with` hands the field by reference.
#[allow(clippy::trivially_copy_pass_by_ref)]
fn serialize_value<S: Serializer>(value: &u64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

fn deserialize_value<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    struct Visitor;

    impl serde::de::Visitor<'_> for Visitor {
        type Value = u64;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a whole number of smallest units as a string of digits, such as \"500\"")
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<u64, E> {
            Amount::parse_value(text).map_err(E::custom)
        }
    }

    // Only strings: a JSON number (`500`, `5.0`, `-1`) falls through to
    // `expecting` and is refused with the message above.
    deserializer.deserialize_str(Visitor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_json(json: &str) -> Result<Amount, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn round_trips_the_wire_form_exactly() {
        let json = r#"{"value":"18446744073709551615","assetCode":"USD","assetScale":2}"#;
        let amount = from_json(json).unwrap();
        assert_eq!(amount.value, u64::MAX);
        assert_eq!(serde_json::to_string(&amount).unwrap(), json);
    }

    #[test]
    fn refuses_everything_but_digit_strings() {
        for value in [
            "500",
            "5.0",
            "-1",
            "1e3",
            "true",
            "null",
            "\"\"",
            "\"+5\"",
            "\"-5\"",
            "\"5.00\"",
            "\"1e3\"",
            "\" 5\"",
            "\"0x10\"",
            "\"18446744073709551616\"",
            "\"٣\"",
        ] {
            let json = format!(r#"{{"value":{value},"assetCode":"USD","assetScale":2}}"#);
            assert!(from_json(&json).is_err(), "accepted {value}");
        }
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let error = from_json(r#"{"value":5.5,"assetCode":"USD","assetScale":2}"#).unwrap_err();
        assert!(error.to_string().contains("string of digits"), "{error}");
        let error = from_json(r#"{"value":"+5","assetCode":"USD","assetScale":2}"#).unwrap_err();
        assert!(error.to_string().contains("not a whole number"), "{error}");
        assert_eq!(Amount::parse_value(""), Err(AmountError::Empty));
        assert!(matches!(
            Amount::parse_value("99999999999999999999"),
            Err(AmountError::TooLarge { .. })
        ));
    }

    #[test]
    fn refuses_fractional_or_out_of_range_scale() {
        for scale in ["2.5", "256", "-1", "\"2\""] {
            let json = format!(r#"{{"value":"5","assetCode":"USD","assetScale":{scale}}}"#);
            assert!(from_json(&json).is_err(), "accepted scale {scale}");
        }
    }

    #[test]
    fn decimals_become_smallest_units_exactly() {
        assert_eq!(Amount::parse_decimal("12.50", 2), Ok(1250));
        assert_eq!(Amount::parse_decimal("12.5", 2), Ok(1250));
        assert_eq!(Amount::parse_decimal(" 13 ", 2), Ok(1300));
        assert_eq!(Amount::parse_decimal(".5", 2), Ok(50));
        assert_eq!(Amount::parse_decimal("1000", 0), Ok(1000));
        assert_eq!(Amount::parse_decimal("1000.", 0), Ok(1000));
        assert_eq!(Amount::parse_decimal("0.001", 3), Ok(1));
        assert_eq!(
            Amount::parse_decimal("184467440737095516.15", 2),
            Ok(u64::MAX)
        );
    }

    #[test]
    fn decimals_refused_say_what_is_wrong_with_an_example() {
        for (text, scale, says) in [
            ("", 2, "enter an amount, such as 12.50"),
            (
                "12.501",
                2,
                "more decimals than this asset allows (2), such as 12.50",
            ),
            (
                "1000.5",
                0,
                "more decimals than this asset allows (0), such as 1000",
            ),
            ("-1", 2, "`-1` is negative"),
            ("-0.50", 2, "negative"),
            ("0", 2, "more than zero"),
            ("0.00", 2, "more than zero"),
            ("1,000", 2, "not an amount"),
            ("1e3", 2, "not an amount"),
            ("+5", 2, "not an amount"),
            ("1.2.3", 2, "not an amount"),
            ("twelve", 0, "such as 1000"),
            ("-", 2, "not an amount"),
            ("184467440737095516.16", 2, "larger"),
        ] {
            let error = Amount::parse_decimal(text, scale).unwrap_err();
            assert!(error.to_string().contains(says), "{text:?}: {error}");
        }
    }

    #[test]
    fn accepts_leading_zeros() {
        assert_eq!(Amount::parse_value("007"), Ok(7));
    }

    #[test]
    fn displays_in_major_units_without_floats() {
        let amount = |value, asset_scale| Amount {
            value,
            asset_code: "USD".to_owned(),
            asset_scale,
        };
        assert_eq!(amount(500, 2).to_string(), "5.00 USD");
        assert_eq!(amount(5, 2).to_string(), "0.05 USD");
        assert_eq!(amount(5, 0).to_string(), "5 USD");
        assert_eq!(amount(u64::MAX, 9).to_string(), "18446744073.709551615 USD");
        assert_eq!(amount(1, 20).to_string(), "0.00000000000000000001 USD");
    }
}
