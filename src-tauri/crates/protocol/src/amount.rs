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
