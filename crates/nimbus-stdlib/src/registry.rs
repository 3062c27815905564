//! The table of functions, sorted by name so that [`crate::lookup`] is a
//! binary search. The order is checked at compile time: a misplaced entry
//! fails the build instead of silently becoming unfindable.

use crate::{Function, Implementation, Marks, Needs};
use crate::{cidr, collections as coll, dates, encoding as enc, files, numbers as num};
use crate::{patterns, printf, sets, strings as st, yaml};

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
        needs: Needs::Nothing,
        implementation,
    }
}

const fn with_marks(mut function: Function, marks: Marks) -> Function {
    function.marks = marks;
    function
}

const fn needing(mut function: Function, needs: Needs) -> Function {
    function.needs = needs;
    function
}

const ANY: Option<usize> = None;

const fn exactly(n: usize) -> Option<usize> {
    Some(n)
}

#[rustfmt::skip]
const TABLE: &[Function] = &[
    f("!=", 2, exactly(2), "(!= A B)", "True when A and B are not deeply equal.", num::not_equals),
    f("%", 2, exactly(2), "(% DIVIDEND DIVISOR)", "Remainder of a division, with the sign of the dividend; the dividend for a zero divisor (alias of mod).", num::modulo),
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
    needing(f("abs-path", 1, exactly(1), "(abs-path PATH)", "PATH made absolute against the current directory.", files::abs_path), Needs::Files),
    f("alltrue", 1, exactly(1), "(alltrue LIST)", "True when every element of a list of bools is true (also for an empty list).", coll::alltrue),
    f("anytrue", 1, exactly(1), "(anytrue LIST)", "True when any element of a list of bools is true.", coll::anytrue),
    f("base64-decode", 1, exactly(1), "(base64-decode STRING)", "Decodes standard Base64 to UTF-8 text.", enc::base64_decode),
    f("base64-encode", 1, exactly(1), "(base64-encode STRING)", "Encodes the UTF-8 bytes of a string as standard Base64.", enc::base64_encode),
    f("base64-gzip", 1, exactly(1), "(base64-gzip STRING)", "Gzip-compresses the string and Base64-encodes the result.", enc::base64_gzip),
    f("base64-sha256", 1, exactly(1), "(base64-sha256 STRING)", "SHA-256 digest of the string, Base64-encoded.", enc::base64_sha256),
    f("base64-sha512", 1, exactly(1), "(base64-sha512 STRING)", "SHA-512 digest of the string, Base64-encoded.", enc::base64_sha512),
    f("basename", 1, exactly(1), "(basename PATH)", "The last element of a path.", files::basename),
    needing(f("bcrypt", 1, exactly(2), "(bcrypt STRING [COST])", "A bcrypt hash of the string (cost 10 by default); unknown until apply.", enc::bcrypt), Needs::Apply),
    f("ceil", 1, exactly(1), "(ceil NUMBER)", "Smallest whole number not less than NUMBER.", num::ceil),
    f("chomp", 1, exactly(1), "(chomp STRING)", "Removes trailing newlines.", st::chomp),
    f("chunk-list", 2, exactly(2), "(chunk-list LIST SIZE)", "The list cut into chunks of SIZE elements (0: one chunk).", coll::chunk_list),
    f("cidr-host", 2, exactly(2), "(cidr-host PREFIX HOSTNUM)", "Address number HOSTNUM within a CIDR prefix; negative numbers count from the end.", cidr::cidr_host),
    f("cidr-netmask", 1, exactly(1), "(cidr-netmask PREFIX)", "Dotted netmask of an IPv4 CIDR prefix.", cidr::cidr_netmask),
    f("cidr-subnet", 3, exactly(3), "(cidr-subnet PREFIX NEWBITS NETNUM)", "Subnet number NETNUM of PREFIX extended by NEWBITS bits.", cidr::cidr_subnet),
    f("cidr-subnets", 1, ANY, "(cidr-subnets PREFIX NEWBITS...)", "Consecutive non-overlapping subnets of PREFIX, one per NEWBITS.", cidr::cidr_subnets),
    f("coalesce", 1, ANY, "(coalesce VALUE...)", "The first argument that is neither null nor an empty string.", coll::coalesce),
    f("coalesce-list", 1, ANY, "(coalesce-list LIST...)", "The first argument that is a non-empty list.", coll::coalesce_list),
    f("compact", 1, exactly(1), "(compact LIST)", "The list without nulls and empty strings.", coll::compact),
    f("concat", 1, ANY, "(concat LIST...)", "Concatenates lists.", coll::concat),
    f("contains", 2, exactly(2), "(contains LIST-OR-STRING VALUE)", "True when the list has an element equal to VALUE, or the string contains the substring VALUE.", st::contains),
    f("csv-decode", 1, exactly(1), "(csv-decode STRING)", "CSV text with a header line, as a list of maps.", enc::csv_decode),
    f("dirname", 1, exactly(1), "(dirname PATH)", "A path without its last element.", files::dirname),
    f("distinct", 1, exactly(1), "(distinct LIST)", "The list without duplicates, keeping first occurrences in order.", coll::distinct),
    f("element", 2, exactly(2), "(element LIST INDEX)", "Element at INDEX, wrapping around the list's length.", coll::element),
    f("ends-with", 2, exactly(2), "(ends-with STRING SUFFIX)", "True when STRING ends with SUFFIX.", st::ends_with),
    needing(f("file", 1, exactly(1), "(file PATH)", "The UTF-8 text of a file.", files::file), Needs::Files),
    needing(f("file-base64", 1, exactly(1), "(file-base64 PATH)", "The bytes of a file, Base64-encoded.", files::file_base64), Needs::Files),
    needing(f("file-base64-sha256", 1, exactly(1), "(file-base64-sha256 PATH)", "SHA-256 digest of a file, Base64-encoded.", files::file_base64_sha256), Needs::Files),
    needing(f("file-base64-sha512", 1, exactly(1), "(file-base64-sha512 PATH)", "SHA-512 digest of a file, Base64-encoded.", files::file_base64_sha512), Needs::Files),
    needing(f("file-exists", 1, exactly(1), "(file-exists PATH)", "True when a regular file exists at PATH.", files::file_exists), Needs::Files),
    needing(f("file-md5", 1, exactly(1), "(file-md5 PATH)", "MD5 digest of a file, in hex.", files::file_md5), Needs::Files),
    needing(f("file-set", 2, exactly(2), "(file-set DIRECTORY PATTERN)", "The files under DIRECTORY matching a glob PATTERN, sorted.", files::file_set), Needs::Files),
    needing(f("file-sha1", 1, exactly(1), "(file-sha1 PATH)", "SHA-1 digest of a file, in hex.", files::file_sha1), Needs::Files),
    needing(f("file-sha256", 1, exactly(1), "(file-sha256 PATH)", "SHA-256 digest of a file, in hex.", files::file_sha256), Needs::Files),
    needing(f("file-sha512", 1, exactly(1), "(file-sha512 PATH)", "SHA-512 digest of a file, in hex.", files::file_sha512), Needs::Files),
    f("first", 1, exactly(1), "(first LIST)", "The first element of a non-empty list.", coll::first),
    f("flatten", 1, exactly(1), "(flatten LIST)", "Replaces nested lists by their elements, at any depth.", coll::flatten),
    f("floor", 1, exactly(1), "(floor NUMBER)", "Largest whole number not greater than NUMBER.", num::floor),
    f("format", 1, ANY, "(format TEMPLATE VALUE...)", "Formats values: ~a displays, ~s writes (strings quoted), ~% is a newline, ~~ a tilde.", st::format),
    f("format-date", 2, exactly(2), "(format-date FORMAT TIMESTAMP)", "An RFC 3339 timestamp written with Terraform's date verbs (YYYY, MM, DD, hh, mm, ss, ...).", dates::format_date),
    f("format-list", 1, ANY, "(format-list TEMPLATE VALUE...)", "format-printf over lists of values, one string per position.", printf::format_list),
    f("format-printf", 1, ANY, "(format-printf TEMPLATE VALUE...)", "Formats values with printf verbs: %s %d %f %e %g %x %q %v %t %%, with flags, width and precision.", printf::format_printf),
    f("indent", 2, exactly(2), "(indent SPACES STRING)", "Adds SPACES spaces at the start of every line but the first.", st::indent),
    f("index-of", 2, exactly(2), "(index-of LIST VALUE)", "Position of the first element equal to VALUE; an error when absent.", coll::index_of),
    f("join", 2, ANY, "(join SEPARATOR LIST...)", "Joins the strings of the lists with SEPARATOR.", st::join),
    f("json-decode", 1, exactly(1), "(json-decode STRING)", "Parses JSON text into a value.", enc::json_decode),
    f("json-encode", 1, exactly(1), "(json-encode VALUE)", "Compact JSON text with sorted keys, as Terraform's jsonencode.", enc::json_encode),
    f("keys", 1, exactly(1), "(keys MAP)", "The keys of a map, sorted.", coll::keys),
    f("last", 1, exactly(1), "(last LIST)", "The last element of a non-empty list.", coll::last),
    with_marks(f("length", 1, exactly(1), "(length VALUE)", "Characters (grapheme clusters) of a string, elements of a list or entries of a map.", coll::length), Marks::Shape),
    with_marks(f("list", 0, ANY, "(list VALUE...)", "A list of the arguments.", coll::list), Marks::Structural),
    f("log", 2, exactly(2), "(log NUMBER BASE)", "Logarithm of NUMBER in BASE.", num::log),
    f("lookup", 2, exactly(3), "(lookup MAP KEY [DEFAULT])", "The value at KEY, else DEFAULT; an error when absent without a default.", coll::lookup),
    f("lower", 1, exactly(1), "(lower STRING)", "Lower-cases a string.", st::lower),
    f("match-keys", 3, exactly(3), "(match-keys VALUES KEYS SEARCH)", "The VALUES whose KEYS at the same position are in SEARCH.", coll::match_keys),
    f("max", 1, ANY, "(max NUMBER...)", "Largest of the numbers, given as arguments or as one list.", num::max),
    f("md5", 1, exactly(1), "(md5 STRING)", "MD5 digest of the string, in hex.", enc::md5),
    f("merge", 0, ANY, "(merge MAP...)", "Merges maps; later maps win. Null arguments are skipped.", coll::merge),
    f("min", 1, ANY, "(min NUMBER...)", "Smallest of the numbers, given as arguments or as one list.", num::min),
    f("mod", 2, exactly(2), "(mod DIVIDEND DIVISOR)", "Remainder of a division, with the sign of the dividend; the dividend for a zero divisor.", num::modulo),
    with_marks(f("nonsensitive", 1, exactly(1), "(nonsensitive VALUE)", "VALUE without its sensitive mark; an error when it has none.", coll::nonsensitive), Marks::RemoveSensitive),
    f("not", 1, exactly(1), "(not BOOL)", "Logical negation.", num::not),
    f("one", 1, exactly(1), "(one LIST)", "The only element of a list, or null for an empty list; an error for more.", coll::one),
    f("parse-int", 2, exactly(2), "(parse-int STRING BASE)", "Parses an integer written in BASE (2 to 62).", num::parse_int),
    needing(f("path-expand", 1, exactly(1), "(path-expand PATH)", "A leading ~ replaced by the home directory.", files::path_expand), Needs::Files),
    needing(f("plan-timestamp", 0, exactly(0), "(plan-timestamp)", "When the plan started, in RFC 3339; the same at apply.", dates::plan_timestamp), Needs::PlanTimestamp),
    f("pow", 2, exactly(2), "(pow BASE EXPONENT)", "BASE raised to EXPONENT; exact for integers.", num::pow),
    f("range", 1, exactly(3), "(range [START] LIMIT [STEP])", "Numbers from START (default 0) up to, not including, LIMIT (at most 1024).", coll::range),
    f("regex", 2, exactly(2), "(regex PATTERN STRING)", "The first match of an RE2 pattern: the text, a list of groups or a map of named groups.", patterns::regex),
    f("regex-all", 2, exactly(2), "(regex-all PATTERN STRING)", "Every match of an RE2 pattern, each as regex returns it.", patterns::regex_all),
    f("replace", 3, exactly(3), "(replace STRING SEARCH REPLACEMENT)", "Replaces every occurrence of SEARCH; a SEARCH written /.../ is a regular expression.", st::replace),
    f("reverse", 1, exactly(1), "(reverse LIST)", "The list in reverse order.", coll::reverse),
    with_marks(f("sensitive", 1, exactly(1), "(sensitive VALUE)", "VALUE marked sensitive.", coll::sensitive), Marks::AddSensitive),
    f("set-intersection", 1, ANY, "(set-intersection SET...)", "The elements in every set.", sets::set_intersection),
    f("set-product", 0, ANY, "(set-product SET SET...)", "Every combination of one element from each set.", sets::set_product),
    f("set-subtract", 2, exactly(2), "(set-subtract A B)", "The elements of set A not in set B.", sets::set_subtract),
    f("set-union", 1, ANY, "(set-union SET...)", "The elements in any of the sets.", sets::set_union),
    f("sha1", 1, exactly(1), "(sha1 STRING)", "SHA-1 digest of the string, in hex.", enc::sha1),
    f("sha256", 1, exactly(1), "(sha256 STRING)", "SHA-256 digest of the string, in hex.", enc::sha256),
    f("sha512", 1, exactly(1), "(sha512 STRING)", "SHA-512 digest of the string, in hex.", enc::sha512),
    f("signum", 1, exactly(1), "(signum NUMBER)", "-1, 0 or 1 by the sign of NUMBER.", num::signum),
    f("slice", 3, exactly(3), "(slice LIST START END)", "Elements from START up to, not including, END.", coll::slice),
    f("sort", 1, exactly(1), "(sort LIST)", "Sorts lexicographically; numbers and bools are sorted, and returned, as strings (as Terraform).", coll::sort),
    f("split", 2, exactly(2), "(split SEPARATOR STRING)", "Splits STRING at each SEPARATOR.", st::split),
    f("starts-with", 2, exactly(2), "(starts-with STRING PREFIX)", "True when STRING starts with PREFIX.", st::starts_with),
    f("string-append", 0, ANY, "(string-append STRING...)", "Concatenates strings.", st::string_append),
    f("string-contains", 2, exactly(2), "(string-contains STRING SUBSTRING)", "True when STRING contains SUBSTRING.", st::string_contains),
    f("string-reverse", 1, exactly(1), "(string-reverse STRING)", "The characters (grapheme clusters) in reverse order.", st::string_reverse),
    f("substr", 3, exactly(3), "(substr STRING OFFSET LENGTH)", "LENGTH characters (grapheme clusters) from OFFSET (negative: from the end); LENGTH -1 means to the end.", st::substr),
    f("sum", 1, exactly(1), "(sum LIST)", "Sum of a non-empty list of numbers.", coll::sum),
    f("text-decode-base64", 2, exactly(2), "(text-decode-base64 BASE64 ENCODING)", "Decodes Base64 bytes in a character encoding (UTF-8, UTF-16LE/BE, ISO-8859-1, US-ASCII).", enc::text_decode_base64),
    f("text-encode-base64", 2, exactly(2), "(text-encode-base64 STRING ENCODING)", "Encodes a string in a character encoding, then as Base64.", enc::text_encode_base64),
    f("time-add", 2, exactly(2), "(time-add TIMESTAMP DURATION)", "An RFC 3339 timestamp moved by a duration such as \"1h30m\".", dates::time_add),
    f("time-compare", 2, exactly(2), "(time-compare A B)", "-1, 0 or 1 as timestamp A is before, at or after B.", dates::time_compare),
    needing(f("timestamp", 0, exactly(0), "(timestamp)", "The current UTC time in RFC 3339; unknown until apply.", dates::timestamp), Needs::Apply),
    f("title", 1, exactly(1), "(title STRING)", "Upper-cases the first letter of each word.", st::title),
    f("to-bool", 1, exactly(1), "(to-bool VALUE)", "A bool, or the string \"true\" or \"false\", as a bool; null passes through.", num::to_bool),
    f("to-list", 1, exactly(1), "(to-list VALUE)", "A list unchanged, or null; an error for other values.", coll::to_list),
    f("to-map", 1, exactly(1), "(to-map VALUE)", "A map unchanged, or a map built from a list of (KEY VALUE) pairs.", coll::to_map),
    f("to-number", 1, exactly(1), "(to-number VALUE)", "Parses a string as a number; numbers and null pass through.", num::to_number),
    f("to-set", 1, exactly(1), "(to-set LIST)", "The distinct elements of a list, in Terraform's set order.", coll::to_set),
    f("to-string", 1, exactly(1), "(to-string VALUE)", "A string, number or bool as a string; null passes through.", num::to_string),
    f("transpose", 1, exactly(1), "(transpose MAP)", "A map of lists of strings turned inside out.", coll::transpose),
    f("trim", 1, exactly(2), "(trim STRING [CHARACTERS])", "Removes whitespace, or any of CHARACTERS, from both ends.", st::trim),
    f("trim-prefix", 2, exactly(2), "(trim-prefix STRING PREFIX)", "Removes PREFIX once from the start, if present.", st::trim_prefix),
    f("trim-space", 1, exactly(1), "(trim-space STRING)", "Removes white space from both ends.", st::trim_space),
    f("trim-suffix", 2, exactly(2), "(trim-suffix STRING SUFFIX)", "Removes SUFFIX once from the end, if present.", st::trim_suffix),
    f("upper", 1, exactly(1), "(upper STRING)", "Upper-cases a string.", st::upper),
    f("url-encode", 1, exactly(1), "(url-encode STRING)", "Encodes a string for a URL query (space as +).", enc::url_encode),
    needing(f("uuid", 0, exactly(0), "(uuid)", "A random UUID (version 4); unknown until apply.", enc::uuid), Needs::Apply),
    f("uuid-v5", 2, exactly(2), "(uuid-v5 NAMESPACE NAME)", "The name-based UUID (version 5) of NAME in NAMESPACE (dns, url, oid, x500 or a UUID).", enc::uuid_v5),
    f("values", 1, exactly(1), "(values MAP)", "The values of a map, in key order.", coll::values),
    f("yaml-decode", 1, exactly(1), "(yaml-decode STRING)", "Parses a YAML document into a value, typed as Terraform types it.", yaml::yaml_decode),
    f("yaml-encode", 1, exactly(1), "(yaml-encode VALUE)", "YAML text for a value, as Terraform's yamlencode writes it.", yaml::yaml_encode),
    f("zipmap", 2, exactly(2), "(zipmap KEYS VALUES)", "A map from a list of string keys and a list of values of the same length.", coll::zipmap),
];

/// Every function, sorted by name.
pub(crate) static FUNCTIONS: &[Function] = TABLE;

/// Terraform's name of every Terraform built-in provided here, and the DSL
/// name of its implementation, sorted by Terraform name. The rule (checked
/// by a test) is that the Terraform name is the DSL name without dashes,
/// except for the pairs in [`TERRAFORM_EXCEPTIONS`].
#[rustfmt::skip]
pub(crate) static TERRAFORM_NAMES: &[(&str, &str)] = &[
    ("abs", "abs"), ("abspath", "abs-path"), ("alltrue", "alltrue"), ("anytrue", "anytrue"),
    ("base64decode", "base64-decode"), ("base64encode", "base64-encode"), ("base64gzip", "base64-gzip"),
    ("base64sha256", "base64-sha256"), ("base64sha512", "base64-sha512"), ("basename", "basename"),
    ("bcrypt", "bcrypt"), ("ceil", "ceil"), ("chomp", "chomp"), ("chunklist", "chunk-list"),
    ("cidrhost", "cidr-host"), ("cidrnetmask", "cidr-netmask"), ("cidrsubnet", "cidr-subnet"),
    ("cidrsubnets", "cidr-subnets"), ("coalesce", "coalesce"), ("coalescelist", "coalesce-list"),
    ("compact", "compact"), ("concat", "concat"), ("contains", "contains"), ("csvdecode", "csv-decode"),
    ("dirname", "dirname"), ("distinct", "distinct"), ("element", "element"), ("endswith", "ends-with"),
    ("file", "file"), ("filebase64", "file-base64"), ("filebase64sha256", "file-base64-sha256"),
    ("filebase64sha512", "file-base64-sha512"), ("fileexists", "file-exists"), ("filemd5", "file-md5"),
    ("fileset", "file-set"), ("filesha1", "file-sha1"), ("filesha256", "file-sha256"),
    ("filesha512", "file-sha512"), ("flatten", "flatten"), ("floor", "floor"),
    ("format", "format-printf"), ("formatdate", "format-date"), ("formatlist", "format-list"),
    ("indent", "indent"), ("index", "index-of"), ("join", "join"), ("jsondecode", "json-decode"),
    ("jsonencode", "json-encode"), ("keys", "keys"), ("length", "length"), ("log", "log"),
    ("lookup", "lookup"), ("lower", "lower"), ("matchkeys", "match-keys"), ("max", "max"),
    ("md5", "md5"), ("merge", "merge"), ("min", "min"), ("nonsensitive", "nonsensitive"), ("one", "one"),
    ("parseint", "parse-int"), ("pathexpand", "path-expand"), ("plantimestamp", "plan-timestamp"),
    ("pow", "pow"), ("range", "range"), ("regex", "regex"), ("regexall", "regex-all"),
    ("replace", "replace"), ("reverse", "reverse"), ("sensitive", "sensitive"),
    ("setintersection", "set-intersection"), ("setproduct", "set-product"),
    ("setsubtract", "set-subtract"), ("setunion", "set-union"), ("sha1", "sha1"), ("sha256", "sha256"),
    ("sha512", "sha512"), ("signum", "signum"), ("slice", "slice"), ("sort", "sort"), ("split", "split"),
    ("startswith", "starts-with"), ("strcontains", "string-contains"), ("strrev", "string-reverse"),
    ("substr", "substr"), ("sum", "sum"), ("textdecodebase64", "text-decode-base64"),
    ("textencodebase64", "text-encode-base64"), ("timeadd", "time-add"), ("timecmp", "time-compare"),
    ("timestamp", "timestamp"), ("title", "title"), ("tobool", "to-bool"), ("tolist", "to-list"),
    ("tomap", "to-map"), ("tonumber", "to-number"), ("toset", "to-set"), ("tostring", "to-string"),
    ("transpose", "transpose"), ("trim", "trim"), ("trimprefix", "trim-prefix"),
    ("trimspace", "trim-space"), ("trimsuffix", "trim-suffix"), ("upper", "upper"),
    ("urlencode", "url-encode"), ("uuid", "uuid"), ("uuidv5", "uuid-v5"), ("values", "values"),
    ("yamldecode", "yaml-decode"), ("yamlencode", "yaml-encode"), ("zipmap", "zipmap"),
];

/// The Terraform names that are not the DSL name without dashes.
pub(crate) static TERRAFORM_EXCEPTIONS: &[(&str, &str, &str)] = &[
    (
        "format",
        "format-printf",
        "the DSL's `format` has `~a` directives; Terraform's has printf verbs",
    ),
    (
        "index",
        "index-of",
        "`index` reads as a noun in the DSL; `index-of` says what it finds",
    ),
    (
        "strcontains",
        "string-contains",
        "`str` abbreviations are spelled out in the DSL",
    ),
    (
        "strrev",
        "string-reverse",
        "`str` abbreviations are spelled out in the DSL",
    ),
    (
        "timecmp",
        "time-compare",
        "abbreviations are spelled out in the DSL",
    ),
];

/// Terraform 1.5 built-ins that are not provided here, and why.
pub(crate) static TERRAFORM_NOT_PROVIDED: &[(&str, &str)] = &[
    (
        "can",
        "evaluated lazily by the evaluator: it must catch errors of an unevaluated expression",
    ),
    (
        "try",
        "evaluated lazily by the evaluator: it must catch errors of unevaluated expressions",
    ),
    (
        "templatefile",
        "evaluated by the evaluator as `template-file`: the template is an expression in HCL's template language",
    ),
    (
        "rsadecrypt",
        "needs an RSA implementation; left until a configuration needs it",
    ),
    (
        "type",
        "only in `terraform console`, to show a value's type",
    ),
];

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

const fn terraform_sorted_and_unique(table: &[(&str, &str)]) -> bool {
    let mut i = 1;
    while i < table.len() {
        if !name_less(table[i - 1].0, table[i].0) {
            return false;
        }
        i += 1;
    }
    true
}

const _: () = assert!(
    terraform_sorted_and_unique(TERRAFORM_NAMES),
    "the Terraform name table must be sorted by Terraform name, without duplicates"
);
