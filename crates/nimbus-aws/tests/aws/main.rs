//! The AWS provider against an AWS emulator (moto), through the `Provider`
//! trait: for every resource type, create → no-op plan → update in place →
//! replace → out-of-band change seen as drift → import → destroy, checked
//! through the provider's own AWS client. See common.rs for how the emulator is found.
#![allow(clippy::print_stdout, clippy::print_stderr)] // tests say what they skip

mod common;

mod apigateway;
mod dynamodb;
mod faults;
mod iam;
mod lambda;
mod provider;
mod s3;
mod sns;
mod sqs;
