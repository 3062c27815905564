//! Terraform's type system on the wire: cty types in their JSON notation,
//! and values encoded as msgpack (what `DynamicValue.msgpack` carries) or
//! JSON (`DynamicValue.json`, stored state), converted to and from Nimbus
//! [`Value`]s.
//!
//! Wire rules followed here:
//! - an unknown value is msgpack extension type 0 (one zero byte of data);
//!   any extension read back is taken as unknown, including the "refined
//!   unknown" extension 12 newer providers send;
//! - null is msgpack nil, whatever the type;
//! - numbers go out as an integer when exact, else a float, else a decimal
//!   string; all three are accepted back;
//! - the dynamic pseudo-type carries its value's type along: a two-element
//!   array `[type JSON (bytes), value]` in msgpack, and
//!   `{"value": ..., "type": ...}` in JSON;
//! - objects always carry every attribute of their type.

use nimbus_value::{Number, Type, Value, parse_number};
use rmpv::Value as Mp;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::fmt;

/// A cty type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CtyType {
    Bool,
    Number,
    String,
    /// The dynamic pseudo-type: any type, decided per value.
    Dynamic,
    List(Box<CtyType>),
    Set(Box<CtyType>),
    Map(Box<CtyType>),
    Object(BTreeMap<String, CtyType>),
    Tuple(Vec<CtyType>),
}

/// A value or type that does not fit; `path` says where (`triggers.a`,
/// `rule[2].port`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", if path.is_empty() { String::new() } else { format!("at `{path}`: ") })]
pub struct CtyError {
    pub path: String,
    pub message: String,
}

fn err<T>(path: &str, message: impl Into<String>) -> Result<T, CtyError> {
    Err(CtyError {
        path: path.to_string(),
        message: message.into(),
    })
}

fn attr_path(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

fn index_path(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// The extension type cty writes for an unknown value.
pub const UNKNOWN_EXT: i8 = 0;

impl CtyType {
    pub fn list(t: CtyType) -> CtyType {
        CtyType::List(Box::new(t))
    }

    pub fn set(t: CtyType) -> CtyType {
        CtyType::Set(Box::new(t))
    }

    pub fn map(t: CtyType) -> CtyType {
        CtyType::Map(Box::new(t))
    }

    /// Reads the JSON notation of a type: `"string"`, `["list","number"]`,
    /// `["object",{"a":"bool"}]` (a third element listing optional
    /// attributes is accepted and ignored), `["tuple",[...]]`.
    pub fn from_json(json: &Json) -> Result<CtyType, CtyError> {
        match json {
            Json::String(s) => match s.as_str() {
                "string" => Ok(CtyType::String),
                "number" => Ok(CtyType::Number),
                "bool" => Ok(CtyType::Bool),
                "dynamic" => Ok(CtyType::Dynamic),
                other => err("", format!("unsupported type {other:?}")),
            },
            Json::Array(parts) if parts.len() >= 2 => {
                let kind = parts[0].as_str().unwrap_or_default();
                match kind {
                    "list" => Ok(CtyType::list(CtyType::from_json(&parts[1])?)),
                    "set" => Ok(CtyType::set(CtyType::from_json(&parts[1])?)),
                    "map" => Ok(CtyType::map(CtyType::from_json(&parts[1])?)),
                    "object" => {
                        let Json::Object(fields) = &parts[1] else {
                            return err("", "an object type needs a map of attribute types");
                        };
                        let mut out = BTreeMap::new();
                        for (name, t) in fields {
                            out.insert(name.clone(), CtyType::from_json(t)?);
                        }
                        Ok(CtyType::Object(out))
                    }
                    "tuple" => {
                        let Json::Array(items) = &parts[1] else {
                            return err("", "a tuple type needs a list of element types");
                        };
                        Ok(CtyType::Tuple(
                            items
                                .iter()
                                .map(CtyType::from_json)
                                .collect::<Result<_, _>>()?,
                        ))
                    }
                    "capsule" => err("", "capsule types cannot cross the plugin protocol"),
                    other => err("", format!("unsupported type kind {other:?}")),
                }
            }
            other => err("", format!("not a type: {other}")),
        }
    }

    /// Parses the bytes of a schema attribute's `type` field.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<CtyType, CtyError> {
        let json: Json = serde_json::from_slice(bytes).map_err(|e| CtyError {
            path: String::new(),
            message: format!("type is not JSON: {e}"),
        })?;
        CtyType::from_json(&json)
    }

    pub fn to_json(&self) -> Json {
        match self {
            CtyType::Bool => Json::from("bool"),
            CtyType::Number => Json::from("number"),
            CtyType::String => Json::from("string"),
            CtyType::Dynamic => Json::from("dynamic"),
            CtyType::List(t) => Json::Array(vec!["list".into(), t.to_json()]),
            CtyType::Set(t) => Json::Array(vec!["set".into(), t.to_json()]),
            CtyType::Map(t) => Json::Array(vec!["map".into(), t.to_json()]),
            CtyType::Object(fields) => Json::Array(vec![
                "object".into(),
                Json::Object(
                    fields
                        .iter()
                        .map(|(k, t)| (k.clone(), t.to_json()))
                        .collect(),
                ),
            ]),
            CtyType::Tuple(items) => Json::Array(vec![
                "tuple".into(),
                Json::Array(items.iter().map(CtyType::to_json).collect()),
            ]),
        }
    }

    /// The Nimbus type users see.
    pub fn to_nimbus(&self) -> Type {
        match self {
            CtyType::Bool => Type::Bool,
            CtyType::Number => Type::Number,
            CtyType::String => Type::String,
            CtyType::Dynamic => Type::Any,
            CtyType::List(t) => Type::list(t.to_nimbus()),
            CtyType::Set(t) => Type::set(t.to_nimbus()),
            CtyType::Map(t) => Type::map(t.to_nimbus()),
            CtyType::Object(fields) => Type::Object(
                fields
                    .iter()
                    .map(|(k, t)| (k.clone(), t.to_nimbus()))
                    .collect(),
            ),
            CtyType::Tuple(types) => Type::Tuple(types.iter().map(CtyType::to_nimbus).collect()),
        }
    }

    /// The type of a value, for values of the dynamic pseudo-type: lists
    /// become tuples and maps objects, as cty infers them.
    pub fn infer(value: &Value) -> CtyType {
        match value {
            Value::Null | Value::Unknown => CtyType::Dynamic,
            Value::Bool(_) => CtyType::Bool,
            Value::Number(_) => CtyType::Number,
            Value::String(_) => CtyType::String,
            Value::List(items) => CtyType::Tuple(items.iter().map(CtyType::infer).collect()),
            Value::Map(map) => CtyType::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), CtyType::infer(v)))
                    .collect(),
            ),
            Value::Sensitive(inner) => CtyType::infer(inner),
        }
    }
}

impl fmt::Display for CtyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_json())
    }
}

// ---------------------------------------------------------------- msgpack

/// Encodes `value` as msgpack against `ty`.
pub fn to_msgpack(value: &Value, ty: &CtyType) -> Result<Vec<u8>, CtyError> {
    let mp = encode(value, ty, "")?;
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, &mp).map_err(|e| CtyError {
        path: String::new(),
        message: format!("msgpack encoding failed: {e}"),
    })?;
    Ok(out)
}

/// Decodes msgpack written against `ty`.
pub fn from_msgpack(bytes: &[u8], ty: &CtyType) -> Result<Value, CtyError> {
    let mut reader = bytes;
    let mp = rmpv::decode::read_value(&mut reader).map_err(|e| CtyError {
        path: String::new(),
        message: format!("invalid msgpack: {e}"),
    })?;
    decode(mp, ty, "")
}

fn unknown() -> Mp {
    Mp::Ext(UNKNOWN_EXT, vec![0])
}

fn encode_number(n: Number) -> Mp {
    match n {
        Number::Int(i) => {
            if let Ok(small) = i64::try_from(i) {
                Mp::from(small)
            } else if let Ok(unsigned) = u64::try_from(i) {
                Mp::from(unsigned)
            } else {
                Mp::from(i.to_string())
            }
        }
        Number::Float(f) => match Number::Float(f).normalize() {
            Number::Int(i) => Mp::from(i as i64),
            _ => Mp::F64(f),
        },
    }
}

fn encode(value: &Value, ty: &CtyType, path: &str) -> Result<Mp, CtyError> {
    let value = value.peel();
    if *ty == CtyType::Dynamic {
        return match value {
            Value::Unknown => Ok(unknown()),
            Value::Null => Ok(Mp::Nil),
            v => {
                let inferred = CtyType::infer(v);
                let type_json = inferred.to_json().to_string().into_bytes();
                Ok(Mp::Array(vec![
                    Mp::Binary(type_json),
                    encode(v, &inferred, path)?,
                ]))
            }
        };
    }
    match (ty, value) {
        (_, Value::Unknown) => Ok(unknown()),
        (_, Value::Null) => Ok(Mp::Nil),
        (CtyType::String, Value::String(s)) => Ok(Mp::from(s.as_str())),
        (CtyType::String, Value::Number(n)) => Ok(Mp::from(n.to_string())),
        (CtyType::String, Value::Bool(b)) => Ok(Mp::from(b.to_string())),
        (CtyType::Number, Value::Number(n)) => Ok(encode_number(*n)),
        (CtyType::Number, Value::String(s)) => match parse_number(s) {
            Some(n) => Ok(encode_number(n)),
            None => err(path, format!("expected a number, found the string {s:?}")),
        },
        (CtyType::Bool, Value::Bool(b)) => Ok(Mp::Boolean(*b)),
        (CtyType::Bool, Value::String(s)) if s == "true" || s == "false" => {
            Ok(Mp::Boolean(s == "true"))
        }
        (CtyType::List(t) | CtyType::Set(t), Value::List(items)) => Ok(Mp::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| encode(v, t, &index_path(path, i)))
                .collect::<Result<_, _>>()?,
        )),
        (CtyType::Tuple(types), Value::List(items)) => {
            if types.len() != items.len() {
                return err(
                    path,
                    format!("expected {} elements, found {}", types.len(), items.len()),
                );
            }
            Ok(Mp::Array(
                items
                    .iter()
                    .zip(types)
                    .enumerate()
                    .map(|(i, (v, t))| encode(v, t, &index_path(path, i)))
                    .collect::<Result<_, _>>()?,
            ))
        }
        (CtyType::Map(t), Value::Map(map)) => Ok(Mp::Map(
            map.iter()
                .map(|(k, v)| Ok((Mp::from(k.as_str()), encode(v, t, &attr_path(path, k))?)))
                .collect::<Result<_, CtyError>>()?,
        )),
        (CtyType::Object(fields), Value::Map(map)) => {
            if let Some(extra) = map.keys().find(|k| !fields.contains_key(*k)) {
                return err(path, format!("unsupported attribute `{extra}`"));
            }
            Ok(Mp::Map(
                fields
                    .iter()
                    .map(|(k, t)| {
                        let v = map.get(k).unwrap_or(&Value::Null);
                        Ok((Mp::from(k.as_str()), encode(v, t, &attr_path(path, k))?))
                    })
                    .collect::<Result<_, CtyError>>()?,
            ))
        }
        (t, v) => err(
            path,
            format!("expected {}, found {}", describe(t), v.kind_name()),
        ),
    }
}

fn describe(ty: &CtyType) -> String {
    match ty {
        CtyType::Bool => "bool".into(),
        CtyType::Number => "number".into(),
        CtyType::String => "string".into(),
        CtyType::Dynamic => "any value".into(),
        CtyType::List(_) => "list".into(),
        CtyType::Set(_) => "set".into(),
        CtyType::Map(_) => "map".into(),
        CtyType::Object(_) => "object".into(),
        CtyType::Tuple(_) => "tuple".into(),
    }
}

fn mp_string(mp: Mp, path: &str) -> Result<String, CtyError> {
    match mp {
        Mp::String(s) => match s.into_str() {
            Some(s) => Ok(s),
            None => err(path, "string is not valid UTF-8"),
        },
        Mp::Binary(b) => String::from_utf8(b).or_else(|_| err(path, "string is not valid UTF-8")),
        other => err(path, format!("expected a string, found {other}")),
    }
}

/// Sorts and deduplicates set elements the way Nimbus represents sets, so
/// that a set read back compares equal to the same set read from state.
pub fn canonical_set(mut items: Vec<Value>) -> Vec<Value> {
    items.sort_by_cached_key(|v| v.to_json().to_string());
    items.dedup();
    items
}

fn decode(mp: Mp, ty: &CtyType, path: &str) -> Result<Value, CtyError> {
    if let Mp::Ext(..) = mp {
        return Ok(Value::Unknown);
    }
    if *ty == CtyType::Dynamic {
        return match mp {
            Mp::Nil => Ok(Value::Null),
            Mp::Array(mut parts) if parts.len() == 2 => {
                let value = parts.pop().unwrap_or(Mp::Nil);
                let type_json = mp_string(parts.pop().unwrap_or(Mp::Nil), path)?;
                let actual = serde_json::from_str(&type_json)
                    .map_err(|e| CtyError {
                        path: path.to_string(),
                        message: format!("dynamic value with an unreadable type: {e}"),
                    })
                    .and_then(|j| CtyType::from_json(&j))?;
                decode(value, &actual, path)
            }
            other => err(
                path,
                format!("a dynamic value must be [type, value], found {other}"),
            ),
        };
    }
    if let Mp::Nil = mp {
        return Ok(Value::Null);
    }
    match ty {
        CtyType::String => Ok(Value::String(mp_string(mp, path)?)),
        CtyType::Bool => match mp {
            Mp::Boolean(b) => Ok(Value::Bool(b)),
            other => err(path, format!("expected a bool, found {other}")),
        },
        CtyType::Number => match mp {
            Mp::Integer(i) => {
                if let Some(v) = i.as_i64() {
                    Ok(Value::Number(Number::Int(v as i128)))
                } else if let Some(v) = i.as_u64() {
                    Ok(Value::Number(Number::Int(v as i128)))
                } else {
                    err(path, "integer out of range")
                }
            }
            Mp::F64(f) => Ok(Value::Number(Number::Float(f).normalize())),
            Mp::F32(f) => Ok(Value::Number(Number::Float(f as f64).normalize())),
            Mp::String(_) | Mp::Binary(_) => {
                let s = mp_string(mp, path)?;
                match parse_number(&s) {
                    Some(n) => Ok(Value::Number(n)),
                    None => err(path, format!("expected a number, found the string {s:?}")),
                }
            }
            other => err(path, format!("expected a number, found {other}")),
        },
        CtyType::List(t) | CtyType::Set(t) => match mp {
            Mp::Array(items) => {
                let items = items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| decode(v, t, &index_path(path, i)))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Value::List(if matches!(ty, CtyType::Set(_)) {
                    canonical_set(items)
                } else {
                    items
                }))
            }
            other => err(path, format!("expected a list, found {other}")),
        },
        CtyType::Tuple(types) => match mp {
            Mp::Array(items) if items.len() == types.len() => Ok(Value::List(
                items
                    .into_iter()
                    .zip(types)
                    .enumerate()
                    .map(|(i, (v, t))| decode(v, t, &index_path(path, i)))
                    .collect::<Result<_, _>>()?,
            )),
            other => err(
                path,
                format!(
                    "expected a tuple of {} elements, found {other}",
                    types.len()
                ),
            ),
        },
        CtyType::Map(t) => match mp {
            Mp::Map(entries) => {
                let mut out = BTreeMap::new();
                for (k, v) in entries {
                    let k = mp_string(k, path)?;
                    let p = attr_path(path, &k);
                    out.insert(k, decode(v, t, &p)?);
                }
                Ok(Value::Map(out))
            }
            other => err(path, format!("expected a map, found {other}")),
        },
        CtyType::Object(fields) => match mp {
            Mp::Map(entries) => {
                let mut out = BTreeMap::new();
                for (k, v) in entries {
                    let k = mp_string(k, path)?;
                    let p = attr_path(path, &k);
                    let Some(t) = fields.get(&k) else {
                        return err(path, format!("unsupported attribute `{k}`"));
                    };
                    out.insert(k, decode(v, t, &p)?);
                }
                for name in fields.keys() {
                    out.entry(name.clone()).or_insert(Value::Null);
                }
                Ok(Value::Map(out))
            }
            other => err(path, format!("expected an object, found {other}")),
        },
        CtyType::Dynamic => unreachable!("handled above"),
    }
}

// ------------------------------------------------------------------- JSON

/// Encodes `value` as cty JSON against `ty` (the form of stored state and
/// of `RawState.json`). Unknown values have no JSON form and become null.
pub fn to_cty_json(value: &Value, ty: &CtyType) -> Json {
    let value = value.peel();
    match (ty, value) {
        (_, Value::Null | Value::Unknown) => Json::Null,
        (CtyType::Dynamic, v) => {
            let inferred = CtyType::infer(v);
            serde_json::json!({ "value": to_cty_json(v, &inferred), "type": inferred.to_json() })
        }
        (CtyType::List(t) | CtyType::Set(t), Value::List(items)) => {
            Json::Array(items.iter().map(|v| to_cty_json(v, t)).collect())
        }
        (CtyType::Tuple(types), Value::List(items)) => Json::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| to_cty_json(v, types.get(i).unwrap_or(&CtyType::Dynamic)))
                .collect(),
        ),
        (CtyType::Map(t), Value::Map(map)) => Json::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), to_cty_json(v, t)))
                .collect(),
        ),
        (CtyType::Object(fields), Value::Map(map)) => Json::Object(
            fields
                .iter()
                .map(|(k, t)| {
                    (
                        k.clone(),
                        to_cty_json(map.get(k).unwrap_or(&Value::Null), t),
                    )
                })
                .collect(),
        ),
        (CtyType::Number, Value::String(s)) => match parse_number(s) {
            Some(n) => Value::Number(n).to_json(),
            None => Json::String(s.clone()),
        },
        (CtyType::String, Value::Number(n)) => Json::String(n.to_string()),
        (CtyType::String, Value::Bool(b)) => Json::String(b.to_string()),
        (_, v) => v.to_json(),
    }
}

/// Decodes cty JSON written against `ty`.
pub fn from_cty_json(json: &Json, ty: &CtyType) -> Result<Value, CtyError> {
    from_json_at(json, ty, "")
}

fn from_json_at(json: &Json, ty: &CtyType, path: &str) -> Result<Value, CtyError> {
    if json.is_null() {
        return Ok(Value::Null);
    }
    match ty {
        CtyType::Dynamic => {
            let (Some(value), Some(t)) = (json.get("value"), json.get("type")) else {
                return err(
                    path,
                    "a dynamic value must be {\"value\": ..., \"type\": ...}",
                );
            };
            from_json_at(value, &CtyType::from_json(t)?, path)
        }
        CtyType::String => match json {
            Json::String(s) => Ok(Value::String(s.clone())),
            Json::Number(n) => Ok(Value::String(n.to_string())),
            Json::Bool(b) => Ok(Value::String(b.to_string())),
            other => err(path, format!("expected a string, found {other}")),
        },
        CtyType::Number => match json {
            Json::Number(_) => Ok(Value::from_json(json)),
            Json::String(s) => match parse_number(s) {
                Some(n) => Ok(Value::Number(n)),
                None => err(path, format!("expected a number, found the string {s:?}")),
            },
            other => err(path, format!("expected a number, found {other}")),
        },
        CtyType::Bool => match json {
            Json::Bool(b) => Ok(Value::Bool(*b)),
            Json::String(s) if s == "true" || s == "false" => Ok(Value::Bool(s == "true")),
            other => err(path, format!("expected a bool, found {other}")),
        },
        CtyType::List(t) | CtyType::Set(t) => match json {
            Json::Array(items) => {
                let items = items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| from_json_at(v, t, &index_path(path, i)))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Value::List(if matches!(ty, CtyType::Set(_)) {
                    canonical_set(items)
                } else {
                    items
                }))
            }
            other => err(path, format!("expected a list, found {other}")),
        },
        CtyType::Tuple(types) => match json {
            Json::Array(items) if items.len() == types.len() => Ok(Value::List(
                items
                    .iter()
                    .zip(types)
                    .enumerate()
                    .map(|(i, (v, t))| from_json_at(v, t, &index_path(path, i)))
                    .collect::<Result<_, _>>()?,
            )),
            other => err(
                path,
                format!(
                    "expected a tuple of {} elements, found {other}",
                    types.len()
                ),
            ),
        },
        CtyType::Map(t) => match json {
            Json::Object(map) => Ok(Value::Map(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), from_json_at(v, t, &attr_path(path, k))?)))
                    .collect::<Result<_, CtyError>>()?,
            )),
            other => err(path, format!("expected a map, found {other}")),
        },
        CtyType::Object(fields) => match json {
            Json::Object(map) => {
                if let Some(extra) = map.keys().find(|k| !fields.contains_key(*k)) {
                    return err(path, format!("unsupported attribute `{extra}`"));
                }
                Ok(Value::Map(
                    fields
                        .iter()
                        .map(|(k, t)| {
                            let v = map.get(k).unwrap_or(&Json::Null);
                            Ok((k.clone(), from_json_at(v, t, &attr_path(path, k))?))
                        })
                        .collect::<Result<_, CtyError>>()?,
                ))
            }
            other => err(path, format!("expected an object, found {other}")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use nimbus_provider::testing::obj;

    fn ty(json: &str) -> CtyType {
        CtyType::from_json(&serde_json::from_str(json).unwrap()).unwrap()
    }

    #[test]
    fn types_round_trip_through_json() {
        for text in [
            r#""string""#,
            r#"["list","number"]"#,
            r#"["set",["map","bool"]]"#,
            r#"["object",{"a":"string","b":["tuple",["number","dynamic"]]}]"#,
        ] {
            let t = ty(text);
            assert_eq!(CtyType::from_json(&t.to_json()).unwrap(), t);
        }
        // Optional-attribute markers of object types are accepted.
        assert_eq!(
            ty(r#"["object",{"a":"string"},["a"]]"#),
            ty(r#"["object",{"a":"string"}]"#)
        );
        assert!(CtyType::from_json(&serde_json::json!("float")).is_err());
        assert_eq!(
            ty(r#"["map","string"]"#).to_nimbus(),
            Type::map(Type::String)
        );
    }

    #[test]
    fn objects_round_trip_through_msgpack() {
        let t = ty(
            r#"["object",{"id":"string","n":"number","on":"bool","tags":["map","string"],"l":["list","number"],"s":["set","string"]}]"#,
        );
        let v = obj(&[
            ("id", Value::string("x")),
            ("n", Value::Number(Number::Float(1.5))),
            ("on", Value::Bool(true)),
            ("tags", obj(&[("a", Value::string("b"))])),
            ("l", Value::List(vec![Value::int(1), Value::Unknown])),
            (
                "s",
                Value::List(vec![Value::string("a"), Value::string("b")]),
            ),
        ]);
        let bytes = to_msgpack(&v, &t).unwrap();
        assert_eq!(from_msgpack(&bytes, &t).unwrap(), v);
    }

    #[test]
    fn missing_attributes_are_null_and_extra_ones_are_refused() {
        let t = ty(r#"["object",{"a":"string","b":"number"}]"#);
        let bytes = to_msgpack(&obj(&[("a", Value::string("x"))]), &t).unwrap();
        assert_eq!(
            from_msgpack(&bytes, &t).unwrap(),
            obj(&[("a", Value::string("x")), ("b", Value::Null)])
        );
        let e = to_msgpack(&obj(&[("c", Value::Null)]), &t).unwrap_err();
        assert!(e.message.contains("`c`"), "{e}");
    }

    #[test]
    fn unknowns_are_extension_zero_and_any_extension_reads_as_unknown() {
        let bytes = to_msgpack(&Value::Unknown, &CtyType::String).unwrap();
        assert_eq!(bytes, vec![0xd4, 0x00, 0x00]);
        // A refined unknown (extension 12 with a payload).
        let refined = [0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc3];
        assert_eq!(
            from_msgpack(&refined, &CtyType::String).unwrap(),
            Value::Unknown
        );
        assert_eq!(
            from_msgpack(&[0xd4, 0x0c, 0x00], &ty(r#"["list","string"]"#)).unwrap(),
            Value::Unknown
        );
    }

    #[test]
    fn numbers_cross_as_int_float_or_string() {
        let big = Value::Number(Number::Int(1 << 100));
        let bytes = to_msgpack(&big, &CtyType::Number).unwrap();
        assert_eq!(from_msgpack(&bytes, &CtyType::Number).unwrap(), big);
        let bytes = to_msgpack(&Value::Number(Number::Float(3.0)), &CtyType::Number).unwrap();
        assert_eq!(bytes, vec![0x03]);
        let bytes = to_msgpack(&Value::string("12"), &CtyType::Number).unwrap();
        assert_eq!(
            from_msgpack(&bytes, &CtyType::Number).unwrap(),
            Value::int(12)
        );
        // Strings holding numbers are accepted from providers.
        let mut s = Vec::new();
        rmpv::encode::write_value(&mut s, &Mp::from("2.25")).unwrap();
        assert_eq!(
            from_msgpack(&s, &CtyType::Number).unwrap(),
            Value::Number(Number::Float(2.25))
        );
        assert!(to_msgpack(&Value::string("nope"), &CtyType::Number).is_err());
    }

    #[test]
    fn dynamic_values_carry_their_type() {
        let v = obj(&[("a", Value::List(vec![Value::int(1), Value::string("x")]))]);
        let bytes = to_msgpack(&v, &CtyType::Dynamic).unwrap();
        let mut reader = bytes.as_slice();
        let raw = rmpv::decode::read_value(&mut reader).unwrap();
        let Mp::Array(parts) = raw else {
            panic!("not an array")
        };
        assert_eq!(parts.len(), 2);
        assert!(matches!(&parts[0], Mp::Binary(b) if b.starts_with(b"[\"object\"")));
        assert_eq!(from_msgpack(&bytes, &CtyType::Dynamic).unwrap(), v);
        assert_eq!(
            from_msgpack(&[0xc0], &CtyType::Dynamic).unwrap(),
            Value::Null
        );
        let json = to_cty_json(&v, &CtyType::Dynamic);
        assert_eq!(
            json["type"],
            serde_json::json!(["object", {"a": ["tuple", ["number", "string"]]}])
        );
        assert_eq!(from_cty_json(&json, &CtyType::Dynamic).unwrap(), v);
    }

    #[test]
    fn sets_are_read_in_canonical_order() {
        let t = ty(r#"["set","string"]"#);
        let bytes = to_msgpack(
            &Value::List(vec![Value::string("b"), Value::string("a")]),
            &t,
        )
        .unwrap();
        assert_eq!(
            from_msgpack(&bytes, &t).unwrap(),
            Value::List(vec![Value::string("a"), Value::string("b")])
        );
    }

    #[test]
    fn json_state_round_trips() {
        let t = ty(r#"["object",{"id":"string","triggers":["map","string"],"n":"number"}]"#);
        let v = obj(&[
            ("id", Value::string("1")),
            ("triggers", obj(&[("k", Value::string("v"))])),
            ("n", Value::Number(Number::Int(u64::MAX as i128 + 7))),
        ]);
        let json = to_cty_json(&v, &t);
        assert_eq!(from_cty_json(&json, &t).unwrap(), v);
        // The way Nimbus stores such a number (digits in a string) reads back.
        assert_eq!(from_cty_json(&v.to_json(), &t).unwrap(), v);
    }
}
