//! A fast reader for the HCL that configurations are mostly written in.
//!
//! `hcl-edit`'s parser is general (combinators, backtracking, a decor
//! string for every space and comment, then a pass that copies them out of
//! the text) and was most of the time a large `.tf` file took to load.
//! This reader walks the bytes once and builds the syntax tree the lowerer
//! reads ([`crate::ast`]), with the spans hcl-edit gives, for the common
//! part of the language: the lowerer cannot tell which reader made a tree.
//!
//! It mirrors hcl-edit's grammar decision for decision (where newlines may
//! continue an expression, which spaces a traversal may have, what makes a
//! string a template), and where that would take work for rare input it
//! declines instead: empty heredocs, template directives, provider-defined
//! functions (`a::b()`), names outside ASCII, carriage returns, deep
//! nesting and every error. A declined text is parsed by hcl-edit, whose
//! tree or error is then the result, so a text the reader accepts has
//! exactly the tree hcl-edit gives it, and every other text is handled as
//! before. The differential tests hold the two to that.

use crate::ast::{
    Attribute, BinaryOp, BinaryOperator, Block, BlockLabel, Body, Conditional, Decorated, Element,
    Expression, ForCond, ForExpr, ForIntro, FuncArgs, FuncCall, FuncName, HeredocTemplate, Ident,
    Interpolation, Number, Object, ObjectKey, ObjectValue, Parenthesis, Span, Strip, Structure,
    Template, Traversal, TraversalOperator, UnaryOp, UnaryOperator,
};
use std::collections::HashSet;
use std::ops::Range;

/// The reader handed the text to hcl-edit: not an error of the text, only
/// "not here".
struct Decline;

type Read<T> = Result<T, Decline>;

/// Deepest nesting the reader takes; hcl-edit refuses 64, and refusing
/// earlier only means hcl-edit reads (and reports) such a text itself.
const MAX_NESTING: usize = 40;

/// hcl-edit's limit on chained binary operators along a nesting path.
const MAX_OPERATOR_DEPTH: usize = 128;

/// The tree hcl-edit would give `text`, or `None` when the reader declines.
pub(crate) fn parse_body(text: &str) -> Option<Body> {
    if text.as_bytes().contains(&b'\r') {
        return None;
    }
    let mut reader = Reader {
        bytes: text.as_bytes(),
        text,
        pos: 0,
        depth: 0,
        operator_depth: 0,
    };
    let body = reader.body().ok()?;
    (reader.pos == text.len()).then_some(body)
}

struct Reader<'t> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
    /// Nesting of scopes (hcl-edit's `nested`), capped at [`MAX_NESTING`].
    depth: usize,
    /// Chained binary operators in the current scope and the scopes below
    /// it, as hcl-edit counts them.
    operator_depth: usize,
}

/// The attribute keys of one body, which must be unique. Most bodies have
/// a handful: a set only for the large ones.
#[derive(Default)]
struct Keys<'t> {
    few: Vec<&'t str>,
    many: Option<HashSet<&'t str>>,
}

impl<'t> Keys<'t> {
    /// Whether `key` was new.
    fn insert(&mut self, key: &'t str) -> bool {
        if let Some(many) = &mut self.many {
            return many.insert(key);
        }
        if self.few.contains(&key) {
            return false;
        }
        self.few.push(key);
        if self.few.len() > 16 {
            self.many = Some(self.few.drain(..).collect());
        }
        true
    }
}

/// The keys of one object so far, to refuse a repeated one as hcl-edit
/// does. hcl-edit compares keys as values; the reader compares names and
/// quoted strings, and declines an object with two keys of any other kind
/// rather than compare expressions.
#[derive(Default)]
struct ObjectKeys {
    names: Vec<String>,
    strings: Vec<String>,
    computed: usize,
}

impl ObjectKeys {
    /// Whether `key` may follow the keys so far.
    fn insert(&mut self, key: &ObjectKey) -> bool {
        let (seen, text) = match key {
            ObjectKey::Ident(name) => (&mut self.names, name.as_str()),
            ObjectKey::Expression(Expression::String(text)) => (&mut self.strings, text.as_str()),
            ObjectKey::Expression(_) => {
                self.computed += 1;
                return self.computed < 2;
            }
        };
        if seen.iter().any(|k| k == text) {
            return false;
        }
        seen.push(text.to_string());
        true
    }
}

fn is_ident_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_'
}

fn is_ident_continue(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-'
}

fn decorated<T>(value: T, span: Range<usize>) -> Decorated<T> {
    Decorated::new(value, span)
}

/// A node whose span its caller sets once it knows the extent.
fn unspanned<T>(value: T) -> Decorated<T> {
    Decorated { value, span: None }
}

impl<'t> Reader<'t> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    fn starts_with(&self, prefix: &[u8]) -> bool {
        self.bytes[self.pos..].starts_with(prefix)
    }

    /// hcl-edit peeks two characters before deciding what follows a term:
    /// with fewer left, nothing follows.
    fn two_left(&self) -> bool {
        self.pos + 2 <= self.bytes.len()
    }

    fn expect(&mut self, byte: u8) -> Read<()> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Decline)
        }
    }

    /// Whether an identifier starts here; a byte outside ASCII may start
    /// one in hcl-edit's (Unicode) sense, which the reader leaves to it.
    fn at_ident_start(&self) -> Read<bool> {
        match self.peek() {
            Some(byte) if byte >= 0x80 => Err(Decline),
            Some(byte) => Ok(is_ident_start(byte)),
            None => Ok(false),
        }
    }

    fn ident(&mut self) -> Read<(&'t str, Range<usize>)> {
        if !self.at_ident_start()? {
            return Err(Decline);
        }
        let start = self.pos;
        self.pos += 1;
        while let Some(byte) = self.peek() {
            if is_ident_continue(byte) {
                self.pos += 1;
            } else if byte >= 0x80 {
                return Err(Decline);
            } else {
                break;
            }
        }
        Ok((&self.text[start..self.pos], start..self.pos))
    }

    fn decorated_ident(&mut self) -> Read<Decorated<Ident>> {
        let (name, span) = self.ident()?;
        Ok(decorated(Ident::new_unchecked(name), span))
    }

    /// Spaces, tabs and `/* */` comments (hcl-edit's `sp`).
    fn sp(&mut self) -> Read<()> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t') => self.pos += 1,
                Some(b'/') if self.peek_at(1) == Some(b'*') => self.inline_comment()?,
                _ => return Ok(()),
            }
        }
    }

    /// White space including newlines, and every kind of comment
    /// (hcl-edit's `ws`).
    fn ws(&mut self) -> Read<()> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\n') => self.pos += 1,
                Some(b'#') => self.skip_to_line_end(),
                Some(b'/') if self.peek_at(1) == Some(b'/') => self.skip_to_line_end(),
                Some(b'/') if self.peek_at(1) == Some(b'*') => self.inline_comment()?,
                _ => return Ok(()),
            }
        }
    }

    fn ws_or_sp(&mut self, newlines: bool) -> Read<()> {
        if newlines { self.ws() } else { self.sp() }
    }

    fn inline_comment(&mut self) -> Read<()> {
        match self.text[self.pos + 2..].find("*/") {
            Some(end) => {
                self.pos += 2 + end + 2;
                Ok(())
            }
            // Unterminated: hcl-edit's error.
            None => Err(Decline),
        }
    }

    fn skip_to_line_end(&mut self) {
        match self.bytes[self.pos..].iter().position(|&b| b == b'\n') {
            Some(offset) => self.pos += offset,
            None => self.pos = self.bytes.len(),
        }
    }

    /// `#` or `//` to the end of the line, if one starts here.
    fn line_comment(&mut self) {
        if self.peek() == Some(b'#') || self.starts_with(b"//") {
            self.skip_to_line_end();
        }
    }

    /// Enters a nested scope (hcl-edit's `nested`): deeper nesting and a
    /// fresh operator count, merged back by [`Reader::leave`].
    fn enter(&mut self) -> Read<usize> {
        if self.depth >= MAX_NESTING {
            return Err(Decline);
        }
        self.depth += 1;
        Ok(std::mem::take(&mut self.operator_depth))
    }

    fn leave(&mut self, outer_operator_depth: usize) {
        self.depth -= 1;
        self.operator_depth = self.operator_depth.max(outer_operator_depth);
    }

    // Structure.

    fn body(&mut self) -> Read<Body> {
        let mut structures = Vec::new();
        let mut keys = Keys::default();
        loop {
            let before = self.pos;
            self.ws()?;
            if !self.at_ident_start()? {
                self.pos = before;
                break;
            }
            structures.push(self.structure(&mut keys)?);
            self.sp()?;
            self.line_comment();
            match self.peek() {
                Some(b'\n') => self.pos += 1,
                None => {}
                Some(_) => return Err(Decline),
            }
        }
        self.ws()?;
        Ok(Body { structures })
    }

    fn structure(&mut self, keys: &mut Keys<'t>) -> Read<Structure> {
        let start = self.pos;
        let (name, name_span) = self.ident()?;
        let ident = decorated(Ident::new_unchecked(name), name_span);
        self.sp()?;
        match self.peek() {
            Some(b'=') => {
                if !keys.insert(name) {
                    return Err(Decline);
                }
                let value = self.attribute_value()?;
                Ok(Structure::Attribute(Attribute {
                    key: ident,
                    value,
                    span: Some(start..self.pos),
                }))
            }
            Some(byte) if byte == b'{' || byte == b'"' || byte >= 0x80 || is_ident_start(byte) => {
                let labels = self.labels()?;
                let body = self.block_body()?;
                Ok(Structure::Block(Block {
                    ident,
                    labels,
                    body,
                    span: Some(start..self.pos),
                }))
            }
            _ => Err(Decline),
        }
    }

    /// `= EXPRESSION`, at the `=`.
    fn attribute_value(&mut self) -> Read<Expression> {
        self.expect(b'=')?;
        self.sp()?;
        let outer = std::mem::take(&mut self.operator_depth);
        let mut newlines = false;
        let value = self.expr_inner(&mut newlines);
        self.operator_depth = self.operator_depth.max(outer);
        value
    }

    fn labels(&mut self) -> Read<Vec<BlockLabel>> {
        let mut labels = Vec::new();
        loop {
            let start = self.pos;
            match self.peek() {
                Some(b'"') => match self.quoted()? {
                    Quoted::Plain(text) => {
                        labels.push(BlockLabel::String(decorated(text, start..self.pos)));
                    }
                    // A label is never a template: hcl-edit's error.
                    Quoted::Template(_) => return Err(Decline),
                },
                _ if self.at_ident_start()? => {
                    labels.push(BlockLabel::Ident(self.decorated_ident()?));
                }
                _ => return Ok(labels),
            }
            self.sp()?;
        }
    }

    fn block_body(&mut self) -> Read<Body> {
        self.expect(b'{')?;
        let outer = self.enter()?;
        let after_brace = self.pos;
        self.sp()?;
        self.line_comment();
        let body = if self.peek() == Some(b'\n') {
            self.pos += 1;
            self.body()?
        } else {
            // One line: `{}` or `{ key = value }`.
            self.pos = after_brace;
            self.sp()?;
            let mut body = Body::default();
            if self.at_ident_start()? {
                let start = self.pos;
                let key = self.decorated_ident()?;
                self.sp()?;
                let value = self.attribute_value()?;
                body.structures.push(Structure::Attribute(Attribute {
                    key,
                    value,
                    span: Some(start..self.pos),
                }));
                self.sp()?;
            }
            body
        };
        self.leave(outer);
        self.expect(b'}')?;
        Ok(body)
    }

    // Expressions.

    /// A nested expression (hcl-edit's `expr`, `multiline_expr` and
    /// `expr_with_state`, which differ in whether newlines may continue
    /// it).
    fn nested_expr(&mut self, newlines: bool) -> Read<Expression> {
        let outer = self.enter()?;
        let mut newlines = newlines;
        let expr = self.expr_inner(&mut newlines);
        self.leave(outer);
        expr
    }

    /// A term followed by binary operators or a conditional.
    /// `newlines`: whether newlines may continue the expression; a term
    /// with brackets or arguments turns it on for the rest, as in hcl-edit.
    fn expr_inner(&mut self, newlines: &mut bool) -> Read<Expression> {
        let start = self.pos;
        let mut expr = self.expr_term(newlines)?;
        loop {
            let checkpoint = self.pos;
            self.ws_or_sp(*newlines)?;
            if !self.two_left() {
                self.pos = checkpoint;
                return Ok(expr);
            }
            let (first, second) = (self.bytes[self.pos], self.bytes[self.pos + 1]);
            let comment = first == b'/' && matches!(second, b'/' | b'*');
            if first == b'?' {
                self.pos += 1;
                self.ws_or_sp(*newlines)?;
                let true_expr = self.nested_expr(*newlines)?;
                self.ws_or_sp(*newlines)?;
                self.expect(b':')?;
                self.ws_or_sp(*newlines)?;
                let false_expr = self.nested_expr(*newlines)?;
                return Ok(Expression::Conditional(Box::new(Conditional {
                    cond_expr: expr,
                    true_expr,
                    false_expr,
                    span: Some(start..self.pos),
                })));
            } else if !comment
                && ((first == b'=' && second == b'=')
                    || matches!(
                        first,
                        b'!' | b'<' | b'>' | b'+' | b'-' | b'*' | b'/' | b'%' | b'&' | b'|'
                    ))
            {
                self.pos = checkpoint;
                expr = self.binary_ops(expr, *newlines)?;
                expr.set_span(start..self.pos);
            } else {
                self.pos = checkpoint;
                return Ok(expr);
            }
        }
    }

    /// Operators and terms after `lhs`, grouped by precedence, every
    /// operator left-associative.
    fn binary_ops(&mut self, lhs: Expression, newlines: bool) -> Read<Expression> {
        let mut operands = vec![lhs];
        let mut operators: Vec<Decorated<BinaryOperator>> = Vec::new();
        let mut count = 0;
        loop {
            let checkpoint = self.pos;
            self.ws_or_sp(newlines)?;
            let start = self.pos;
            let Some(operator) = self.binary_operator() else {
                if count == 0 {
                    return Err(Decline);
                }
                self.pos = checkpoint;
                break;
            };
            let operator = decorated(operator, start..self.pos);
            self.ws_or_sp(newlines)?;
            let mut term_newlines = newlines;
            let rhs = self.expr_term(&mut term_newlines)?;
            count += 1;
            if self.operator_depth + count > MAX_OPERATOR_DEPTH {
                return Err(Decline);
            }
            while let Some(top) = operators.last()
                && top.value().precedence() >= operator.value().precedence()
            {
                reduce(&mut operands, &mut operators);
            }
            operators.push(operator);
            operands.push(rhs);
        }
        self.operator_depth += count;
        while !operators.is_empty() {
            reduce(&mut operands, &mut operators);
        }
        operands.pop().ok_or(Decline)
    }

    fn binary_operator(&mut self) -> Option<BinaryOperator> {
        let next = self.peek_at(1);
        let (operator, length) = match (self.peek()?, next) {
            (b'=', Some(b'=')) => (BinaryOperator::Eq, 2),
            (b'!', Some(b'=')) => (BinaryOperator::NotEq, 2),
            (b'<', Some(b'=')) => (BinaryOperator::LessEq, 2),
            (b'<', _) => (BinaryOperator::Less, 1),
            (b'>', Some(b'=')) => (BinaryOperator::GreaterEq, 2),
            (b'>', _) => (BinaryOperator::Greater, 1),
            (b'+', _) => (BinaryOperator::Plus, 1),
            (b'-', _) => (BinaryOperator::Minus, 1),
            (b'*', _) => (BinaryOperator::Mul, 1),
            (b'/', Some(b'/' | b'*')) => return None,
            (b'/', _) => (BinaryOperator::Div, 1),
            (b'%', _) => (BinaryOperator::Mod, 1),
            (b'&', Some(b'&')) => (BinaryOperator::And, 2),
            (b'|', Some(b'|')) => (BinaryOperator::Or, 2),
            _ => return None,
        };
        self.pos += length;
        Some(operator)
    }

    /// One term and any traversal after it.
    fn expr_term(&mut self, newlines: &mut bool) -> Read<Expression> {
        let start = self.pos;
        let mut term = match self.peek() {
            Some(b'"') => match self.quoted()? {
                Quoted::Plain(text) => Expression::String(unspanned(text)),
                Quoted::Template(elements) => {
                    Expression::StringTemplate(unspanned(Template { elements }))
                }
            },
            Some(b'[') => {
                *newlines = true;
                self.array(*newlines)?
            }
            Some(b'{') => self.object(newlines)?,
            Some(b'0'..=b'9') => Expression::Number(unspanned(self.number()?)),
            Some(b'-') => {
                let checkpoint = self.pos;
                self.pos += 1;
                self.sp()?;
                if matches!(self.peek(), Some(b'0'..=b'9')) {
                    Expression::Number(unspanned(-self.number()?))
                } else {
                    self.pos = checkpoint;
                    self.unary(UnaryOperator::Neg, *newlines)?
                }
            }
            Some(b'!') => self.unary(UnaryOperator::Not, *newlines)?,
            Some(b'(') => {
                self.pos += 1;
                self.ws()?;
                let inner = self.nested_expr(true)?;
                self.ws()?;
                self.expect(b')')?;
                Expression::Parenthesis(Box::new(Parenthesis { inner, span: None }))
            }
            Some(byte) if byte >= 0x80 || is_ident_start(byte) => self.identlike(newlines)?,
            Some(b'<') => self.heredoc()?,
            _ => return Err(Decline),
        };
        term.set_span(start..self.pos);
        let checkpoint = self.pos;
        self.ws_or_sp(*newlines)?;
        if self.two_left() && !self.starts_with(b"..") && matches!(self.peek(), Some(b'.' | b'[')) {
            let operators = self.traversal(*newlines)?;
            term = Expression::Traversal(Box::new(Traversal {
                expr: term,
                operators,
                span: Some(start..self.pos),
            }));
        } else {
            self.pos = checkpoint;
        }
        Ok(term)
    }

    fn unary(&mut self, operator: UnaryOperator, newlines: bool) -> Read<Expression> {
        let operator = decorated(operator, self.pos..self.pos + 1);
        self.pos += 1;
        self.sp()?;
        let outer = self.enter()?;
        let start = self.pos;
        let mut operand_newlines = newlines;
        let mut operand = self.expr_term(&mut operand_newlines)?;
        operand.set_span(start..self.pos);
        self.leave(outer);
        Ok(Expression::UnaryOp(Box::new(UnaryOp {
            operator,
            expr: operand,
            span: None,
        })))
    }

    fn traversal(&mut self, newlines: bool) -> Read<Vec<Decorated<TraversalOperator>>> {
        let mut operators = Vec::new();
        loop {
            let checkpoint = self.pos;
            self.ws_or_sp(newlines)?;
            if self.starts_with(b"..") {
                self.pos = checkpoint;
                break;
            }
            let start = self.pos;
            let operator = match self.peek() {
                Some(b'.') => {
                    self.pos += 1;
                    self.ws()?;
                    let at = self.pos;
                    match self.peek() {
                        Some(b'*') => {
                            self.pos += 1;
                            TraversalOperator::AttrSplat(decorated((), at..self.pos))
                        }
                        Some(b'0'..=b'9') => {
                            // hcl-edit's decimal reads a leading zero as
                            // the whole number.
                            self.pos += 1;
                            if self.bytes[at] != b'0' {
                                while matches!(self.peek(), Some(b'0'..=b'9')) {
                                    self.pos += 1;
                                }
                            }
                            let index: u64 =
                                self.text[at..self.pos].parse().map_err(|_| Decline)?;
                            TraversalOperator::LegacyIndex(decorated(index, at..self.pos))
                        }
                        _ => TraversalOperator::GetAttr(self.decorated_ident()?),
                    }
                }
                Some(b'[') => {
                    self.pos += 1;
                    self.ws()?;
                    let operator = if self.peek() == Some(b'*') {
                        let at = self.pos;
                        self.pos += 1;
                        TraversalOperator::FullSplat(decorated((), at..self.pos))
                    } else {
                        TraversalOperator::Index(self.nested_expr(true)?)
                    };
                    self.ws()?;
                    self.expect(b']')?;
                    operator
                }
                _ => {
                    self.pos = checkpoint;
                    break;
                }
            };
            operators.push(decorated(operator, start..self.pos));
        }
        Ok(operators)
    }

    /// A name, `null`, `true`, `false` or a function call.
    fn identlike(&mut self, newlines: &mut bool) -> Read<Expression> {
        let (name, span) = self.ident()?;
        let checkpoint = self.pos;
        self.ws_or_sp(*newlines)?;
        if self.two_left() && self.starts_with(b"::") {
            return Err(Decline);
        }
        if self.two_left() && self.peek() == Some(b'(') {
            let name = FuncName {
                namespace: Vec::new(),
                name: decorated(Ident::new_unchecked(name), span),
            };
            *newlines = true;
            let args = self.arguments(*newlines)?;
            return Ok(Expression::FuncCall(Box::new(FuncCall {
                name,
                args,
                span: None,
            })));
        }
        self.pos = checkpoint;
        Ok(match name {
            "null" => Expression::Null(unspanned(())),
            "true" => Expression::Bool(unspanned(true)),
            "false" => Expression::Bool(unspanned(false)),
            name => Expression::Variable(unspanned(Ident::new_unchecked(name))),
        })
    }

    /// `(ARG, ...)` of a call, at the `(`.
    fn arguments(&mut self, newlines: bool) -> Read<FuncArgs> {
        self.expect(b'(')?;
        let starts_argument = |reader: &Self| {
            reader
                .peek()
                .is_some_and(|byte| !matches!(byte, b',' | b'.' | b')'))
        };
        let after_paren = self.pos;
        let mut args = Vec::new();
        let mut expand_final = false;
        self.ws()?;
        if starts_argument(self) {
            loop {
                args.push(self.nested_expr(newlines)?);
                self.ws()?;
                if self.peek() == Some(b',') {
                    let comma = self.pos;
                    self.pos += 1;
                    self.ws()?;
                    if starts_argument(self) {
                        continue;
                    }
                    self.pos = comma;
                }
                break;
            }
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'.') if self.starts_with(b"...") => {
                    self.pos += 3;
                    expand_final = true;
                }
                Some(b'.') => return Err(Decline),
                _ => {}
            }
        } else {
            self.pos = after_paren;
        }
        self.ws()?;
        self.expect(b')')?;
        Ok(FuncArgs { args, expand_final })
    }

    fn number(&mut self) -> Read<Number> {
        let start = self.pos;
        self.digits()?;
        let mut float = false;
        if self.peek() == Some(b'.') && matches!(self.peek_at(1), Some(b'0'..=b'9')) {
            self.pos += 1;
            self.digits()?;
            float = true;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            // hcl-edit tries an exponent after the digits (and fraction);
            // one that has no digits is its error.
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            self.digits()?;
            float = true;
        }
        let text = &self.text[start..self.pos];
        if !float && let Ok(integer) = text.parse::<u64>() {
            return Ok(Number::from(integer));
        }
        // A float, or an integer too large for u64 (a float in hcl-edit).
        // Out of range: hcl-edit backtracks into forms the reader leaves
        // to it.
        text.parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .ok_or(Decline)
    }

    fn digits(&mut self) -> Read<()> {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        if self.pos == start {
            Err(Decline)
        } else {
            Ok(())
        }
    }

    /// `[ITEM, ...]` or `[for ...]`, at the `[`.
    fn array(&mut self, newlines: bool) -> Read<Expression> {
        self.expect(b'[')?;
        if self.for_follows()? {
            return self.for_list(newlines);
        }
        let after_bracket = self.pos;
        let mut values = Vec::new();
        self.ws()?;
        if self.peek().is_some_and(|byte| byte != b']') {
            loop {
                values.push(self.nested_expr(newlines)?);
                self.ws()?;
                if self.peek() == Some(b',') {
                    let comma = self.pos;
                    self.pos += 1;
                    self.ws()?;
                    if self.peek().is_some_and(|byte| byte != b']') {
                        continue;
                    }
                    self.pos = comma;
                }
                break;
            }
        } else {
            self.pos = after_bracket;
        }
        if self.peek() == Some(b',') {
            self.pos += 1;
        }
        self.ws()?;
        self.expect(b']')?;
        Ok(Expression::Array(unspanned(values)))
    }

    /// `{KEY = VALUE ...}` or `{for ...}`, at the `{`.
    fn object(&mut self, newlines: &mut bool) -> Read<Expression> {
        self.expect(b'{')?;
        if self.for_follows()? {
            *newlines = true;
            return self.for_object(*newlines);
        }
        let mut object = Object::default();
        let mut keys = ObjectKeys::default();
        loop {
            self.ws()?;
            if self.peek() == Some(b'}') {
                self.pos += 1;
                return Ok(Expression::Object(unspanned(object)));
            }
            let start = self.pos;
            let key = match self.nested_expr(false)? {
                Expression::Variable(variable) => {
                    ObjectKey::Ident(decorated(variable.value, start..self.pos))
                }
                other => ObjectKey::Expression(other),
            };
            self.sp()?;
            if !keys.insert(&key) {
                return Err(Decline);
            }
            if !matches!(self.peek(), Some(b'=' | b':')) {
                return Err(Decline);
            }
            self.pos += 1;
            self.sp()?;
            let value = ObjectValue {
                expr: self.nested_expr(false)?,
            };
            self.sp()?;
            object.items.push((key, value));
            // The item ends at the closing brace, a comma, or a newline
            // (after a line comment, the newline that must end it).
            match self.peek() {
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Expression::Object(unspanned(object)));
                }
                Some(b'\n' | b',') => self.pos += 1,
                Some(b'#') => {
                    self.skip_to_line_end();
                    self.expect(b'\n')?;
                }
                Some(b'/') if self.peek_at(1) == Some(b'/') => {
                    self.skip_to_line_end();
                    self.expect(b'\n')?;
                }
                _ => return Err(Decline),
            }
        }
    }

    /// Whether a `for` expression starts after the bracket (hcl-edit's
    /// test: `for` then a space, a newline or a comment).
    fn for_follows(&mut self) -> Read<bool> {
        let checkpoint = self.pos;
        self.ws()?;
        let follows = self.starts_with(b"for")
            && matches!(self.peek_at(3), Some(b' ' | b'\t' | b'#' | b'/' | b'\n'));
        self.pos = checkpoint;
        Ok(follows)
    }

    /// `for K, V in COLLECTION :`.
    fn for_intro(&mut self) -> Read<ForIntro> {
        self.ws()?;
        let start = self.pos;
        if !self.starts_with(b"for") {
            return Err(Decline);
        }
        self.pos += 3;
        self.ws()?;
        let first = self.decorated_ident()?;
        self.ws()?;
        let second = if self.peek() == Some(b',') {
            self.pos += 1;
            self.ws()?;
            let second = self.decorated_ident()?;
            self.ws()?;
            Some(second)
        } else {
            None
        };
        if !self.starts_with(b"in") {
            return Err(Decline);
        }
        self.pos += 2;
        self.ws()?;
        let collection = self.nested_expr(false)?;
        self.ws()?;
        self.expect(b':')?;
        let (key_var, value_var) = match second {
            Some(value) => (Some(first), value),
            None => (None, first),
        };
        Ok(ForIntro {
            key_var,
            value_var,
            collection_expr: collection,
            span: Some(start..self.pos),
        })
    }

    /// `if CONDITION`, if one follows.
    fn for_condition(&mut self, newlines: bool) -> Read<Option<ForCond>> {
        let checkpoint = self.pos;
        self.ws()?;
        if !self.starts_with(b"if") {
            self.pos = checkpoint;
            return Ok(None);
        }
        let start = self.pos;
        self.pos += 2;
        self.ws()?;
        let condition = self.nested_expr(newlines)?;
        self.ws()?;
        Ok(Some(ForCond {
            expr: condition,
            span: Some(start..self.pos),
        }))
    }

    fn for_list(&mut self, newlines: bool) -> Read<Expression> {
        let intro = self.for_intro()?;
        self.ws()?;
        let value = self.nested_expr(newlines)?;
        self.ws()?;
        let cond = self.for_condition(newlines)?;
        self.expect(b']')?;
        Ok(Expression::ForExpr(Box::new(ForExpr {
            intro,
            key_expr: None,
            value_expr: value,
            cond,
            grouping: false,
            span: None,
        })))
    }

    fn for_object(&mut self, newlines: bool) -> Read<Expression> {
        let intro = self.for_intro()?;
        self.ws()?;
        let key = self.nested_expr(false)?;
        self.ws()?;
        if !self.starts_with(b"=>") {
            return Err(Decline);
        }
        self.pos += 2;
        self.ws()?;
        let value = self.nested_expr(false)?;
        self.ws()?;
        let grouping = self.starts_with(b"...");
        if grouping {
            self.pos += 3;
            self.ws()?;
        }
        let cond = self.for_condition(newlines)?;
        self.expect(b'}')?;
        Ok(Expression::ForExpr(Box::new(ForExpr {
            intro,
            key_expr: Some(key),
            value_expr: value,
            cond,
            grouping,
            span: None,
        })))
    }

    // Strings.

    /// A quoted string at its `"`: plain text, or a template when it
    /// interpolates.
    fn quoted(&mut self) -> Read<Quoted> {
        self.expect(b'"')?;
        let mut elements = Vec::new();
        let mut literal = String::new();
        let mut literal_start = self.pos;
        loop {
            let Some(byte) = self.peek() else {
                return Err(Decline);
            };
            if self.template_part(&mut elements, &mut literal, &mut literal_start)? {
                continue;
            }
            match byte {
                b'"' => {
                    self.pos += 1;
                    if elements.is_empty() {
                        return Ok(Quoted::Plain(literal));
                    }
                    if self.pos - 1 > literal_start {
                        let text = decorated(literal, literal_start..self.pos - 1);
                        elements.push(Element::Literal(text));
                    }
                    return Ok(Quoted::Template(elements));
                }
                b'\\' => {
                    let escaped = self.escape()?;
                    literal.push(escaped);
                }
                _ => {
                    // Up to the next byte that means something here.
                    let rest = &self.bytes[self.pos..];
                    let run = rest
                        .iter()
                        .position(|&b| matches!(b, b'"' | b'$' | b'%' | b'\\'))
                        .unwrap_or(rest.len())
                        .max(1);
                    // `run` ends at an ASCII byte or the text's end, so it
                    // is a character boundary.
                    let end = (self.pos + run).min(self.bytes.len());
                    let end = (end..=self.bytes.len())
                        .find(|&i| self.text.is_char_boundary(i))
                        .unwrap_or(self.bytes.len());
                    literal.push_str(&self.text[self.pos..end]);
                    self.pos = end;
                }
            }
        }
    }

    /// What quoted strings and heredocs share, at the current byte: an
    /// escaped marker (`$${`, `%%{`) joins the literal, `${` ends it and
    /// reads an interpolation, a directive (`%{`) is declined. Whether one
    /// was here.
    fn template_part(
        &mut self,
        elements: &mut Vec<Element>,
        literal: &mut String,
        literal_start: &mut usize,
    ) -> Read<bool> {
        if self.starts_with(b"$${") || self.starts_with(b"%%{") {
            literal.push(self.bytes[self.pos] as char);
            literal.push('{');
            self.pos += 3;
        } else if self.starts_with(b"%{") {
            return Err(Decline);
        } else if self.starts_with(b"${") {
            if self.pos > *literal_start {
                let text = std::mem::take(literal);
                elements.push(Element::Literal(decorated(text, *literal_start..self.pos)));
            }
            elements.push(self.interpolation()?);
            *literal_start = self.pos;
        } else {
            return Ok(false);
        }
        Ok(true)
    }

    /// `\n`, `\uXXXX`, ... at the backslash.
    fn escape(&mut self) -> Read<char> {
        self.pos += 1;
        let byte = self.peek().ok_or(Decline)?;
        self.pos += 1;
        Ok(match byte {
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'\\' => '\\',
            b'"' => '"',
            b'u' | b'U' => {
                let length = if byte == b'u' { 4 } else { 8 };
                let hex = self.text.get(self.pos..self.pos + length).ok_or(Decline)?;
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(Decline);
                }
                self.pos += length;
                let code = u32::from_str_radix(hex, 16).map_err(|_| Decline)?;
                char::from_u32(code).ok_or(Decline)?
            }
            _ => return Err(Decline),
        })
    }

    /// `<<DELIM` or `<<-DELIM` (indented), a newline, the template's
    /// lines, and `DELIM` alone on a line.
    fn heredoc(&mut self) -> Read<Expression> {
        if !self.starts_with(b"<<") {
            return Err(Decline);
        }
        self.pos += 2;
        let indented = self.peek() == Some(b'-');
        if indented {
            self.pos += 1;
        }
        let (delimiter, _) = self.ident()?;
        self.expect(b'\n')?;
        let delimiter = delimiter.as_bytes();
        let mut elements = Vec::new();
        let mut literal = String::new();
        let mut literal_start = self.pos;
        let end = loop {
            let Some(byte) = self.peek() else {
                // No line holds the delimiter after the first: hcl-edit
                // backtracks to an empty template, left to it.
                return Err(Decline);
            };
            if self.template_part(&mut elements, &mut literal, &mut literal_start)? {
                continue;
            }
            match byte {
                b'\n' if self.heredoc_ends_at(self.pos + 1, delimiter)? => break self.pos,
                _ => {
                    let rest = &self.bytes[self.pos..];
                    let run = rest
                        .iter()
                        .position(|&b| matches!(b, b'$' | b'%' | b'\n'))
                        .unwrap_or(rest.len())
                        .max(1);
                    // `run` ends at an ASCII byte or the text's end.
                    let end = self.pos + run;
                    literal.push_str(&self.text[self.pos..end]);
                    self.pos = end;
                }
            }
        };
        // The newline before the delimiter ends the last literal, or is
        // one after an interpolation (the text since `literal_start` is
        // then empty).
        self.pos = end + 1;
        literal.push('\n');
        elements.push(Element::Literal(decorated(
            literal,
            literal_start..self.pos,
        )));
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        self.pos += delimiter.len();
        let mut template = Template { elements };
        if indented {
            dedent(&mut template);
        }
        Ok(Expression::HeredocTemplate(Box::new(HeredocTemplate {
            template,
            span: None,
        })))
    }

    /// Whether the line at `at` is the heredoc's last: spaces or tabs,
    /// the delimiter, and no name character after it.
    fn heredoc_ends_at(&self, at: usize, delimiter: &[u8]) -> Read<bool> {
        let mut at = at;
        while matches!(self.bytes.get(at), Some(b' ' | b'\t')) {
            at += 1;
        }
        if !self.bytes[at.min(self.bytes.len())..].starts_with(delimiter) {
            return Ok(false);
        }
        match self.bytes.get(at + delimiter.len()) {
            // Perhaps a name character in hcl-edit's (Unicode) sense.
            Some(&byte) if byte >= 0x80 => Err(Decline),
            Some(&byte) => Ok(!is_ident_continue(byte)),
            None => Ok(true),
        }
    }

    /// `${ EXPRESSION }` with its strip markers, at the `$`.
    fn interpolation(&mut self) -> Read<Element> {
        let start = self.pos;
        self.pos += 2;
        let strip_start = self.peek() == Some(b'~');
        if strip_start {
            self.pos += 1;
        }
        self.ws()?;
        let expr = self.nested_expr(true)?;
        self.ws()?;
        let strip_end = self.peek() == Some(b'~');
        if strip_end {
            self.pos += 1;
        }
        self.expect(b'}')?;
        Ok(Element::Interpolation(Interpolation {
            expr,
            strip: Strip::from((strip_start, strip_end)),
            span: Some(start..self.pos),
        }))
    }
}

/// `<<-` heredocs: the indentation common to the literals' lines removed,
/// with hcl-edit's rules (a line that is not indented leaves its literal
/// out of the count; an interpolation starting a line prevents any
/// dedent; indentation counts characters that are white space).
fn dedent(template: &mut Template) {
    let mut indent: Option<usize> = None;
    let mut skip_first_line = false;
    for element in &template.elements {
        if let Element::Literal(literal) = element {
            if let Some(leading) = min_leading_whitespace(literal, skip_first_line) {
                indent = Some(indent.map_or(leading, |indent| indent.min(leading)));
            }
            skip_first_line = !literal.ends_with('\n');
        } else if !skip_first_line {
            return;
        }
    }
    let Some(indent) = indent else {
        return;
    };
    let mut skip_first_line = false;
    for element in &mut template.elements {
        if let Element::Literal(literal) = element {
            literal.value = dedent_by(literal, indent, skip_first_line);
            skip_first_line = !literal.ends_with('\n');
        } else {
            skip_first_line = true;
        }
    }
}

fn min_leading_whitespace(text: &str, skip_first: bool) -> Option<usize> {
    let mut leading: Option<usize> = None;
    for (i, line) in text.lines().enumerate() {
        if (i == 0 && skip_first) || line.is_empty() {
            continue;
        }
        let count = line.chars().take_while(|c| c.is_whitespace()).count();
        if count == 0 {
            return None;
        }
        leading = Some(leading.map_or(count, |leading| leading.min(count)));
    }
    leading
}

fn dedent_by(text: &str, indent: usize, skip_first: bool) -> String {
    let mut dedented = String::with_capacity(text.len());
    for (i, line) in text.lines().enumerate() {
        if i == 0 && skip_first {
            dedented.push_str(line);
        } else if !line.is_empty() {
            dedented.extend(line.chars().skip(indent));
        }
        dedented.push('\n');
    }
    if dedented.ends_with('\n') && !text.ends_with('\n') {
        dedented.pop();
    }
    dedented
}

/// What a quoted string is.
enum Quoted {
    /// No interpolation: hcl-edit's `Expression::String`.
    Plain(String),
    Template(Vec<Element>),
}

/// Replaces the last two operands and the last operator with one binary
/// operation, located from its left operand to its right.
fn reduce(operands: &mut Vec<Expression>, operators: &mut Vec<Decorated<BinaryOperator>>) {
    let (Some(operator), Some(rhs), Some(lhs)) = (operators.pop(), operands.pop(), operands.pop())
    else {
        return;
    };
    let span = match (lhs.span(), rhs.span()) {
        (Some(left), Some(right)) => Some(left.start..right.end),
        _ => None,
    };
    operands.push(Expression::BinaryOp(Box::new(BinaryOp {
        lhs_expr: lhs,
        operator,
        rhs_expr: rhs,
        span,
    })));
}

#[cfg(test)]
mod tests;
