//! The saved-plan file reader (`nimbus apply PLANFILE`) on arbitrary
//! bytes: a plan file is user input (it can be cut short, edited or come
//! from another version), so reading it ends in a plan or an error, never
//! a panic. A plan that reads writes back to bytes that read as the same
//! plan, and checking its seal or its inputs never panics either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nimbus_engine::SavedPlan;

fuzz_target!(|data: &[u8]| {
    let Ok(plan) = SavedPlan::from_bytes(data) else {
        return;
    };
    let _ = plan.check_seal(b"a plan key");
    let _ = plan.check_directory(std::path::Path::new("/nowhere"));
    let _ = plan.check_applicable("default", 0);
    let _ = plan.inputs();
    let bytes = plan.to_bytes();
    let again =
        SavedPlan::from_bytes(&bytes).unwrap_or_else(|e| panic!("written plan unreadable: {e}"));
    assert_eq!(
        again.to_bytes(),
        bytes,
        "a plan written back reads differently"
    );
});
