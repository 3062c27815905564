//! The schemas of every built-in kind, in canonical (kebab-case) attribute
//! names, for each dialect. [`crate::kinds::Dialect::schema`] shows them
//! with Terraform's names.

use crate::kinds::{DataKind, Dialect, Kind, Types};
use nimbus_provider::nimbus_value::{AttributeSchema as A, ProviderSchema, Schema, Type};

pub const NULL_RESOURCE: &str = "null-resource";
pub const TERRAFORM_DATA: &str = "terraform-data";
pub const RANDOM_ID: &str = "random-id";
pub const RANDOM_STRING: &str = "random-string";
pub const RANDOM_PASSWORD: &str = "random-password";
pub const RANDOM_INTEGER: &str = "random-integer";
pub const RANDOM_PET: &str = "random-pet";
pub const RANDOM_SHUFFLE: &str = "random-shuffle";
pub const RANDOM_UUID: &str = "random-uuid";
pub const LOCAL_FILE: &str = "local-file";
pub const LOCAL_SENSITIVE_FILE: &str = "local-sensitive-file";
pub const TIME_STATIC: &str = "time-static";
pub const TIME_OFFSET: &str = "time-offset";
pub const TIME_ROTATING: &str = "time-rotating";
pub const TIME_SLEEP: &str = "time-sleep";
pub const NULL_DATA_SOURCE: &str = "null-data-source";

/// Every resource type under its Nimbus name.
pub const RESOURCE_TYPES: &[&str] = &[
    NULL_RESOURCE,
    TERRAFORM_DATA,
    RANDOM_ID,
    RANDOM_STRING,
    RANDOM_PASSWORD,
    RANDOM_INTEGER,
    RANDOM_PET,
    RANDOM_SHUFFLE,
    RANDOM_UUID,
    LOCAL_FILE,
    LOCAL_SENSITIVE_FILE,
    TIME_STATIC,
    TIME_OFFSET,
    TIME_ROTATING,
    TIME_SLEEP,
];

/// Every resource type under its Terraform name.
pub const TERRAFORM_RESOURCE_TYPES: &[&str] = &[
    "null_resource",
    "terraform_data",
    "random_id",
    "random_string",
    "random_password",
    "random_integer",
    "random_pet",
    "random_shuffle",
    "random_uuid",
    "local_file",
    "local_sensitive_file",
    "time_static",
    "time_offset",
    "time_rotating",
    "time_sleep",
];

/// Every data source under its Nimbus name.
pub const DATA_SOURCES: &[&str] = &[LOCAL_FILE, LOCAL_SENSITIVE_FILE, NULL_DATA_SOURCE];

/// Every data source under its Terraform name.
pub const TERRAFORM_DATA_SOURCES: &[&str] =
    &["local_file", "local_sensitive_file", "null_data_source"];

/// Default of `file-permission` on `local-file`. Terraform's default is
/// "0777"; a world-writable file is a poor default, so Nimbus uses "0644".
pub const DEFAULT_FILE_PERMISSION: &str = "0644";
/// Default of `directory-permission` on `local-file`.
pub const DEFAULT_DIRECTORY_PERMISSION: &str = "0755";
/// Default of `file-permission` on `local-sensitive-file` (Terraform's is
/// "0700").
pub const DEFAULT_SENSITIVE_FILE_PERMISSION: &str = "0600";
/// Default of `directory-permission` on `local-sensitive-file`.
pub const DEFAULT_SENSITIVE_DIRECTORY_PERMISSION: &str = "0700";

/// Characters used for the special class unless `override-special` is set
/// (the same set as Terraform's random provider).
pub const DEFAULT_SPECIAL: &str = "!@#$%&*()-_=+[]{}<>:?";

/// Upper bound on `length` of random-string/random-password.
pub const MAX_STRING_LENGTH: i64 = 1 << 20;
/// Upper bound on `byte-length` of random-id (its decimal form costs time
/// quadratic in the length).
pub const MAX_BYTE_LENGTH: i64 = 4096;
/// Upper bound on `length` (in words) of random-pet.
pub const MAX_PET_LENGTH: i64 = 64;
/// Upper bound on the number of items random-shuffle returns.
pub const MAX_SHUFFLE_RESULTS: i64 = 1 << 16;
/// Upper bound on `create-duration` and `destroy-duration` of time-sleep,
/// in seconds: below the engine's default timeout of one provider call
/// (20 minutes), so a sleep is never cut short and retried.
pub const MAX_SLEEP_SECONDS: u64 = 15 * 60;

/// The schema of the whole built-in provider: every type under both its
/// names.
pub fn builtin_schema() -> ProviderSchema {
    Types::build(&[Dialect::Nimbus, Dialect::Terraform], None).1
}

fn keepers(owner: &str) -> A {
    A::optional(Type::map(Type::String)).force_new().describe(&format!(
        "Arbitrary map of strings that, when changed, replaces the {owner} with a newly generated one. \
         Use it to tie regeneration to other values (for example an AMI id)."
    ))
}

fn triggers(what: &str) -> A {
    A::optional(Type::map(Type::String))
        .force_new()
        .describe(&format!(
            "Arbitrary map of strings; any change replaces the resource{what}."
        ))
}

/// The canonical schema of a managed kind in a dialect.
pub(crate) fn resource(kind: Kind, dialect: Dialect) -> Schema {
    match kind {
        Kind::NullResource => null_resource(),
        Kind::TerraformData => terraform_data(),
        Kind::RandomId => random_id(),
        Kind::RandomString => random_string(false, dialect),
        Kind::RandomPassword => random_string(true, dialect),
        Kind::RandomInteger => random_integer(),
        Kind::RandomPet => random_pet(),
        Kind::RandomShuffle => random_shuffle(),
        Kind::RandomUuid => random_uuid(),
        Kind::LocalFile => local_file(false, dialect),
        Kind::LocalSensitiveFile => local_file(true, dialect),
        Kind::TimeStatic => time_static(),
        Kind::TimeOffset => time_offset(),
        Kind::TimeRotating => time_rotating(),
        Kind::TimeSleep => time_sleep(),
    }
}

/// The canonical schema of a data source in a dialect.
pub(crate) fn data_source(kind: DataKind, dialect: Dialect) -> Schema {
    match kind {
        DataKind::LocalFile => local_file_data(false, dialect),
        DataKind::LocalSensitiveFile => local_file_data(true, dialect),
        DataKind::NullDataSource => null_data_source(),
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

fn null_data_source() -> Schema {
    Schema::new(
        "A data source that reads nothing: `outputs` is a copy of `inputs` (like Terraform's \
         null_data_source; locals or terraform-data do the same more plainly).",
    )
    .attr(
        "inputs",
        A::optional(Type::map(Type::String))
            .describe("A map of strings, copied to `outputs` when the data source is read."),
    )
    .attr(
        "outputs",
        A::computed(Type::map(Type::String)).describe("A copy of `inputs`."),
    )
    .attr(
        "random",
        A::computed(Type::String)
            .describe("A random decimal number, new on every read (for testing)."),
    )
    .attr(
        "has-computed-default",
        A::optional_computed(Type::String)
            .describe("Its configured value, or \"default\" when not set (for testing)."),
    )
    .attr(
        "id",
        A::computed(Type::String).describe("Always \"static\" (kept for compatibility)."),
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

fn random_string(password: bool, dialect: Dialect) -> Schema {
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
        let rule = match dialect {
            Dialect::Nimbus => format!("must be 0 when `{flag}` is false"),
            Dialect::Terraform => format!("counted even when `{flag}` is false"),
        };
        A::optional_computed(Type::Number)
            .force_new()
            .describe(&format!(
                "Minimum number of {name} in the result. Defaults to 0; {rule}."
            ))
    };
    let result = A::computed(Type::String).describe(&format!("The generated {what}."));
    let mut schema = Schema::new(description)
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
        );
    if dialect == Dialect::Terraform {
        // Terraform's random provider 3.5: `number` is the deprecated
        // spelling of `numeric`, kept equal to it; its schema versions.
        schema = schema.attr(
            "number",
            A::optional_computed(Type::Bool)
                .force_new()
                .describe("Deprecated spelling of `numeric`; the two always hold the same value."),
        );
        schema.version = 2;
        if password {
            schema = schema.attr(
                "bcrypt-hash",
                A::computed(Type::String)
                    .sensitive()
                    .describe("A bcrypt hash (cost 10) of `result`."),
            );
            schema.version = 3;
        }
    }
    schema
}

fn random_integer() -> Schema {
    Schema::new(
        "A random integer from a range (like Terraform's random_integer). Import with \
         `RESULT,MIN,MAX` or `RESULT,MIN,MAX,SEED`.",
    )
    .attr(
        "min",
        A::required(Type::Number)
            .force_new()
            .describe("The smallest value the result may take."),
    )
    .attr(
        "max",
        A::required(Type::Number)
            .force_new()
            .describe("The largest value the result may take; at least `min`."),
    )
    .attr(
        "seed",
        A::optional(Type::String).force_new().describe(
            "Text the result is derived from instead of the random source: the same seed, range \
             and Nimbus version give the same result (not the result Terraform gives).",
        ),
    )
    .attr("keepers", keepers("integer"))
    .attr(
        "result",
        A::computed(Type::Number).describe("The random integer."),
    )
    .attr(
        "id",
        A::computed(Type::String).describe("`result` in decimal."),
    )
}

fn random_pet() -> Schema {
    Schema::new(
        "A random, readable name such as \"mostly-brave-otter\" (like Terraform's random_pet): \
         one name, an adjective before it from two words, adverbs before that from three.",
    )
    .attr(
        "length",
        A::optional_computed(Type::Number)
            .force_new()
            .describe("Number of words, at least 1 and at most 64. Defaults to 2."),
    )
    .attr(
        "prefix",
        A::optional(Type::String)
            .force_new()
            .describe("Text put before the name, followed by `separator`."),
    )
    .attr(
        "separator",
        A::optional_computed(Type::String)
            .force_new()
            .describe("What goes between the words. Defaults to \"-\"."),
    )
    .attr("keepers", keepers("name"))
    .attr(
        "id",
        A::computed(Type::String).describe("The generated name."),
    )
}

fn random_shuffle() -> Schema {
    Schema::new("A random permutation of a list of strings (like Terraform's random_shuffle).")
        .attr(
            "input",
            A::required(Type::list(Type::String))
                .force_new()
                .describe("The strings to shuffle."),
        )
        .attr(
            "result-count",
            A::optional(Type::Number).force_new().describe(
                "How many items `result` has; defaults to the length of `input`. More than that \
             repeats items, one more permutation at a time; at most 65536.",
            ),
        )
        .attr(
            "seed",
            A::optional(Type::String).force_new().describe(
                "Text the permutation is derived from instead of the random source: the same seed \
             and input give the same result in the same Nimbus version.",
            ),
        )
        .attr("keepers", keepers("permutation"))
        .attr(
            "result",
            A::computed(Type::list(Type::String)).describe("The shuffled strings."),
        )
        .attr(
            "id",
            A::computed(Type::String).describe("Always \"-\" (the result is in `result`)."),
        )
}

fn random_uuid() -> Schema {
    Schema::new("A random UUID (version 4, like Terraform's random_uuid). Import with the UUID.")
        .attr("keepers", keepers("UUID"))
        .attr(
            "result",
            A::computed(Type::String).describe("The UUID, in lowercase hexadecimal with dashes."),
        )
        .attr(
            "id",
            A::computed(Type::String).describe("The UUID (the same as `result`)."),
        )
}

fn local_file(sensitive: bool, dialect: Dialect) -> Schema {
    let (file_default, dir_default) = match (sensitive, dialect) {
        (false, Dialect::Nimbus) => (DEFAULT_FILE_PERMISSION, DEFAULT_DIRECTORY_PERMISSION),
        (true, Dialect::Nimbus) => (
            DEFAULT_SENSITIVE_FILE_PERMISSION,
            DEFAULT_SENSITIVE_DIRECTORY_PERMISSION,
        ),
        (false, Dialect::Terraform) => ("0777", "0777"),
        (true, Dialect::Terraform) => ("0700", "0700"),
    };
    let (description, modes) = match dialect {
        Dialect::Nimbus => (
            "A file on the local file system. Written atomically; a change of content replaces \
             the file, a change of permissions is applied in place, and an edit made outside \
             Nimbus shows as drift. Import with the file name.",
            "Applied exactly (the umask does not apply); changing it updates the mode in place.",
        ),
        Dialect::Terraform => (
            "A file on the local file system (Terraform's local provider). Written atomically; \
             any change replaces the file, and a file deleted or edited outside is made again.",
            "Before the umask, as Terraform does; changing it replaces the file.",
        ),
    };
    let (what, description) = if sensitive {
        (
            "sensitive ",
            format!("{description} Its content is sensitive: never shown in plans or output."),
        )
    } else {
        ("", description.to_string())
    };
    let exactly = if dialect == Dialect::Terraform && !sensitive {
        "Exactly one of `content`, `sensitive-content`, `content-base64` and `source` must be set."
    } else {
        "Exactly one of `content`, `content-base64` and `source` must be set."
    };
    let content = |text: &str| {
        let a = A::optional(Type::String)
            .force_new()
            .describe(&format!("{text} {exactly}"));
        if sensitive { a.sensitive() } else { a }
    };
    let mode = |what: &str, default: &str| {
        let a = A::optional_computed(Type::String).describe(&format!(
            "Permission bits of {what} as an octal string such as \"0600\". {modes} Defaults to \
             \"{default}\"."
        ));
        if dialect == Dialect::Terraform {
            a.force_new()
        } else {
            a
        }
    };
    let mut schema = Schema::new(&description)
        .attr(
            "filename",
            A::required(Type::String).force_new().describe(
                "Path of the file; relative paths are resolved against the directory of the \
                 configuration. Missing parent directories are created.",
            ),
        )
        .attr("content", content(&format!("{what}Text to write (UTF-8).")))
        .attr(
            "content-base64",
            content(&format!(
                "{what}Bytes to write, encoded in standard base64; for binary files."
            )),
        )
        .attr(
            "source",
            A::optional(Type::String).force_new().describe(&format!(
                "Path of a file whose bytes are written (read when the file is created; relative \
                 to the directory of the configuration). {exactly}"
            )),
        )
        .attr("file-permission", mode("the file", file_default))
        .attr(
            "directory-permission",
            mode("the parent directories this resource creates", dir_default),
        )
        .attr(
            "id",
            A::computed(Type::String)
                .describe("SHA-1 of the content written, in hexadecimal (as in Terraform)."),
        );
    if dialect == Dialect::Terraform && !sensitive {
        schema = schema.attr(
            "sensitive-content",
            A::optional(Type::String)
                .force_new()
                .sensitive()
                .describe(&format!(
                    "Text to write, never shown in plans (deprecated in Terraform: use \
                 local_sensitive_file). {exactly}"
                )),
        );
    }
    for (name, description) in hashes(dialect) {
        schema = schema.attr(name, A::computed(Type::String).describe(description));
    }
    if dialect == Dialect::Nimbus && !sensitive {
        // Version 1 added `source`.
        schema.version = 1;
    }
    schema
}

/// The hash attributes of a local file in a dialect.
pub(crate) fn hashes(dialect: Dialect) -> &'static [(&'static str, &'static str)] {
    const NIMBUS: &[(&str, &str)] = &[
        (
            "content-sha256",
            "SHA-256 of the file's content, in hexadecimal.",
        ),
        ("content-md5", "MD5 of the file's content, in hexadecimal."),
    ];
    const TERRAFORM: &[(&str, &str)] = &[
        ("content-md5", "MD5 of the file's content, in hexadecimal."),
        (
            "content-sha1",
            "SHA-1 of the file's content, in hexadecimal.",
        ),
        (
            "content-sha256",
            "SHA-256 of the file's content, in hexadecimal.",
        ),
        (
            "content-base64sha256",
            "SHA-256 of the file's content, in standard base64.",
        ),
        (
            "content-sha512",
            "SHA-512 of the file's content, in hexadecimal.",
        ),
        (
            "content-base64sha512",
            "SHA-512 of the file's content, in standard base64.",
        ),
    ];
    match dialect {
        Dialect::Nimbus => NIMBUS,
        Dialect::Terraform => TERRAFORM,
    }
}

/// The attributes a time-* kind derives from one timestamp.
fn timestamp_parts(schema: Schema, of: &str) -> Schema {
    schema
        .attr(
            "year",
            A::computed(Type::Number).describe(&format!("Year of {of}, in its own UTC offset.")),
        )
        .attr(
            "month",
            A::computed(Type::Number)
                .describe(&format!("Month (1-12) of {of}, in its own UTC offset.")),
        )
        .attr(
            "day",
            A::computed(Type::Number).describe(&format!(
                "Day of the month (1-31) of {of}, in its own UTC offset."
            )),
        )
        .attr(
            "hour",
            A::computed(Type::Number)
                .describe(&format!("Hour (0-23) of {of}, in its own UTC offset.")),
        )
        .attr(
            "minute",
            A::computed(Type::Number).describe(&format!("Minute (0-59) of {of}.")),
        )
        .attr(
            "second",
            A::computed(Type::Number).describe(&format!("Second (0-59) of {of}.")),
        )
        .attr(
            "unix",
            A::computed(Type::Number)
                .describe(&format!("{of}, in seconds since 1970-01-01T00:00:00Z.")),
        )
}

fn time_static() -> Schema {
    let schema = Schema::new(
        "A timestamp fixed when the resource is created and kept in state (like Terraform's \
         time_static). Import with an RFC 3339 timestamp.",
    )
    .attr("triggers", triggers(" and takes a new timestamp"))
    .attr(
        "rfc3339",
        A::optional_computed(Type::String).force_new().describe(
            "The timestamp in RFC 3339 form. Defaults to the time of creation in UTC, to the second \
             (e.g. \"2024-05-01T12:30:00Z\").",
        ),
    )
    .attr(
        "id",
        A::computed(Type::String).describe("The timestamp in RFC 3339 form (the same as `rfc3339`)."),
    );
    timestamp_parts(schema, "the timestamp")
}

fn time_offset() -> Schema {
    let mut schema = Schema::new(
        "A timestamp at an offset from a base time fixed at creation (like Terraform's \
         time_offset). The offsets add up, years and months first (a day past the end of a \
         month runs into the next). Import with `BASE,YEARS,MONTHS,DAYS,HOURS,MINUTES,SECONDS`.",
    )
    .attr(
        "base-rfc3339",
        A::optional_computed(Type::String).describe(
            "The base timestamp in RFC 3339 form. Defaults to the time of creation in UTC, to the \
             second.",
        ),
    )
    .attr("triggers", triggers(" and takes a new base timestamp"))
    .attr(
        "rfc3339",
        A::computed(Type::String)
            .describe("The base timestamp plus the offsets, in RFC 3339 form."),
    )
    .attr(
        "id",
        A::computed(Type::String).describe("The base timestamp (the same as `base-rfc3339`)."),
    );
    for unit in ["years", "months", "days", "hours", "minutes", "seconds"] {
        schema = schema.attr(
            &format!("offset-{unit}"),
            A::optional(Type::Number).describe(&format!(
                "Number of {unit} to add to the base timestamp (may be negative). At least one \
                 `offset-*` must be set; changing one updates the resource in place."
            )),
        );
    }
    timestamp_parts(schema, "the offset timestamp")
}

fn time_rotating() -> Schema {
    let mut schema = Schema::new(
        "A base timestamp that is replaced once the rotation time has passed (like Terraform's \
         time_rotating): every plan compares the rotation time with the clock. Import with \
         `BASE,YEARS,MONTHS,DAYS,HOURS,MINUTES` or `BASE,ROTATION`.",
    )
    .attr(
        "rfc3339",
        A::optional_computed(Type::String).force_new().describe(
            "The base timestamp in RFC 3339 form. Defaults to the time of creation in UTC, to the \
             second.",
        ),
    )
    .attr(
        "rotation-rfc3339",
        A::optional_computed(Type::String).describe(
            "When the resource rotates, in RFC 3339 form. Defaults to the base timestamp plus the \
             `rotation-*` periods.",
        ),
    )
    .attr("triggers", triggers(" and takes a new base timestamp"))
    .attr(
        "id",
        A::computed(Type::String).describe("The base timestamp (the same as `rfc3339`)."),
    );
    for unit in ["years", "months", "days", "hours", "minutes"] {
        schema = schema.attr(
            &format!("rotation-{unit}"),
            A::optional(Type::Number).describe(&format!(
                "Number of {unit} after the base timestamp that the resource rotates, at least 1. \
                 At least one of the `rotation-*` attributes must be set."
            )),
        );
    }
    timestamp_parts(schema, "the rotation timestamp")
}

fn time_sleep() -> Schema {
    let duration = |when: &str| {
        A::optional(Type::String).describe(&format!(
            "How long to wait {when}, as a Go duration such as \"30s\", \"1m30s\" or \"500ms\"; at \
             most 15 minutes. Changing it waits for nothing by itself. An interrupt (Ctrl-C) ends \
             the wait with an error."
        ))
    };
    Schema::new(
        "Waits when it is created and/or destroyed, to give something else time to settle (like \
         Terraform's time_sleep). At least one of `create-duration` and `destroy-duration` must \
         be set. Import with `CREATE,DESTROY`.",
    )
    .attr(
        "create-duration",
        duration("before the resource counts as created"),
    )
    .attr(
        "destroy-duration",
        duration("before the resource counts as destroyed"),
    )
    .attr("triggers", triggers(", waiting again"))
    .attr(
        "id",
        A::computed(Type::String)
            .describe("When the resource was created (after the wait), in RFC 3339 form."),
    )
}

fn local_file_data(sensitive: bool, dialect: Dialect) -> Schema {
    let content = |text: &str| {
        let a = A::computed(Type::String).describe(text);
        if sensitive { a.sensitive() } else { a }
    };
    let mut schema = Schema::new(if sensitive {
        "Reads a file from the local file system; its content is sensitive. A missing file is an \
         error."
    } else {
        "Reads a file from the local file system. A missing file is an error."
    })
    .attr(
        "filename",
        A::required(Type::String).describe(
            "Path of the file to read; relative paths are resolved against the directory of the \
             configuration.",
        ),
    )
    .attr(
        "content",
        content("The file's content as text (invalid UTF-8 sequences become U+FFFD)."),
    )
    .attr(
        "content-base64",
        content("The file's exact bytes, in standard base64."),
    )
    .attr(
        "id",
        A::computed(Type::String).describe("SHA-1 of the file's content, in hexadecimal."),
    );
    for (name, description) in hashes(dialect) {
        schema = schema.attr(name, A::computed(Type::String).describe(description));
    }
    schema
}
