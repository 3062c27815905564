//! Addresses of resource blocks and their instances: one type, one
//! `Display`, one parser. Everything that builds, cuts apart, groups or
//! renders an address goes through here, so a `for-each` key holding `[`,
//! `]`, `"` or `.` round-trips.
//!
//! The text form is Terraform's: `module.NAME[KEY].` steps, then `data.`
//! for a data source, then `TYPE.NAME`, then an optional `[INDEX]` or
//! `["KEY"]`. Keys are written as quoted strings with escapes (`\"`, `\\`,
//! `\n`, `\t`, `\r`, `\0`, `\'`, `\u{...}`), the form state has always
//! stored.

use crate::Mode;
use std::fmt;

/// Which instance of a block (or of a module call).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InstanceKey {
    /// `count`: `[3]`.
    Index(u64),
    /// `for-each`: `["key"]`.
    Key(String),
}

impl fmt::Display for InstanceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceKey::Index(i) => write!(f, "[{i}]"),
            InstanceKey::Key(k) => write!(f, "[{k:?}]"),
        }
    }
}

/// One `module.NAME[KEY]` step of a module path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModuleStep {
    pub name: String,
    pub key: Option<InstanceKey>,
}

/// A resource or data block: `module.net.data.local-file.cfg`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlockAddr {
    pub module: Vec<ModuleStep>,
    pub mode: Mode,
    pub type_name: String,
    pub name: String,
}

/// One instance of a block: `t.n`, `t.n[0]`, `t.n["k"]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstanceAddr {
    pub block: BlockAddr,
    pub key: Option<InstanceKey>,
}

/// Why a text is not an address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a resource address: {reason}")]
pub struct AddressError {
    pub text: String,
    pub reason: &'static str,
}

/// `module.NAME` or `module.NAME[KEY]`.
impl fmt::Display for ModuleStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "module.{}", self.name)?;
        if let Some(key) = &self.key {
            write!(f, "{key}")?;
        }
        Ok(())
    }
}

impl fmt::Display for BlockAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for step in &self.module {
            write!(f, "{step}.")?;
        }
        if self.mode == Mode::Data {
            f.write_str("data.")?;
        }
        write!(f, "{}.{}", self.type_name, self.name)
    }
}

impl fmt::Display for InstanceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.block)?;
        if let Some(key) = &self.key {
            write!(f, "{key}")?;
        }
        Ok(())
    }
}

impl InstanceAddr {
    pub fn parse(text: &str) -> Result<InstanceAddr, AddressError> {
        let mut parser = Parser { text, at: 0 };
        let address = parser.instance()?;
        if parser.at != text.len() {
            return Err(parser.error("unexpected text after the address"));
        }
        Ok(address)
    }
}

impl BlockAddr {
    pub fn parse(text: &str) -> Result<BlockAddr, AddressError> {
        let address = InstanceAddr::parse(text)?;
        if address.key.is_some() {
            return Err(AddressError {
                text: text.to_string(),
                reason: "a block address has no instance key",
            });
        }
        Ok(address.block)
    }
}

/// What a `--target` or `--exclude` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// Everything in some module instances: `module.a` (every instance of
    /// the call), `module.a[1]`, `module.a[1].module.b`.
    Module(Vec<ModuleStep>),
    /// Every instance of a block.
    Block(BlockAddr),
    /// One instance of a block.
    Instance(InstanceAddr),
}

/// Terraform's text form: `module.a[1]`, `t.n`, `t.n["k"]`.
impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Module(steps) => {
                for (i, step) in steps.iter().enumerate() {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    write!(f, "{step}")?;
                }
                Ok(())
            }
            Selector::Block(block) => write!(f, "{block}"),
            Selector::Instance(instance) => write!(f, "{instance}"),
        }
    }
}

impl Selector {
    /// A module path alone (`module.a[1]`) reads as [`Selector::Module`]
    /// even where it could also read as a block of a type named `module`.
    pub fn parse(text: &str) -> Result<Selector, AddressError> {
        let mut parser = Parser { text, at: 0 };
        if let Ok(steps) = parser.module_path() {
            return Ok(Selector::Module(steps));
        }
        let address = InstanceAddr::parse(text)?;
        Ok(match address.key {
            Some(_) => Selector::Instance(address),
            None => Selector::Block(address.block),
        })
    }

    /// Whether the selector names all of `block` or some of its instances.
    pub fn touches_block(&self, block: &BlockAddr) -> bool {
        match self {
            Selector::Module(steps) => {
                block.module.len() >= steps.len() && steps_match(steps, &block.module)
            }
            Selector::Block(pattern) => block_matches(pattern, block),
            Selector::Instance(pattern) => block_matches(&pattern.block, block),
        }
    }

    /// Whether the selector names `instance`: an instance selector that
    /// instance only, a block or module selector everything in it.
    pub fn selects(&self, instance: &InstanceAddr) -> bool {
        match self {
            Selector::Instance(pattern) => {
                pattern.key == instance.key && block_matches(&pattern.block, &instance.block)
            }
            _ => self.touches_block(&instance.block),
        }
    }
}

/// Module steps of a selector against the leading steps of an address: a
/// step written without a key (`module.a`) stands for every instance of
/// that call.
fn steps_match(pattern: &[ModuleStep], actual: &[ModuleStep]) -> bool {
    pattern
        .iter()
        .zip(actual)
        .all(|(p, a)| p.name == a.name && (p.key.is_none() || p.key == a.key))
}

fn block_matches(pattern: &BlockAddr, block: &BlockAddr) -> bool {
    pattern.module.len() == block.module.len()
        && steps_match(&pattern.module, &block.module)
        && pattern.mode == block.mode
        && pattern.type_name == block.type_name
        && pattern.name == block.name
}

/// Where the block part of an instance address ends: `t.n` of `t.n[1]`.
/// The whole text when it has no key or is not an address.
pub fn block_end(address: &str) -> usize {
    let mut parser = Parser {
        text: address,
        at: 0,
    };
    match parser.instance_with_key_start() {
        Ok((_, Some(start))) if parser.at == address.len() => start,
        _ => address.len(),
    }
}

struct Parser<'t> {
    text: &'t str,
    at: usize,
}

impl Parser<'_> {
    fn error(&self, reason: &'static str) -> AddressError {
        AddressError {
            text: self.text.to_string(),
            reason,
        }
    }

    fn rest(&self) -> &str {
        &self.text[self.at..]
    }

    fn eat(&mut self, prefix: &str) -> bool {
        if self.rest().starts_with(prefix) {
            self.at += prefix.len();
            true
        } else {
            false
        }
    }

    /// Letters, digits, `-` and `_`: a type, block or module name.
    fn name(&mut self) -> Result<String, AddressError> {
        let len = self
            .rest()
            .find(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(self.rest().len());
        if len == 0 {
            return Err(self.error("expected a name"));
        }
        let name = self.rest()[..len].to_string();
        self.at += len;
        Ok(name)
    }

    fn key(&mut self) -> Result<Option<InstanceKey>, AddressError> {
        if !self.eat("[") {
            return Ok(None);
        }
        let key = if self.eat("\"") {
            InstanceKey::Key(self.quoted()?)
        } else {
            let len = self
                .rest()
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(self.rest().len());
            let index = self.rest()[..len]
                .parse()
                .map_err(|_| self.error("an index is a whole number or a quoted key"))?;
            self.at += len;
            InstanceKey::Index(index)
        };
        if !self.eat("]") {
            return Err(self.error("expected `]` after the key"));
        }
        Ok(Some(key))
    }

    /// The rest of a quoted key, after its opening `"`.
    fn quoted(&mut self) -> Result<String, AddressError> {
        let mut out = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.at += i + 1;
                    return Ok(out);
                }
                '\\' => {
                    let Some((_, escaped)) = chars.next() else {
                        break;
                    };
                    match escaped {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        '0' => out.push('\0'),
                        '\\' | '"' | '\'' => out.push(escaped),
                        'u' => {
                            let mut hex = String::new();
                            if !matches!(chars.next(), Some((_, '{'))) {
                                return Err(self.error("expected `{` after `\\u`"));
                            }
                            for (_, h) in chars.by_ref() {
                                if h == '}' {
                                    break;
                                }
                                hex.push(h);
                            }
                            let c = u32::from_str_radix(&hex, 16)
                                .ok()
                                .and_then(char::from_u32)
                                .ok_or_else(|| self.error("invalid `\\u{...}` escape"))?;
                            out.push(c);
                        }
                        _ => return Err(self.error("unknown escape in a key")),
                    }
                }
                c => out.push(c),
            }
        }
        Err(self.error("unterminated key: expected `\"`"))
    }

    /// `module.a`, `module.a[1].module.b["k"]`: module steps and nothing
    /// after them.
    fn module_path(&mut self) -> Result<Vec<ModuleStep>, AddressError> {
        let mut steps = Vec::new();
        loop {
            if !self.eat("module.") {
                return Err(self.error("expected `module.NAME`"));
            }
            let name = self.name()?;
            let key = self.key()?;
            steps.push(ModuleStep { name, key });
            if self.at == self.text.len() {
                return Ok(steps);
            }
            if !self.eat(".") {
                return Err(self.error("expected `.` after a module step"));
            }
        }
    }

    fn instance(&mut self) -> Result<InstanceAddr, AddressError> {
        self.instance_with_key_start().map(|(a, _)| a)
    }

    /// The address, and where its instance key starts if it has one.
    fn instance_with_key_start(&mut self) -> Result<(InstanceAddr, Option<usize>), AddressError> {
        let mut module = Vec::new();
        loop {
            let checkpoint = self.at;
            if self.eat("module.") {
                let name = self.name()?;
                let key = self.key()?;
                if self.eat(".") {
                    module.push(ModuleStep { name, key });
                    continue;
                }
                // `module.TYPE...`: a resource type named `module`.
                self.at = checkpoint;
            }
            break;
        }
        let checkpoint = self.at;
        let mut mode = Mode::Managed;
        if self.eat("data.") {
            mode = Mode::Data;
            // `data.NAME` alone is a resource of type `data`.
            let probe = self.at;
            if self.name().is_err() || !self.eat(".") {
                self.at = checkpoint;
                mode = Mode::Managed;
            } else {
                self.at = probe;
            }
        }
        let type_name = self.name()?;
        if !self.eat(".") {
            return Err(self.error("expected `TYPE.NAME`"));
        }
        let name = self.name()?;
        let key_start = self.at;
        let key = self.key()?;
        let key_start = key.as_ref().map(|_| key_start);
        Ok((
            InstanceAddr {
                block: BlockAddr {
                    module,
                    mode,
                    type_name,
                    name,
                },
                key,
            },
            key_start,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_prints_every_part() {
        for text in [
            "terraform-data.a",
            "terraform-data.a[3]",
            "terraform-data.a[\"k\"]",
            "data.local-file.cfg",
            "module.net.aws_s3_bucket.b",
            "module.m[\"x\"].module.n[2].data.t.n[\"a[0]\"]",
            "t.n[\"say \\\"hi\\\"\"]",
            "t.n[\"back\\\\slash\"]",
            "t.n[\"line\\nbreak\\u{1}\"]",
        ] {
            let parsed = InstanceAddr::parse(text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(parsed.to_string(), text);
        }
        let a = InstanceAddr::parse("module.m.data.t.n[\"a.b\"]").unwrap();
        assert_eq!(a.block.mode, Mode::Data);
        assert_eq!(a.block.module[0].name, "m");
        assert_eq!(a.key, Some(InstanceKey::Key("a.b".into())));
        assert_eq!(a.block.to_string(), "module.m.data.t.n");
    }

    #[test]
    fn rejects_what_is_not_an_address() {
        for text in [
            "",
            "t",
            "t.",
            "t.n[",
            "t.n[x]",
            "t.n[\"open",
            "t.n[1]x",
            "t.n[-1]",
        ] {
            assert!(InstanceAddr::parse(text).is_err(), "{text:?}");
        }
        assert!(BlockAddr::parse("t.n[1]").is_err());
    }

    #[test]
    fn block_end_cuts_the_key_of_the_last_block_only() {
        fn block(a: &str) -> &str {
            &a[..block_end(a)]
        }
        assert_eq!(block("t.n"), "t.n");
        assert_eq!(block("t.n[3]"), "t.n");
        assert_eq!(block("t.n[\"a[0]\"]"), "t.n");
        assert_eq!(block("module.m[\"x\"].t.n"), "module.m[\"x\"].t.n");
        assert_eq!(block("module.m[1].t.n[\"k\"]"), "module.m[1].t.n");
        assert_eq!(block("not an address[1]"), "not an address[1]");
    }

    #[test]
    fn selectors_name_modules_blocks_and_instances() {
        let selects = |selector: &str, address: &str| {
            Selector::parse(selector)
                .unwrap()
                .selects(&InstanceAddr::parse(address).unwrap())
        };
        let address = "module.a[1].module.b[\"k.x\"].t.n[0]";
        for selector in [
            "module.a",
            "module.a[1]",
            "module.a.module.b",
            "module.a[1].module.b[\"k.x\"]",
            "module.a[1].module.b[\"k.x\"].t.n",
            "module.a.module.b.t.n[0]",
            address,
        ] {
            assert!(selects(selector, address), "{selector}");
        }
        for selector in [
            "module.a[0]",
            "module.b",
            "module.a[1].module.b[\"k\"]",
            "module.a[1].t.n",
            "t.n",
            "module.a[1].module.b[\"k.x\"].t.n[1]",
        ] {
            assert!(!selects(selector, address), "{selector}");
        }
        assert_eq!(
            Selector::parse("module.a[2]"),
            Ok(Selector::Module(vec![ModuleStep {
                name: "a".into(),
                key: Some(InstanceKey::Index(2))
            }]))
        );
        assert!(Selector::parse("module.a[").is_err());
    }

    fn key() -> impl Strategy<Value = Option<InstanceKey>> {
        prop_oneof![
            Just(None),
            any::<u32>().prop_map(|i| Some(InstanceKey::Index(i.into()))),
            any::<String>().prop_map(|k| Some(InstanceKey::Key(k))),
        ]
    }

    fn name() -> impl Strategy<Value = String> {
        "[a-z][a-z0-9_-]{0,8}"
    }

    proptest! {
        #[test]
        fn every_address_round_trips(
            module in proptest::collection::vec((name(), key()), 0..3),
            data in any::<bool>(),
            type_name in name(),
            block_name in name(),
            instance in key(),
        ) {
            let address = InstanceAddr {
                block: BlockAddr {
                    module: module.into_iter().map(|(name, key)| ModuleStep { name, key }).collect(),
                    mode: if data { Mode::Data } else { Mode::Managed },
                    type_name,
                    name: block_name,
                },
                key: instance,
            };
            let text = address.to_string();
            prop_assert_eq!(InstanceAddr::parse(&text), Ok(address.clone()));
            prop_assert_eq!(&text[..block_end(&text)], address.block.to_string());
        }
    }
}
