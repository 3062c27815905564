//! Checking what was downloaded: the SHA-256 of the archive, and the
//! detached OpenPGP signature of the `SHA256SUMS` document against the
//! keys the registry publishes (this crate's own OpenPGP reader, with
//! ring's cryptography).

use crate::openpgp;
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
    let signatures = openpgp::read_signatures(signature)
        .map_err(|e| format!("the signature of SHA256SUMS is not an OpenPGP signature: {e}"))?;
    let mut published = Vec::new();
    for (n, armored) in keys.iter().enumerate() {
        let found = openpgp::read_public_keys(armored.as_bytes())
            .map_err(|e| format!("published key {} is not a public key: {e}", n + 1))?;
        published.extend(found);
    }
    if published.is_empty() {
        return Err("no public key to check it against".to_string());
    }
    openpgp::verify(document, &signatures, &published).map_err(|failure| {
        if !failure.checked && !failure.unsupported.is_empty() {
            return format!(
                "the signature of SHA256SUMS cannot be checked: {}",
                failure.unsupported.join("; ")
            );
        }
        let mut message =
            "the signature of SHA256SUMS does not verify under any published key".to_string();
        match failure.unknown_signers.as_slice() {
            [] => {}
            [one] => message.push_str(&format!(
                " (it names key {one} as its signer, which is not published)"
            )),
            several => message.push_str(&format!(
                " (its signatures name keys {} as their signers, which are not published)",
                several.join(", ")
            )),
        }
        if !failure.unsupported.is_empty() {
            message.push_str(&format!("; also, {}", failure.unsupported.join("; ")));
        }
        message
    })
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

    /// The files made by other OpenPGP implementations (GnuPG, rPGP):
    /// `tests/openpgp/make-fixtures.sh` says how.
    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/openpgp/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn fixture_names() -> Vec<String> {
        let dir = format!("{}/tests/openpgp", env!("CARGO_MANIFEST_DIR"));
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    fn key(name: &str) -> String {
        String::from_utf8(fixture(name)).unwrap()
    }

    enum Expect {
        /// Verifies with each of these key files, and with no other.
        Verifies(&'static [&'static str]),
        /// Cannot be checked with this key file: the error says so, with
        /// this text.
        Refused(&'static str, &'static str),
    }
    use Expect::{Refused, Verifies};

    const SEVERAL: &str = "several.pub.asc";

    /// Each signature fixture (`NAME.sig` and/or `NAME.sig.asc`), the
    /// document it signs, and what checking it gives.
    const CASES: &[(&str, &str, Expect)] = &[
        (
            "rsa2048-sha256",
            "SHA256SUMS",
            Verifies(&["rsa2048.pub.asc", SEVERAL]),
        ),
        (
            "rsa2048-sha512",
            "SHA256SUMS",
            Verifies(&["rsa2048.pub.asc", SEVERAL]),
        ),
        (
            "rsa4096-sha384",
            "SHA256SUMS",
            Verifies(&["rsa4096.pub.asc"]),
        ),
        (
            "ed25519-sha256",
            "SHA256SUMS",
            Verifies(&["ed25519.pub.asc"]),
        ),
        (
            "ed25519-sha512",
            "SHA256SUMS",
            Verifies(&["ed25519.pub.asc"]),
        ),
        (
            "nistp256-sha256",
            "SHA256SUMS",
            Verifies(&["nistp256.pub.asc", SEVERAL]),
        ),
        (
            "nistp256-sha384",
            "SHA256SUMS",
            Verifies(&["nistp256.pub.asc", SEVERAL]),
        ),
        (
            "nistp384-sha384",
            "SHA256SUMS",
            Verifies(&["nistp384.pub.asc"]),
        ),
        // Signed by subkeys of a key whose primary only certifies.
        (
            "multi-ed25519sub-sha256",
            "SHA256SUMS",
            Verifies(&["multi.pub.asc", SEVERAL]),
        ),
        (
            "multi-rsasub-sha256",
            "SHA256SUMS",
            Verifies(&["multi.pub.asc", SEVERAL]),
        ),
        // RFC 9580 Ed25519 (algorithm 27) in a version 4 key, by rPGP.
        (
            "rpgp-ed25519-sha256",
            "SHA256SUMS",
            Verifies(&["rpgp-ed25519.pub.asc"]),
        ),
        (
            "rpgp-ed25519-sha512",
            "SHA256SUMS",
            Verifies(&["rpgp-ed25519.pub.asc"]),
        ),
        // Text signatures (type 0x01) of a document with LF line ends.
        (
            "text-ed25519-sha256",
            "text.txt",
            Verifies(&["ed25519.pub.asc"]),
        ),
        (
            "text-rsa2048-sha256",
            "text.txt",
            Verifies(&["rsa2048.pub.asc", SEVERAL]),
        ),
        // Two signatures in one file (Ed25519, then RSA): either will do.
        (
            "two-ed25519-rsa2048-sha256",
            "SHA256SUMS",
            Verifies(&["rsa2048.pub.asc", "ed25519.pub.asc", SEVERAL]),
        ),
        (
            "ed25519-sha1",
            "SHA256SUMS",
            Refused(
                "ed25519.pub.asc",
                "its hash algorithm is SHA-1, which is too weak",
            ),
        ),
        (
            "nistp256-sha512",
            "SHA256SUMS",
            Refused(
                "nistp256.pub.asc",
                "ECDSA over P-256 with SHA-512 is not supported",
            ),
        ),
        (
            "nistp384-sha512",
            "SHA256SUMS",
            Refused(
                "nistp384.pub.asc",
                "ECDSA over P-384 with SHA-512 is not supported",
            ),
        ),
        (
            "dsa2048-sha256",
            "SHA256SUMS",
            Refused(
                "dsa2048.pub.asc",
                "it is made with DSA, which is not supported",
            ),
        ),
        (
            "brainpoolP256r1-sha256",
            "SHA256SUMS",
            Refused(
                "brainpoolP256r1.pub.asc",
                "an ECDSA key over brainpoolP256r1 is not supported",
            ),
        ),
        (
            "rpgp-v6-ed25519-sha256",
            "SHA256SUMS",
            Refused(
                "rpgp-v6-ed25519.pub.asc",
                "it is a version 6 signature, which is not supported",
            ),
        ),
        (
            "rpgp-v6-ed25519-sha512",
            "SHA256SUMS",
            Refused(
                "rpgp-v6-ed25519.pub.asc",
                "it is a version 6 signature, which is not supported",
            ),
        ),
    ];

    /// The signature files of a case: binary, armored or both.
    fn signature_files(stem: &str) -> Vec<String> {
        let names = fixture_names();
        let files: Vec<String> = [format!("{stem}.sig"), format!("{stem}.sig.asc")]
            .into_iter()
            .filter(|name| names.contains(name))
            .collect();
        assert!(!files.is_empty(), "no signature file for {stem}");
        files
    }

    fn key_files() -> Vec<String> {
        fixture_names()
            .into_iter()
            .filter(|name| name.ends_with(".pub.asc"))
            .collect()
    }

    /// `document` with one octet changed.
    fn altered(document: &[u8]) -> Vec<u8> {
        let mut altered = document.to_vec();
        altered[document.len() / 3] ^= 0x01;
        altered
    }

    #[test]
    fn every_signature_fixture_is_a_case() {
        for name in fixture_names() {
            if let Some(stem) = name.strip_suffix(".sig.asc").or(name.strip_suffix(".sig")) {
                assert!(
                    CASES.iter().any(|(case, _, _)| *case == stem),
                    "{name} is in no case"
                );
            }
        }
        assert_eq!(key_files().len(), 11);
    }

    #[test]
    fn signatures_by_other_implementations_verify_with_their_keys_only() {
        let mut checked = 0;
        for (stem, document, expect) in CASES {
            let Verifies(signers) = expect else { continue };
            let document = fixture(document);
            for file in signature_files(stem) {
                let signature = fixture(&file);
                for key_file in key_files() {
                    let keys = vec![key(&key_file)];
                    let result = check_signature(&document, &signature, &keys);
                    if signers.contains(&key_file.as_str()) {
                        assert_eq!(result, Ok(()), "{file} with {key_file}");
                        let e =
                            check_signature(&altered(&document), &signature, &keys).unwrap_err();
                        assert!(e.contains("does not verify"), "{file}, altered: {e}");
                    } else {
                        let e = result.unwrap_err();
                        assert!(e.contains("does not verify"), "{file} with {key_file}: {e}");
                    }
                    checked += 1;
                }
                // Among other keys, in any order.
                let all: Vec<String> = key_files().iter().map(|name| key(name)).collect();
                assert_eq!(
                    check_signature(&document, &signature, &all),
                    Ok(()),
                    "{file}"
                );
                let reversed: Vec<String> = all.into_iter().rev().collect();
                assert_eq!(check_signature(&document, &signature, &reversed), Ok(()));
            }
        }
        assert!(checked > 250, "{checked}");
    }

    #[test]
    fn a_text_signature_is_of_the_text_whatever_its_line_ends() {
        let text = fixture("text.txt");
        assert!(!text.contains(&b'\r'));
        let crlf = String::from_utf8(text.clone())
            .unwrap()
            .replace('\n', "\r\n");
        for (signature, key_file) in [
            ("text-ed25519-sha256.sig", "ed25519.pub.asc"),
            ("text-rsa2048-sha256.sig.asc", "rsa2048.pub.asc"),
        ] {
            let (signature, keys) = (fixture(signature), vec![key(key_file)]);
            assert_eq!(check_signature(&text, &signature, &keys), Ok(()));
            assert_eq!(check_signature(crlf.as_bytes(), &signature, &keys), Ok(()));
            let e = check_signature(&text[1..], &signature, &keys).unwrap_err();
            assert!(e.contains("does not verify"), "{e}");
        }
        // A binary signature is of the octets as they are.
        let e = check_signature(
            crlf.as_bytes(),
            &fixture("ed25519-sha256.sig"),
            &[key("ed25519.pub.asc")],
        )
        .unwrap_err();
        assert!(e.contains("does not verify"), "{e}");
    }

    #[test]
    fn signatures_that_cannot_be_checked_say_why() {
        for (stem, document, expect) in CASES {
            let Refused(key_file, why) = expect else {
                continue;
            };
            for file in signature_files(stem) {
                let e = check_signature(&fixture(document), &fixture(&file), &[key(key_file)])
                    .unwrap_err();
                assert!(e.contains("cannot be checked"), "{file}: {e}");
                assert!(e.contains(why), "{file}: {e}");
            }
        }
    }

    #[test]
    fn a_signer_not_published_is_named() {
        let e = check_signature(
            &fixture("SHA256SUMS"),
            &fixture("ed25519-sha256.sig"),
            &[key("rsa2048.pub.asc")],
        )
        .unwrap_err();
        assert!(
            e.contains("does not verify under any published key (it names key "),
            "{e}"
        );
        assert!(e.contains("as its signer, which is not published)"), "{e}");
        // Not when it is published (the document is what changed).
        let e = check_signature(
            b"changed",
            &fixture("ed25519-sha256.sig"),
            &[key("ed25519.pub.asc")],
        )
        .unwrap_err();
        assert_eq!(
            e,
            "the signature of SHA256SUMS does not verify under any published key"
        );
    }

    #[test]
    fn keys_and_signatures_of_the_wrong_kind_are_refused() {
        let document = fixture("SHA256SUMS");
        let signature = fixture("ed25519-sha256.sig");
        let armored_signature = key("ed25519-sha256.sig.asc");
        let e = check_signature(&document, &signature, &[armored_signature]).unwrap_err();
        assert!(
            e.contains("published key 1 is not a public key: it is armored as PGP SIGNATURE"),
            "{e}"
        );
        let e = check_signature(
            &document,
            &fixture("ed25519.pub.asc"),
            &[key("ed25519.pub.asc")],
        )
        .unwrap_err();
        assert!(
            e.contains("is not an OpenPGP signature: it is armored as PGP PUBLIC KEY BLOCK"),
            "{e}"
        );
        let e = check_signature(&document, &signature, &[key("ed25519.pub.asc"), "x".into()])
            .unwrap_err();
        assert!(e.contains("published key 2 is not a public key"), "{e}");
        let e = check_signature(&document, &signature, &[]).unwrap_err();
        assert!(e.contains("no public key to check it against"), "{e}");
        let e = check_signature(&document, b"", &[key("ed25519.pub.asc")]).unwrap_err();
        assert!(e.contains("not an OpenPGP signature"), "{e}");
    }

    #[test]
    fn every_truncation_of_a_fixture_is_an_error() {
        for (stem, document, expect) in CASES {
            let key_file = match expect {
                Verifies(signers) => signers[0],
                Refused(key_file, _) => key_file,
            };
            let (document, keys) = (fixture(document), vec![key(key_file)]);
            for file in signature_files(stem) {
                let signature = fixture(&file);
                // An armored signature may lose its last line end.
                let whole = signature.trim_ascii_end().len();
                for n in 0..whole {
                    assert!(
                        check_signature(&document, &signature[..n], &keys).is_err(),
                        "{file} cut at {n}"
                    );
                }
            }
        }
        let signature = fixture("ed25519-sha256.sig");
        let document = fixture("SHA256SUMS");
        for key_file in key_files() {
            let armor = key(&key_file);
            for n in 0..armor.trim_end().len() {
                let e = check_signature(&document, &signature, &[armor[..n].to_string()]);
                assert!(e.is_err(), "{key_file} cut at {n}");
            }
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
