//! AWS Signature Version 4: the canonical request, the string to sign, the
//! derived key and the `Authorization` header.
//!
//! Every request is signed whole: the payload's SHA-256 is part of the
//! signature (and sent as `x-amz-content-sha256`, which S3 requires), so a
//! body changed on the way is refused by AWS.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// What signs: an access key, its secret and, for temporary credentials,
/// the session token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    // The secret and the token never reach a log or an error.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// A request as it is signed: `path` and the query pairs are already
/// URI-encoded as they go on the wire; `headers` have lowercase names.
pub struct Signable<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a [(String, String)],
    pub headers: &'a [(String, String)],
    pub payload_sha256: &'a str,
    /// S3 signs the path as sent; every other service encodes it once more.
    pub double_encode_path: bool,
}

/// The characters AWS leaves unencoded (RFC 3986's unreserved set).
fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// URI-encodes `text` as SigV4 wants it; `/` is kept when `keep_slash`.
pub fn uri_encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if unreserved(b) || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The canonical query string: pairs (already encoded) sorted by name,
/// then value.
fn canonical_query(query: &[(String, String)]) -> String {
    let mut pairs: Vec<&(String, String)> = query.iter().collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Header values with their runs of spaces folded, as SigV4 canonicalizes
/// them.
fn trim_value(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The canonical request and the list of signed headers.
pub fn canonical_request(request: &Signable<'_>) -> (String, String) {
    let path = if request.path.is_empty() {
        "/".to_string()
    } else if request.double_encode_path {
        uri_encode(request.path, true)
    } else {
        request.path.to_string()
    };
    let mut named: Vec<(String, String)> = request
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), trim_value(v)))
        .collect();
    // By name only, so that a header sent more than once keeps its values
    // in the order sent: they are signed as one line, joined by commas.
    named.sort_by(|a, b| a.0.cmp(&b.0));
    let mut headers: Vec<(String, String)> = Vec::with_capacity(named.len());
    for (name, value) in named {
        match headers.last_mut() {
            Some((last, values)) if *last == name => {
                values.push(',');
                values.push_str(&value);
            }
            _ => headers.push((name, value)),
        }
    }
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed_headers = headers
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        request.method,
        path,
        canonical_query(request.query),
        canonical_headers,
        signed_headers,
        request.payload_sha256
    );
    (canonical, signed_headers)
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// The key of one day, region and service.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The `Authorization` header's value for `request`, sent at `amz_date`
/// (`YYYYMMDDTHHMMSSZ`, the request's `x-amz-date` header, which must be
/// among the signed headers).
pub fn authorization(
    request: &Signable<'_>,
    credentials: &Credentials,
    amz_date: &str,
    region: &str,
    service: &str,
) -> String {
    let date = &amz_date[..8.min(amz_date.len())];
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let (canonical, signed_headers) = canonical_request(request);
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical.as_bytes())
    );
    let key = signing_key(&credentials.secret_access_key, date, region, service);
    let signature = hex::encode(hmac(&key, string_to_sign.as_bytes()));
    format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        credentials.access_key_id
    )
}

/// `YYYYMMDDTHHMMSSZ` of a Unix time.
pub fn amz_date(unix_seconds: i64) -> String {
    let time = time::OffsetDateTime::from_unix_timestamp(unix_seconds)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        time.year(),
        u8::from(time.month()),
        time.day(),
        time.hour(),
        time.minute(),
        time.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example credentials and date of AWS's published SigV4 test suite.
    fn example() -> Credentials {
        Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        }
    }

    #[test]
    fn get_vanilla_from_the_aws_test_suite() {
        let headers = vec![
            ("host".to_string(), "example.amazonaws.com".to_string()),
            ("x-amz-date".to_string(), "20150830T123600Z".to_string()),
        ];
        let request = Signable {
            method: "GET",
            path: "/",
            query: &[],
            headers: &headers,
            payload_sha256: &sha256_hex(b""),
            double_encode_path: true,
        };
        assert_eq!(
            authorization(
                &request,
                &example(),
                "20150830T123600Z",
                "us-east-1",
                "service"
            ),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    #[test]
    fn iam_list_users_from_the_aws_documentation() {
        assert_eq!(
            hex::encode(signing_key(
                &example().secret_access_key,
                "20150830",
                "us-east-1",
                "iam"
            )),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
        let headers = vec![
            (
                "content-type".to_string(),
                "application/x-www-form-urlencoded; charset=utf-8".to_string(),
            ),
            ("host".to_string(), "iam.amazonaws.com".to_string()),
            ("x-amz-date".to_string(), "20150830T123600Z".to_string()),
        ];
        let query = vec![
            ("Version".to_string(), "2010-05-08".to_string()),
            ("Action".to_string(), "ListUsers".to_string()),
        ];
        let request = Signable {
            method: "GET",
            path: "/",
            query: &query,
            headers: &headers,
            payload_sha256: &sha256_hex(b""),
            double_encode_path: true,
        };
        let (canonical, _) = canonical_request(&request);
        assert_eq!(
            sha256_hex(canonical.as_bytes()),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
        );
        assert!(
            authorization(&request, &example(), "20150830T123600Z", "us-east-1", "iam").ends_with(
                "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
            )
        );
    }

    #[test]
    fn paths_queries_and_headers_are_canonical() {
        assert_eq!(uri_encode("a b/c+d~", true), "a%20b/c%2Bd~");
        assert_eq!(uri_encode("a/b", false), "a%2Fb");
        let headers = vec![
            ("My-Header".to_string(), "  a   b  ".to_string()),
            ("x-amz-meta-z".to_string(), "2".to_string()),
            ("X-Amz-Meta-Z".to_string(), "1".to_string()),
        ];
        let query = vec![
            ("b".to_string(), "2".to_string()),
            ("a".to_string(), "1".to_string()),
        ];
        let request = Signable {
            method: "PUT",
            path: "/x%20y",
            query: &query,
            headers: &headers,
            payload_sha256: "UNSIGNED",
            double_encode_path: true,
        };
        assert_eq!(
            canonical_request(&request).0,
            "PUT\n/x%2520y\na=1&b=2\nmy-header:a b\nx-amz-meta-z:2,1\n\nmy-header;x-amz-meta-z\nUNSIGNED"
        );
        assert_eq!(amz_date(1_440_938_160), "20150830T123600Z");
    }

    #[test]
    fn credentials_hide_their_secret() {
        let text = format!("{:?}", example());
        assert!(!text.contains("wJalr"), "{text}");
    }
}
