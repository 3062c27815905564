//! The table of functions, sorted by name so that [`crate::lookup`] is a
//! binary search. The order is checked at compile time: a misplaced entry
//! fails the build instead of silently becoming unfindable.

use crate::{Function, Implementation, Marks};
use crate::{cidr, collections as coll, encoding as enc, numbers as num, strings as st};

const fn f(
    name: &'static str,
    min_args: usize,
    max_args: Option<usize>,
    signature: &'static str,
    description: &'static str,
    implementation: Implementation,
) -> Function {
    Function {
        name,
        min_args,
        max_args,
        signature,
        description,
        marks: Marks::Propagate,
        implementation,
    }
}

const fn with_marks(mut function: Function, marks: Marks) -> Function {
    function.marks = marks;
    function
}

const ANY: Option<usize> = None;

const fn exactly(n: usize) -> Option<usize> {
    Some(n)
}

#[rustfmt::skip]
const TABLE: &[Function] = &[
    f("!=", 2, exactly(2), "(!= A B)", "True when A and B are not deeply equal.", num::not_equals),
    f("%", 2, exactly(2), "(% DIVIDEND DIVISOR)", "Remainder of a division, with the sign of the dividend (alias of mod).", num::modulo),
    f("*", 0, ANY, "(* NUMBER...)", "Product of the numbers (1 for none); integer overflow is an error.", num::times),
    f("+", 0, ANY, "(+ NUMBER...)", "Sum of the numbers (0 for none); integer overflow is an error.", num::plus),
    f("-", 1, ANY, "(- NUMBER NUMBER...)", "Subtracts the later numbers from the first; with one number, negates it.", num::minus),
    f("/", 2, ANY, "(/ DIVIDEND DIVISOR...)", "Divides; integers give an integer when exact, else a float. Division by zero is an error.", num::divide),
    f("<", 2, ANY, "(< A B...)", "True when each number (or string) is less than the next.", num::less),
    f("<=", 2, ANY, "(<= A B...)", "True when each number (or string) is at most the next.", num::less_equal),
    f("=", 2, ANY, "(= A B...)", "True when all values are deeply equal (2 equals 2.0).", num::equals),
    f(">", 2, ANY, "(> A B...)", "True when each number (or string) is greater than the next.", num::greater),
    f(">=", 2, ANY, "(>= A B...)", "True when each number (or string) is at least the next.", num::greater_equal),
    f("abs", 1, exactly(1), "(abs NUMBER)", "Absolute value.", num::abs),
    f("alltrue", 1, exactly(1), "(alltrue LIST)", "True when every element of a list of bools is true (also for an empty list).", coll::alltrue),
    f("anytrue", 1, exactly(1), "(anytrue LIST)", "True when any element of a list of bools is true.", coll::anytrue),
    f("base64-decode", 1, exactly(1), "(base64-decode STRING)", "Decodes standard Base64 to UTF-8 text.", enc::base64_decode),
    f("base64-encode", 1, exactly(1), "(base64-encode STRING)", "Encodes the UTF-8 bytes of a string as standard Base64.", enc::base64_encode),
    f("base64-sha256", 1, exactly(1), "(base64-sha256 STRING)", "SHA-256 digest of the string, Base64-encoded.", enc::base64_sha256),
    f("base64-sha512", 1, exactly(1), "(base64-sha512 STRING)", "SHA-512 digest of the string, Base64-encoded.", enc::base64_sha512),
    f("ceil", 1, exactly(1), "(ceil NUMBER)", "Smallest whole number not less than NUMBER.", num::ceil),
    f("chomp", 1, exactly(1), "(chomp STRING)", "Removes trailing newlines.", st::chomp),
    f("cidr-host", 2, exactly(2), "(cidr-host PREFIX HOSTNUM)", "Address number HOSTNUM within a CIDR prefix; negative numbers count from the end.", cidr::cidr_host),
    f("cidr-netmask", 1, exactly(1), "(cidr-netmask PREFIX)", "Dotted netmask of an IPv4 CIDR prefix.", cidr::cidr_netmask),
    f("cidr-subnet", 3, exactly(3), "(cidr-subnet PREFIX NEWBITS NETNUM)", "Subnet number NETNUM of PREFIX extended by NEWBITS bits.", cidr::cidr_subnet),
    f("cidr-subnets", 1, ANY, "(cidr-subnets PREFIX NEWBITS...)", "Consecutive non-overlapping subnets of PREFIX, one per NEWBITS.", cidr::cidr_subnets),
    f("coalesce", 1, ANY, "(coalesce VALUE...)", "The first argument that is neither null nor an empty string.", coll::coalesce),
    f("compact", 1, exactly(1), "(compact LIST)", "The list without nulls and empty strings.", coll::compact),
    f("concat", 0, ANY, "(concat LIST...)", "Concatenates lists.", coll::concat),
    f("contains", 2, exactly(2), "(contains LIST-OR-STRING VALUE)", "True when the list has an element equal to VALUE, or the string contains the substring VALUE.", st::contains),
    f("distinct", 1, exactly(1), "(distinct LIST)", "The list without duplicates, keeping first occurrences in order.", coll::distinct),
    f("element", 2, exactly(2), "(element LIST INDEX)", "Element at INDEX, wrapping around the list's length.", coll::element),
    f("ends-with", 2, exactly(2), "(ends-with STRING SUFFIX)", "True when STRING ends with SUFFIX.", st::ends_with),
    f("first", 1, exactly(1), "(first LIST)", "The first element of a non-empty list.", coll::first),
    f("flatten", 1, exactly(1), "(flatten LIST)", "Replaces nested lists by their elements, at any depth.", coll::flatten),
    f("floor", 1, exactly(1), "(floor NUMBER)", "Largest whole number not greater than NUMBER.", num::floor),
    f("format", 1, ANY, "(format TEMPLATE VALUE...)", "Formats values: ~a displays, ~s writes (strings quoted), ~% is a newline, ~~ a tilde.", st::format),
    f("indent", 2, exactly(2), "(indent SPACES STRING)", "Adds SPACES spaces at the start of every line but the first.", st::indent),
    f("index-of", 2, exactly(2), "(index-of LIST VALUE)", "Position of the first element equal to VALUE; an error when absent.", coll::index_of),
    f("join", 2, exactly(2), "(join SEPARATOR LIST)", "Joins a list of strings with SEPARATOR.", st::join),
    f("json-decode", 1, exactly(1), "(json-decode STRING)", "Parses JSON text into a value.", enc::json_decode),
    f("json-encode", 1, exactly(1), "(json-encode VALUE)", "Compact JSON text with sorted keys, as Terraform's jsonencode.", enc::json_encode),
    f("keys", 1, exactly(1), "(keys MAP)", "The keys of a map, sorted.", coll::keys),
    f("last", 1, exactly(1), "(last LIST)", "The last element of a non-empty list.", coll::last),
    with_marks(f("length", 1, exactly(1), "(length VALUE)", "Characters of a string, elements of a list or entries of a map.", coll::length), Marks::Shape),
    with_marks(f("list", 0, ANY, "(list VALUE...)", "A list of the arguments.", coll::list), Marks::Structural),
    f("log", 2, exactly(2), "(log NUMBER BASE)", "Logarithm of NUMBER in BASE.", num::log),
    f("lookup", 2, exactly(3), "(lookup MAP KEY [DEFAULT])", "The value at KEY, else DEFAULT; an error when absent without a default.", coll::lookup),
    f("lower", 1, exactly(1), "(lower STRING)", "Lower-cases a string.", st::lower),
    f("max", 1, ANY, "(max NUMBER...)", "Largest of the numbers, given as arguments or as one list.", num::max),
    f("md5", 1, exactly(1), "(md5 STRING)", "MD5 digest of the string, in hex.", enc::md5),
    f("merge", 0, ANY, "(merge MAP...)", "Merges maps; later maps win. Null arguments are skipped.", coll::merge),
    f("min", 1, ANY, "(min NUMBER...)", "Smallest of the numbers, given as arguments or as one list.", num::min),
    f("mod", 2, exactly(2), "(mod DIVIDEND DIVISOR)", "Remainder of a division, with the sign of the dividend.", num::modulo),
    f("not", 1, exactly(1), "(not BOOL)", "Logical negation.", num::not),
    f("one", 1, exactly(1), "(one LIST)", "The only element of a list, or null for an empty list; an error for more.", coll::one),
    f("parse-int", 2, exactly(2), "(parse-int STRING BASE)", "Parses an integer written in BASE (2 to 62).", num::parse_int),
    f("pow", 2, exactly(2), "(pow BASE EXPONENT)", "BASE raised to EXPONENT; exact for integers.", num::pow),
    f("range", 1, exactly(3), "(range [START] LIMIT [STEP])", "Numbers from START (default 0) up to, not including, LIMIT (at most 1024).", coll::range),
    f("replace", 3, exactly(3), "(replace STRING SEARCH REPLACEMENT)", "Replaces every occurrence of SEARCH (plain text).", st::replace),
    f("reverse", 1, exactly(1), "(reverse LIST)", "The list in reverse order.", coll::reverse),
    f("sha1", 1, exactly(1), "(sha1 STRING)", "SHA-1 digest of the string, in hex.", enc::sha1),
    f("sha256", 1, exactly(1), "(sha256 STRING)", "SHA-256 digest of the string, in hex.", enc::sha256),
    f("sha512", 1, exactly(1), "(sha512 STRING)", "SHA-512 digest of the string, in hex.", enc::sha512),
    f("signum", 1, exactly(1), "(signum NUMBER)", "-1, 0 or 1 by the sign of NUMBER.", num::signum),
    f("slice", 3, exactly(3), "(slice LIST START END)", "Elements from START up to, not including, END.", coll::slice),
    f("sort", 1, exactly(1), "(sort LIST)", "Sorts a list of strings (lexicographically) or of numbers.", coll::sort),
    f("split", 2, exactly(2), "(split SEPARATOR STRING)", "Splits STRING at each SEPARATOR.", st::split),
    f("starts-with", 2, exactly(2), "(starts-with STRING PREFIX)", "True when STRING starts with PREFIX.", st::starts_with),
    f("string-append", 0, ANY, "(string-append STRING...)", "Concatenates strings.", st::string_append),
    f("substr", 3, exactly(3), "(substr STRING OFFSET LENGTH)", "LENGTH characters from OFFSET (negative: from the end); LENGTH -1 means to the end.", st::substr),
    f("sum", 1, exactly(1), "(sum LIST)", "Sum of a list of numbers.", num::sum),
    f("title", 1, exactly(1), "(title STRING)", "Upper-cases the first letter of each word.", st::title),
    f("to-list", 1, exactly(1), "(to-list VALUE)", "A list unchanged, or null; an error for other values.", coll::to_list),
    f("to-map", 1, exactly(1), "(to-map VALUE)", "A map unchanged, or a map built from a list of (KEY VALUE) pairs.", coll::to_map),
    f("to-number", 1, exactly(1), "(to-number VALUE)", "Parses a string as a number; numbers and null pass through.", num::to_number),
    f("to-set", 1, exactly(1), "(to-set LIST)", "The sorted, distinct elements of a list.", coll::to_set),
    f("to-string", 1, exactly(1), "(to-string VALUE)", "A string, number or bool as a string; null passes through.", num::to_string),
    f("trim", 1, exactly(2), "(trim STRING [CHARACTERS])", "Removes whitespace, or any of CHARACTERS, from both ends.", st::trim),
    f("trim-prefix", 2, exactly(2), "(trim-prefix STRING PREFIX)", "Removes PREFIX once from the start, if present.", st::trim_prefix),
    f("trim-suffix", 2, exactly(2), "(trim-suffix STRING SUFFIX)", "Removes SUFFIX once from the end, if present.", st::trim_suffix),
    f("upper", 1, exactly(1), "(upper STRING)", "Upper-cases a string.", st::upper),
    f("url-encode", 1, exactly(1), "(url-encode STRING)", "Encodes a string for a URL query (space as +).", enc::url_encode),
    f("values", 1, exactly(1), "(values MAP)", "The values of a map, in key order.", coll::values),
    f("zipmap", 2, exactly(2), "(zipmap KEYS VALUES)", "A map from a list of string keys and a list of values of the same length.", coll::zipmap),
];

/// Every function, sorted by name.
pub(crate) static FUNCTIONS: &[Function] = TABLE;

const fn name_less(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut i = 0;
    while i < a.len() && i < b.len() {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
        i += 1;
    }
    a.len() < b.len()
}

const fn sorted_and_unique(table: &[Function]) -> bool {
    let mut i = 1;
    while i < table.len() {
        if !name_less(table[i - 1].name, table[i].name) {
            return false;
        }
        i += 1;
    }
    true
}

const _: () = assert!(
    sorted_and_unique(TABLE),
    "the function table must be sorted by name, without duplicates"
);
