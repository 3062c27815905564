//! What a provider plugin sends back: a cty type's JSON notation and a
//! value in msgpack or JSON, on arbitrary bytes. A malformed provider gives
//! a `CtyError`, never a panic; see `nimbus_plugin::fuzzing` for the
//! input's layout.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = nimbus_plugin::fuzzing::decode_plugin_value(data);
});
