//! Conversions from the values users pass to `#[trace_genai(...)]` into attribute values
//! of the type the conventions require.
//!
//! Each typed key of the macro goes through one of these traits, so that `temperature`
//! is always recorded as a double, `max_tokens` as an int and `stop_sequences` as a
//! string array, whatever numeric or string type the caller holds. `Option::None`
//! converts to nothing: the attribute is simply not recorded.

use std::borrow::Cow;

use opentelemetry::{Array, StringValue, Value};

/// A value recorded as a string attribute (`gen_ai.request.model`, `gen_ai.tool.name`, …).
///
/// Implemented for `&str`, `String`, `&String`, `Cow<str>`, `Box<str>`, `Arc<str>` and
/// `Option`s of those.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be recorded as a string attribute",
    label = "expected a string, e.g. `\"gpt-4o\"` or `req.model.as_str()` (or an `Option` of one)"
)]
pub trait IntoStrValue {
    /// The string value, or `None` to record nothing.
    fn into_str_value(self) -> Option<StringValue>;
}

/// A value recorded as a double attribute (`gen_ai.request.temperature`, …).
///
/// Implemented for the float and integer primitives, references to them and `Option`s.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be recorded as a double attribute",
    label = "expected a number, e.g. `0.7` or `req.temperature` (or an `Option` of one)"
)]
pub trait IntoF64Value {
    /// The double value, or `None` to record nothing.
    fn into_f64_value(self) -> Option<f64>;
}

/// A value recorded as an int attribute (`gen_ai.request.max_tokens`, `server.port`, …).
///
/// Implemented for the integer primitives, references to them and `Option`s. Values
/// beyond `i64::MAX` saturate.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be recorded as an int attribute",
    label = "expected an integer, e.g. `256` or `req.max_tokens` (or an `Option` of one)"
)]
pub trait IntoI64Value {
    /// The int value, or `None` to record nothing.
    fn into_i64_value(self) -> Option<i64>;
}

/// A value recorded as a string-array attribute (`gen_ai.request.stop_sequences`).
///
/// Implemented for slices, arrays and `Vec`s of string types, and `Option`s of those.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be recorded as a string-array attribute",
    label = "expected a list of strings, e.g. `[\"END\"]` or `&req.stop` (or an `Option` of one)"
)]
pub trait IntoStrArrayValue {
    /// The array value, or `None` to record nothing.
    fn into_str_array_value(self) -> Option<Vec<StringValue>>;
}

/// A value recorded as a custom attribute of any OpenTelemetry type (`fields(...)`).
///
/// Implemented for `bool`, the numeric primitives, the string types, `Vec`s and slices
/// of those, `opentelemetry::Value`, references and `Option`s.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be recorded as an attribute value",
    label = "expected a bool, number, string, or a list of one of those (or an `Option`)"
)]
pub trait IntoAttributeValue {
    /// The attribute value, or `None` to record nothing.
    fn into_attribute_value(self) -> Option<Value>;
}

// ---- strings -------------------------------------------------------------------------

impl IntoStrValue for &str {
    fn into_str_value(self) -> Option<StringValue> {
        Some(StringValue::from(self.to_owned()))
    }
}

impl IntoStrValue for String {
    fn into_str_value(self) -> Option<StringValue> {
        Some(StringValue::from(self))
    }
}

impl IntoStrValue for &String {
    fn into_str_value(self) -> Option<StringValue> {
        self.as_str().into_str_value()
    }
}

impl IntoStrValue for Cow<'_, str> {
    fn into_str_value(self) -> Option<StringValue> {
        Some(StringValue::from(self.into_owned()))
    }
}

impl IntoStrValue for &Cow<'_, str> {
    fn into_str_value(self) -> Option<StringValue> {
        self.as_ref().into_str_value()
    }
}

impl IntoStrValue for Box<str> {
    fn into_str_value(self) -> Option<StringValue> {
        Some(StringValue::from(String::from(self)))
    }
}

impl IntoStrValue for &Box<str> {
    fn into_str_value(self) -> Option<StringValue> {
        (**self).into_str_value()
    }
}

impl IntoStrValue for std::sync::Arc<str> {
    fn into_str_value(self) -> Option<StringValue> {
        Some(StringValue::from(self))
    }
}

impl IntoStrValue for &std::sync::Arc<str> {
    fn into_str_value(self) -> Option<StringValue> {
        Some(StringValue::from(std::sync::Arc::clone(self)))
    }
}

impl IntoStrValue for StringValue {
    fn into_str_value(self) -> Option<StringValue> {
        Some(self)
    }
}

impl<T: IntoStrValue> IntoStrValue for Option<T> {
    fn into_str_value(self) -> Option<StringValue> {
        self.and_then(IntoStrValue::into_str_value)
    }
}

impl<'a, T> IntoStrValue for &'a Option<T>
where
    &'a T: IntoStrValue,
{
    fn into_str_value(self) -> Option<StringValue> {
        self.as_ref().and_then(IntoStrValue::into_str_value)
    }
}

// ---- numbers -------------------------------------------------------------------------

macro_rules! numeric_impls {
    (f64: $($float:ty),*; i64 lossless: $($small:ty),*; i64 saturating: $($big:ty),*) => {
        $(
            impl IntoF64Value for $float {
                fn into_f64_value(self) -> Option<f64> {
                    Some(Widen::widen(self))
                }
            }
            impl IntoAttributeValue for $float {
                fn into_attribute_value(self) -> Option<Value> {
                    Some(Value::F64(Widen::widen(self)))
                }
            }
        )*
        $(
            impl IntoF64Value for $small {
                fn into_f64_value(self) -> Option<f64> {
                    Some(f64::from(self))
                }
            }
            impl IntoI64Value for $small {
                fn into_i64_value(self) -> Option<i64> {
                    Some(i64::from(self))
                }
            }
            impl IntoAttributeValue for $small {
                fn into_attribute_value(self) -> Option<Value> {
                    Some(Value::I64(i64::from(self)))
                }
            }
        )*
        $(
            impl IntoF64Value for $big {
                #[allow(clippy::cast_precision_loss, reason = "a double attribute is what the convention asks for")]
                fn into_f64_value(self) -> Option<f64> {
                    Some(self as f64)
                }
            }
            impl IntoI64Value for $big {
                fn into_i64_value(self) -> Option<i64> {
                    Some(i64::try_from(self).unwrap_or(if self > 0 as $big { i64::MAX } else { i64::MIN }))
                }
            }
            impl IntoAttributeValue for $big {
                fn into_attribute_value(self) -> Option<Value> {
                    IntoI64Value::into_i64_value(self).map(Value::I64)
                }
            }
        )*
    };
}

/// Floats as the double a reader expects: an `f32` `0.2` is recorded as `0.2`, not as
/// its binary value `0.20000000298023224`.
trait Widen {
    fn widen(self) -> f64;
}

impl Widen for f64 {
    fn widen(self) -> f64 {
        self
    }
}

impl Widen for f32 {
    fn widen(self) -> f64 {
        widen_f32(self)
    }
}

/// The double with the same shortest decimal form as `value`.
pub(crate) fn widen_f32(value: f32) -> f64 {
    value.to_string().parse().unwrap_or(f64::from(value))
}

numeric_impls!(
    f64: f32, f64;
    i64 lossless: i8, i16, i32, u8, u16, u32;
    i64 saturating: u64, usize, isize, i128, u128
);

macro_rules! forward_ref_and_option {
    ($trait:ident :: $method:ident -> $out:ty; $($ty:ty),*) => {
        $(
            impl $trait for &$ty {
                fn $method(self) -> Option<$out> {
                    (*self).$method()
                }
            }
        )*
        impl<T: $trait> $trait for Option<T> {
            fn $method(self) -> Option<$out> {
                self.and_then($trait::$method)
            }
        }
        impl<T: $trait + Copy> $trait for &Option<T> {
            fn $method(self) -> Option<$out> {
                self.and_then($trait::$method)
            }
        }
    };
}

forward_ref_and_option!(IntoF64Value::into_f64_value -> f64;
    f32, f64, i8, i16, i32, i64, u8, u16, u32, u64, usize, isize, i128, u128);
forward_ref_and_option!(IntoI64Value::into_i64_value -> i64;
    i8, i16, i32, i64, u8, u16, u32, u64, usize, isize, i128, u128);

impl IntoF64Value for i64 {
    #[allow(
        clippy::cast_precision_loss,
        reason = "a double attribute is what the convention asks for"
    )]
    fn into_f64_value(self) -> Option<f64> {
        Some(self as f64)
    }
}

impl IntoI64Value for i64 {
    fn into_i64_value(self) -> Option<i64> {
        Some(self)
    }
}

impl IntoAttributeValue for i64 {
    fn into_attribute_value(self) -> Option<Value> {
        Some(Value::I64(self))
    }
}

// ---- string arrays -------------------------------------------------------------------

fn str_array<'a>(items: impl IntoIterator<Item = &'a str>) -> Vec<StringValue> {
    items
        .into_iter()
        .map(|s| StringValue::from(s.to_owned()))
        .collect()
}

impl IntoStrArrayValue for Vec<String> {
    fn into_str_array_value(self) -> Option<Vec<StringValue>> {
        Some(self.into_iter().map(StringValue::from).collect())
    }
}

impl IntoStrArrayValue for &[String] {
    fn into_str_array_value(self) -> Option<Vec<StringValue>> {
        Some(str_array(self.iter().map(String::as_str)))
    }
}

impl IntoStrArrayValue for &Vec<String> {
    fn into_str_array_value(self) -> Option<Vec<StringValue>> {
        self.as_slice().into_str_array_value()
    }
}

impl IntoStrArrayValue for Vec<&str> {
    fn into_str_array_value(self) -> Option<Vec<StringValue>> {
        Some(str_array(self))
    }
}

impl IntoStrArrayValue for &[&str] {
    fn into_str_array_value(self) -> Option<Vec<StringValue>> {
        Some(str_array(self.iter().copied()))
    }
}

impl IntoStrArrayValue for &Vec<&str> {
    fn into_str_array_value(self) -> Option<Vec<StringValue>> {
        self.as_slice().into_str_array_value()
    }
}

impl<const N: usize> IntoStrArrayValue for [&str; N] {
    fn into_str_array_value(self) -> Option<Vec<StringValue>> {
        Some(str_array(self))
    }
}

impl<const N: usize> IntoStrArrayValue for &[&str; N] {
    fn into_str_array_value(self) -> Option<Vec<StringValue>> {
        Some(str_array(self.iter().copied()))
    }
}

impl<T: IntoStrArrayValue> IntoStrArrayValue for Option<T> {
    fn into_str_array_value(self) -> Option<Vec<StringValue>> {
        self.and_then(IntoStrArrayValue::into_str_array_value)
    }
}

impl<'a, T> IntoStrArrayValue for &'a Option<T>
where
    &'a T: IntoStrArrayValue,
{
    fn into_str_array_value(self) -> Option<Vec<StringValue>> {
        self.as_ref()
            .and_then(IntoStrArrayValue::into_str_array_value)
    }
}

// ---- any attribute -------------------------------------------------------------------

impl IntoAttributeValue for bool {
    fn into_attribute_value(self) -> Option<Value> {
        Some(Value::Bool(self))
    }
}

impl IntoAttributeValue for Value {
    fn into_attribute_value(self) -> Option<Value> {
        Some(self)
    }
}

impl IntoAttributeValue for &Value {
    fn into_attribute_value(self) -> Option<Value> {
        Some(self.clone())
    }
}

macro_rules! attribute_via_str {
    ($($ty:ty),*) => {
        $(
            impl IntoAttributeValue for $ty {
                fn into_attribute_value(self) -> Option<Value> {
                    self.into_str_value().map(Value::String)
                }
            }
        )*
    };
}

attribute_via_str!(
    &str,
    String,
    &String,
    Cow<'_, str>,
    &Cow<'_, str>,
    Box<str>,
    std::sync::Arc<str>,
    StringValue
);

macro_rules! attribute_via_str_array {
    ($($ty:ty),*) => {
        $(
            impl IntoAttributeValue for $ty {
                fn into_attribute_value(self) -> Option<Value> {
                    self.into_str_array_value().map(|v| Value::Array(Array::String(v)))
                }
            }
        )*
    };
}

attribute_via_str_array!(
    Vec<String>,
    &[String],
    &Vec<String>,
    Vec<&str>,
    &[&str],
    &Vec<&str>
);

impl<const N: usize> IntoAttributeValue for [&str; N] {
    fn into_attribute_value(self) -> Option<Value> {
        self.into_str_array_value()
            .map(|v| Value::Array(Array::String(v)))
    }
}

impl<const N: usize> IntoAttributeValue for &[&str; N] {
    fn into_attribute_value(self) -> Option<Value> {
        self.into_str_array_value()
            .map(|v| Value::Array(Array::String(v)))
    }
}

macro_rules! attribute_arrays {
    ($($variant:ident($ty:ty)),*) => {
        $(
            impl IntoAttributeValue for Vec<$ty> {
                fn into_attribute_value(self) -> Option<Value> {
                    Some(Value::Array(Array::$variant(self)))
                }
            }
            impl IntoAttributeValue for &[$ty] {
                fn into_attribute_value(self) -> Option<Value> {
                    Some(Value::Array(Array::$variant(self.to_vec())))
                }
            }
            impl IntoAttributeValue for &Vec<$ty> {
                fn into_attribute_value(self) -> Option<Value> {
                    self.as_slice().into_attribute_value()
                }
            }
            impl<const N: usize> IntoAttributeValue for [$ty; N] {
                fn into_attribute_value(self) -> Option<Value> {
                    Some(Value::Array(Array::$variant(self.to_vec())))
                }
            }
            impl<const N: usize> IntoAttributeValue for &[$ty; N] {
                fn into_attribute_value(self) -> Option<Value> {
                    Some(Value::Array(Array::$variant(self.to_vec())))
                }
            }
        )*
    };
}

attribute_arrays!(I64(i64), F64(f64), Bool(bool));

forward_ref_and_option!(IntoAttributeValue::into_attribute_value -> Value;
    bool, f32, f64, i8, i16, i32, i64, u8, u16, u32, u64, usize, isize, i128, u128);

// ---- references to references (`model = &req.model` is taken as `&&String`) ----------

macro_rules! through_double_ref {
    ($($trait:ident :: $method:ident -> $out:ty;)*) => {
        $(
            impl<'a, T: ?Sized> $trait for &&'a T
            where
                &'a T: $trait,
            {
                fn $method(self) -> Option<$out> {
                    (*self).$method()
                }
            }
        )*
    };
}

through_double_ref! {
    IntoStrValue::into_str_value -> StringValue;
    IntoF64Value::into_f64_value -> f64;
    IntoI64Value::into_i64_value -> i64;
    IntoStrArrayValue::into_str_array_value -> Vec<StringValue>;
    IntoAttributeValue::into_attribute_value -> Value;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_convention_type() {
        assert_eq!(0.5_f32.into_f64_value(), Some(0.5));
        assert_eq!(0.2_f32.into_f64_value(), Some(0.2));
        assert_eq!(0.7_f32.into_attribute_value(), Some(Value::F64(0.7)));
        assert_eq!(Some(0.25_f64).into_f64_value(), Some(0.25));
        assert_eq!(None::<f32>.into_f64_value(), None);
        assert_eq!((&7_u32).into_i64_value(), Some(7));
        assert_eq!(u64::MAX.into_i64_value(), Some(i64::MAX));
        assert_eq!(i128::MIN.into_i64_value(), Some(i64::MIN));
        assert_eq!(40_usize.into_f64_value(), Some(40.0));
    }

    #[test]
    fn arrays_of_every_type_by_reference() {
        assert_eq!(
            (&vec![1_i64, 2]).into_attribute_value(),
            Some(Value::Array(Array::I64(vec![1, 2])))
        );
        assert_eq!(
            (&[0.5_f64]).into_attribute_value(),
            Some(Value::Array(Array::F64(vec![0.5])))
        );
        assert_eq!(
            (&vec![true]).into_attribute_value(),
            Some(Value::Array(Array::Bool(vec![true])))
        );
        assert_eq!(
            (&["a", "b"]).into_attribute_value(),
            Some(Value::Array(Array::String(vec!["a".into(), "b".into()])))
        );
    }

    #[test]
    fn strings_and_arrays() {
        let owned = String::from("gpt-4o");
        assert_eq!(
            (&owned).into_str_value().map(|s| s.to_string()),
            Some("gpt-4o".to_owned())
        );
        assert_eq!(None::<&str>.into_str_value(), None);
        let stop = vec![String::from("a"), String::from("b")];
        assert_eq!((&stop).into_str_array_value().map(|v| v.len()), Some(2));
        assert_eq!(
            ["x"].into_attribute_value(),
            Some(Value::Array(Array::String(vec![StringValue::from("x")])))
        );
        assert_eq!(true.into_attribute_value(), Some(Value::Bool(true)));
        assert_eq!(None::<i64>.into_attribute_value(), None);
    }
}
