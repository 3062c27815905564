//! The schemas of every built-in resource type and data source.

use nimbus_provider::nimbus_value::{AttributeSchema as A, ProviderSchema, Schema, Type};
use std::sync::Arc;

pub const NULL_RESOURCE: &str = "null-resource";
pub const TERRAFORM_DATA: &str = "terraform-data";
pub const RANDOM_ID: &str = "random-id";
pub const RANDOM_STRING: &str = "random-string";
pub const RANDOM_PASSWORD: &str = "random-password";
pub const LOCAL_FILE: &str = "local-file";
pub const TIME_STATIC: &str = "time-static";

/// Every resource type the builtin provider offers.
pub const RESOURCE_TYPES: &[&str] = &[
    NULL_RESOURCE,
    TERRAFORM_DATA,
    RANDOM_ID,
    RANDOM_STRING,
    RANDOM_PASSWORD,
    LOCAL_FILE,
    TIME_STATIC,
];

/// Every data source the builtin provider offers.
pub const DATA_SOURCES: &[&str] = &[LOCAL_FILE];

/// Default of `file-permission` on `local-file`. Terraform's default is
/// "0777"; a world-writable file is a poor default, so Nimbus uses "0644".
pub const DEFAULT_FILE_PERMISSION: &str = "0644";
/// Default of `directory-permission` on `local-file`.
pub const DEFAULT_DIRECTORY_PERMISSION: &str = "0755";

/// Characters used for the special class unless `override-special` is set
/// (the same set as Terraform's random provider).
pub const DEFAULT_SPECIAL: &str = "!@#$%&*()-_=+[]{}<>:?";

/// Upper bound on `length` of random-string/random-password.
pub const MAX_STRING_LENGTH: i64 = 1 << 20;
/// Upper bound on `byte-length` of random-id (its decimal form costs time
/// quadratic in the length).
pub const MAX_BYTE_LENGTH: i64 = 4096;

fn keepers(owner: &str) -> A {
    A::optional(Type::map(Type::String)).force_new().describe(&format!(
        "Arbitrary map of strings that, when changed, replaces the {owner} with a newly generated one. \
         Use it to tie regeneration to other values (for example an AMI id)."
    ))
}

pub fn builtin_schema() -> ProviderSchema {
    let mut resources = std::collections::BTreeMap::new();
    resources.insert(NULL_RESOURCE.to_string(), Arc::new(null_resource()));
    resources.insert(TERRAFORM_DATA.to_string(), Arc::new(terraform_data()));
    resources.insert(RANDOM_ID.to_string(), Arc::new(random_id()));
    resources.insert(RANDOM_STRING.to_string(), Arc::new(random_string(false)));
    resources.insert(RANDOM_PASSWORD.to_string(), Arc::new(random_string(true)));
    resources.insert(LOCAL_FILE.to_string(), Arc::new(local_file()));
    resources.insert(TIME_STATIC.to_string(), Arc::new(time_static()));
    let mut data_sources = std::collections::BTreeMap::new();
    data_sources.insert(LOCAL_FILE.to_string(), Arc::new(local_file_data()));
    ProviderSchema {
        provider: Schema::new(
            "Built-in resources that need no remote service: placeholders, stored values, \
             random values, local files and timestamps. Takes no configuration.",
        ),
        resources,
        data_sources,
    }
}

fn null_resource() -> Schema {
    Schema::new(
        "A resource that does nothing. Useful as an anchor for dependencies and to re-run actions \
         when `triggers` change (like Terraform's null_resource).",
    )
    .attr(
        "triggers",
        A::optional(Type::map(Type::String))
            .force_new()
            .describe("Arbitrary map of strings; any change to it replaces the resource."),
    )
    .attr(
        "id",
        A::computed(Type::String)
            .describe("A random decimal number chosen when the resource is created."),
    )
}

fn terraform_data() -> Schema {
    Schema::new(
        "Stores a value in state and echoes it back, and can replace itself when another value \
         changes (like Terraform's terraform_data).",
    )
    .attr(
        "input",
        A::optional(Type::Any).describe(
            "A value of any type to store. It is copied to `output` on every apply; changing it \
             updates the resource in place.",
        ),
    )
    .attr(
        "triggers-replace",
        A::optional(Type::Any).force_new().describe(
            "A value of any type; any change to it replaces the resource (with a new `id`).",
        ),
    )
    .attr(
        "output",
        A::computed(Type::Any).describe(
            "The value of `input` as of the last apply. Unknown during planning whenever `input` \
             changes or is itself unknown.",
        ),
    )
    .attr(
        "id",
        A::computed(Type::String).describe("A random UUID chosen when the resource is created."),
    )
}

fn random_id() -> Schema {
    Schema::new(
        "Random bytes, rendered in several encodings; suitable for unique names (like Terraform's \
         random_id). Import with the base64url id, optionally preceded by `PREFIX,`.",
    )
    .attr(
        "byte-length",
        A::required(Type::Number)
            .force_new()
            .describe("Number of random bytes to generate, at least 1 and at most 4096."),
    )
    .attr(
        "prefix",
        A::optional(Type::String)
            .force_new()
            .describe("Text prepended to `hex`, `dec`, `b64-url` and `b64-std` (not to `id`)."),
    )
    .attr("keepers", keepers("id"))
    .attr(
        "hex",
        A::computed(Type::String)
            .describe("`prefix` followed by the bytes in lowercase hexadecimal."),
    )
    .attr(
        "b64-url",
        A::computed(Type::String)
            .describe("`prefix` followed by the bytes in URL-safe base64 without padding."),
    )
    .attr(
        "b64-std",
        A::computed(Type::String)
            .describe("`prefix` followed by the bytes in standard base64 with padding."),
    )
    .attr(
        "dec",
        A::computed(Type::String).describe(
            "`prefix` followed by the bytes read as a big-endian unsigned integer, in decimal.",
        ),
    )
    .attr(
        "id",
        A::computed(Type::String)
            .describe("The bytes in URL-safe base64 without padding and without `prefix`."),
    )
}

fn random_string(password: bool) -> Schema {
    let (what, description) = if password {
        (
            "password",
            "A random password from a cryptographically secure generator (like Terraform's \
             random_password). `result` is sensitive and `id` is the constant \"none\" so the secret \
             never appears outside `result`. Import with the password itself as the id.",
        )
    } else {
        (
            "string",
            "A random string from a cryptographically secure generator (like Terraform's \
             random_string). `result` is not sensitive: use random-password for secrets. Import \
             with the string itself as the id.",
        )
    };
    let class = |name: &str, chars: &str| {
        A::optional_computed(Type::Bool).force_new().describe(&format!(
            "Whether {name} ({chars}) may appear in the result. Defaults to true; changing it replaces the {what}."
        ))
    };
    let minimum = |name: &str, flag: &str| {
        A::optional_computed(Type::Number).force_new().describe(&format!(
            "Minimum number of {name} in the result. Defaults to 0; must be 0 when `{flag}` is false."
        ))
    };
    let result = A::computed(Type::String).describe(&format!("The generated {what}."));
    Schema::new(description)
        .attr(
            "length",
            A::required(Type::Number).force_new().describe(&format!(
                "Length of the {what} in characters: at least 1, at most 1048576, and at least the sum \
                 of the `min-*` attributes."
            )),
        )
        .attr("special", class("special characters", "see `override-special`"))
        .attr("upper", class("uppercase letters", "A-Z"))
        .attr("lower", class("lowercase letters", "a-z"))
        .attr("numeric", class("digits", "0-9"))
        .attr("min-special", minimum("special characters", "special"))
        .attr("min-upper", minimum("uppercase letters", "upper"))
        .attr("min-lower", minimum("lowercase letters", "lower"))
        .attr("min-numeric", minimum("digits", "numeric"))
        .attr(
            "override-special",
            A::optional(Type::String).force_new().describe(&format!(
                "The characters used for the special class instead of the default {DEFAULT_SPECIAL}"
            )),
        )
        .attr("keepers", keepers(what))
        .attr("result", if password { result.sensitive() } else { result })
        .attr(
            "id",
            A::computed(Type::String).describe(if password {
                "Always \"none\": the password is only in `result`."
            } else {
                "The generated string (the same as `result`)."
            }),
        )
}

fn local_file() -> Schema {
    Schema::new(
        "A file on the local file system (like Terraform's local_file). Written atomically; a \
         change of content replaces the file, a change of permissions is applied in place. \
         Import with the file name.",
    )
    .attr(
        "filename",
        A::required(Type::String).force_new().describe(
            "Path of the file; relative paths are resolved against the directory of the \
             configuration. Missing parent directories are created.",
        ),
    )
    .attr(
        "content",
        A::optional(Type::String)
            .force_new()
            .describe("Text to write (UTF-8). Exactly one of `content` and `content-base64` must be set."),
    )
    .attr(
        "content-base64",
        A::optional(Type::String).force_new().describe(
            "Bytes to write, encoded in standard base64; for binary files. Exactly one of \
             `content` and `content-base64` must be set.",
        ),
    )
    .attr(
        "file-permission",
        A::optional_computed(Type::String).describe(&format!(
            "Permission bits of the file as an octal string such as \"0600\". Applied exactly \
             (the umask does not apply). Defaults to \"{DEFAULT_FILE_PERMISSION}\" (Terraform's default \
             is \"0777\"). Changing it updates the file's mode in place."
        )),
    )
    .attr(
        "directory-permission",
        A::optional_computed(Type::String).describe(&format!(
            "Permission bits, as an octal string, of the parent directories this resource creates \
             (existing directories are left alone). Defaults to \"{DEFAULT_DIRECTORY_PERMISSION}\". \
             Changing it updates those directories in place."
        )),
    )
    .attr(
        "id",
        A::computed(Type::String).describe("SHA-1 of the content written, in hexadecimal (as in Terraform)."),
    )
    .attr(
        "content-sha256",
        A::computed(Type::String).describe("SHA-256 of the file's content, in hexadecimal."),
    )
    .attr(
        "content-md5",
        A::computed(Type::String).describe("MD5 of the file's content, in hexadecimal."),
    )
}

fn time_static() -> Schema {
    Schema::new(
        "A timestamp fixed when the resource is created and kept in state (like Terraform's \
         time_static). Import with an RFC 3339 timestamp.",
    )
    .attr(
        "triggers",
        A::optional(Type::map(Type::String))
            .force_new()
            .describe("Arbitrary map of strings; any change replaces the resource and takes a new timestamp."),
    )
    .attr(
        "rfc3339",
        A::optional_computed(Type::String).force_new().describe(
            "The timestamp in RFC 3339 form. Defaults to the time of creation in UTC, to the second \
             (e.g. \"2024-05-01T12:30:00Z\").",
        ),
    )
    .attr(
        "year",
        A::computed(Type::Number).describe("Year of the timestamp, in the timestamp's own UTC offset."),
    )
    .attr(
        "month",
        A::computed(Type::Number).describe("Month (1-12) of the timestamp, in its own UTC offset."),
    )
    .attr(
        "day",
        A::computed(Type::Number).describe("Day of the month (1-31) of the timestamp, in its own UTC offset."),
    )
    .attr(
        "hour",
        A::computed(Type::Number).describe("Hour (0-23) of the timestamp, in its own UTC offset."),
    )
    .attr(
        "minute",
        A::computed(Type::Number).describe("Minute (0-59) of the timestamp."),
    )
    .attr(
        "second",
        A::computed(Type::Number).describe("Second (0-59) of the timestamp."),
    )
    .attr(
        "unix",
        A::computed(Type::Number).describe("Seconds since 1970-01-01T00:00:00Z."),
    )
    .attr(
        "id",
        A::computed(Type::String).describe("The timestamp in RFC 3339 form (the same as `rfc3339`)."),
    )
}

fn local_file_data() -> Schema {
    Schema::new("Reads a file from the local file system. A missing file is an error.")
        .attr(
            "filename",
            A::required(Type::String).describe(
                "Path of the file to read; relative paths are resolved against the directory of the \
                 configuration.",
            ),
        )
        .attr(
            "content",
            A::computed(Type::String)
                .describe("The file's content as text (invalid UTF-8 sequences become U+FFFD)."),
        )
        .attr(
            "content-base64",
            A::computed(Type::String).describe("The file's exact bytes, in standard base64."),
        )
        .attr(
            "content-sha256",
            A::computed(Type::String).describe("SHA-256 of the file's content, in hexadecimal."),
        )
        .attr(
            "content-md5",
            A::computed(Type::String).describe("MD5 of the file's content, in hexadecimal."),
        )
        .attr(
            "id",
            A::computed(Type::String).describe("SHA-1 of the file's content, in hexadecimal."),
        )
}
