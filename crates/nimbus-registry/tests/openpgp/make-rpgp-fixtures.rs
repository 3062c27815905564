// Makes the `rpgp-*` fixtures in this directory with rPGP (the `pgp` crate,
// version 0.21), an implementation independent of the one under test: a
// version 4 key of the RFC 9580 Ed25519 algorithm (27), which GnuPG 2.2
// cannot make, and a version 6 key and signature, which the verifier
// refuses. Not built with the crate: to run it, make a binary crate with
// `pgp = "0.21"` and `rand = "0.8"` as dependencies and this as its
// `main.rs`, then run it in this directory.
use pgp::composed::{
    ArmorOptions, DetachedSignature, EncryptionCaps, KeyType, SecretKeyParamsBuilder,
    SignedPublicKey, SignedSecretKey,
};
use pgp::crypto::hash::HashAlgorithm;
use pgp::ser::Serialize as _;
use pgp::types::{KeyVersion, Password};

fn key(version: KeyVersion, name: &str) -> SignedSecretKey {
    SecretKeyParamsBuilder::default()
        .version(version)
        .key_type(KeyType::Ed25519)
        .can_certify(true)
        .can_sign(true)
        .can_encrypt(EncryptionCaps::None)
        .primary_user_id(format!("{name} <{name}@example.invalid>"))
        .build()
        .unwrap()
        .generate(rand::thread_rng())
        .unwrap()
}

fn sign(key: &SignedSecretKey, hash: HashAlgorithm, data: &[u8]) -> DetachedSignature {
    DetachedSignature::sign_binary_data(
        rand::thread_rng(),
        &key.primary_key,
        &Password::empty(),
        hash,
        data,
    )
    .unwrap()
}

fn main() {
    let sums = std::fs::read("SHA256SUMS").unwrap();
    for (version, name) in [(KeyVersion::V4, "rpgp-ed25519"), (KeyVersion::V6, "rpgp-v6-ed25519")] {
        let secret = key(version, name);
        let public = SignedPublicKey::from(secret.clone());
        let armor = public.to_armored_string(ArmorOptions::default()).unwrap();
        std::fs::write(format!("{name}.pub.asc"), armor).unwrap();
        for (hash, label) in [(HashAlgorithm::Sha256, "sha256"), (HashAlgorithm::Sha512, "sha512")] {
            let signature = sign(&secret, hash, &sums);
            std::fs::write(format!("{name}-{label}.sig"), signature.to_bytes().unwrap()).unwrap();
            let armored = signature.to_armored_string(ArmorOptions::default()).unwrap();
            std::fs::write(format!("{name}-{label}.sig.asc"), armored).unwrap();
        }
    }
}
