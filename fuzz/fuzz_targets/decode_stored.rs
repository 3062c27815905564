//! The state store's decoding of what it reads back from its database:
//! resource and output rows and the event log (replayed into the
//! projection, decoded as history reads it), on arbitrary bytes. A damaged
//! database gives a `StateError`, never a panic; see
//! `nimbus_state::fuzzing` for the input's layout.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = nimbus_state::fuzzing::decode_stored(data);
});
