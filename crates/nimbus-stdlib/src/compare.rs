//! Equality and order of values: the one total order lives with the
//! values (`nimbus_value::order`), because type conversion to a set sorts
//! by it too.

pub(crate) use nimbus_value::order::{compare, compare_numbers, equal};
