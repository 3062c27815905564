//! Checking what was downloaded: the SHA-256 of the archive, and the
//! detached OpenPGP signature of the `SHA256SUMS` document against the
//! keys the registry publishes (rPGP).

use pgp::composed::{Deserializable, DetachedSignature, SignedPublicKey};
use sha2::{Digest, Sha256};

/// The SHA-256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Checks the detached signature `signature` (binary or ASCII-armored) of
/// `document` against the ASCII-armored public keys `keys`: it must verify
/// under the primary key or a subkey of one of them. The error says why
/// not, in words fit for a message.
pub fn check_signature(document: &[u8], signature: &[u8], keys: &[String]) -> Result<(), String> {
    let signature = parse_signature(signature)?;
    let mut parsed = Vec::new();
    for (n, armored) in keys.iter().enumerate() {
        match SignedPublicKey::from_armor_single(armored.as_bytes()) {
            Ok((key, _headers)) => parsed.push(key),
            Err(e) => return Err(format!("published key {} is not a public key: {e}", n + 1)),
        }
    }
    if parsed.is_empty() {
        return Err("no public key to check it against".to_string());
    }
    for key in &parsed {
        if signature.verify(&key.primary_key, document).is_ok() {
            return Ok(());
        }
        if key
            .public_subkeys
            .iter()
            .any(|sub| signature.verify(&sub.key, document).is_ok())
        {
            return Ok(());
        }
    }
    Err("the signature of SHA256SUMS does not verify under any published key".to_string())
}

fn parse_signature(bytes: &[u8]) -> Result<DetachedSignature, String> {
    let armored = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .is_some_and(|i| bytes[i..].starts_with(b"-----BEGIN PGP"));
    let parsed = if armored {
        DetachedSignature::from_armor_single(bytes).map(|(s, _)| s)
    } else {
        DetachedSignature::from_bytes(bytes)
    };
    parsed.map_err(|e| format!("the signature of SHA256SUMS is not an OpenPGP signature: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::SigningKey;

    #[test]
    fn signatures_verify_only_with_the_signing_key_and_the_signed_text() {
        let key = SigningKey::generate();
        let other = SigningKey::generate();
        let document = b"abc  terraform-provider-x_1.0.0_linux_amd64.zip\n";
        let signature = key.sign(document);
        let keys = vec![key.public_armor()];
        assert_eq!(check_signature(document, &signature, &keys), Ok(()));
        // Armored signatures too.
        assert_eq!(
            check_signature(document, key.sign_armored(document).as_bytes(), &keys),
            Ok(())
        );
        // Any of several keys.
        let both = vec![other.public_armor(), key.public_armor()];
        assert_eq!(check_signature(document, &signature, &both), Ok(()));

        let e = check_signature(b"abd", &signature, &keys).unwrap_err();
        assert!(e.contains("does not verify"), "{e}");
        let e = check_signature(document, &signature, &[other.public_armor()]).unwrap_err();
        assert!(e.contains("does not verify"), "{e}");
        let e = check_signature(document, b"garbage", &keys).unwrap_err();
        assert!(e.contains("not an OpenPGP signature"), "{e}");
        let e = check_signature(document, &signature, &["nonsense".to_string()]).unwrap_err();
        assert!(e.contains("not a public key"), "{e}");
        // Truncated signatures and keys never panic.
        for n in 0..signature.len() {
            assert!(check_signature(document, &signature[..n], &keys).is_err());
        }
        let armor = key.public_armor();
        for n in (0..armor.len()).step_by(7) {
            let _ = check_signature(document, &signature, &[armor[..n].to_string()]);
        }
    }

    #[test]
    fn sha256_is_lower_hex() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
