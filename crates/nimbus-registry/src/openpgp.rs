//! Just enough OpenPGP to check a detached signature of a document: ASCII
//! armor, packet framing, version 4 public keys and version 4 signatures
//! (RFC 4880, with RFC 9580's Ed25519). The cryptography is ring's.
//!
//! Accepted: RSA (PKCS #1 v1.5, moduli of 2048 to 8192 bits), ECDSA over
//! NIST P-256 and P-384 (with SHA-256 or SHA-384), and EdDSA over Ed25519
//! (the legacy algorithm 22 and RFC 9580's algorithm 27); hashes SHA-256,
//! SHA-384 and SHA-512. Keys of other algorithms (DSA, ElGamal, ECDH, other
//! curves) and of other versions are read past and cannot check a
//! signature; a signature that needs one says which. SHA-1, MD5 and
//! RIPEMD-160 are refused as too weak.
//!
//! What is *not* checked: self-signatures and subkey binding signatures,
//! key flags, expiry and revocation. The keys come from the same registry
//! as the signature, which could as well publish another key; what matters
//! is that the document was signed by one of the keys it publishes.
//!
//! Every length read is checked against the input: any input, however
//! truncated or hostile, gives an error, never a panic, and nothing is
//! allocated beyond a small multiple of the input's size.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use ring::{digest, signature};

type Result<T> = std::result::Result<T, String>;

/// Standard base64, padding optional.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The ASCII armor label of a detached signature.
const SIGNATURE_LABEL: &str = "PGP SIGNATURE";
/// The ASCII armor label of public keys.
const PUBLIC_KEY_LABEL: &str = "PGP PUBLIC KEY BLOCK";

/// The most signatures a detached signature may hold: each is checked
/// over the whole document, against every key.
const MAX_SIGNATURES: usize = 16;

/// Curve OIDs (the DER value octets).
const OID_ED25519: &[u8] = &[0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01];
const OID_P256: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2B, 0x81, 0x04, 0x00, 0x22];

// ---------------------------------------------------------------------------
// Reading bytes

/// A cursor over bytes whose every read is checked.
struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data }
    }

    fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    fn len(&self) -> usize {
        self.data.len()
    }

    /// The next `n` octets; `what` names what is read, for the error.
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        match self.data.split_at_checked(n) {
            Some((head, rest)) => {
                self.data = rest;
                Ok(head)
            }
            None => Err(format!("{what} is truncated")),
        }
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        let bytes = self.take(N, what)?;
        <[u8; N]>::try_from(bytes).map_err(|_| format!("{what} is truncated"))
    }

    fn u8(&mut self, what: &str) -> Result<u8> {
        let [byte] = self.array(what)?;
        Ok(byte)
    }

    fn u16(&mut self, what: &str) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    fn u32(&mut self, what: &str) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    /// A multiprecision integer: a 2-octet bit count, then that many bits
    /// in whole octets, big-endian. Its value's octets, leading zeros
    /// stripped.
    fn mpi(&mut self, what: &str) -> Result<&'a [u8]> {
        let bits = usize::from(self.u16(what)?);
        Ok(strip_zeros(self.take(bits.div_ceil(8), what)?))
    }

    /// The rest.
    fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}

/// `bytes` left-padded with zeros to `len` octets; `None` if longer.
fn left_pad(bytes: &[u8], len: usize) -> Option<Vec<u8>> {
    let bytes = strip_zeros(bytes);
    let zeros = len.checked_sub(bytes.len())?;
    let mut out = vec![0; zeros];
    out.extend_from_slice(bytes);
    Some(out)
}

// ---------------------------------------------------------------------------
// ASCII armor

/// Whether `bytes` is ASCII armor (rather than binary packets).
pub(crate) fn is_armored(bytes: &[u8]) -> bool {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    start.is_some_and(|i| {
        bytes
            .get(i..)
            .is_some_and(|b| b.starts_with(b"-----BEGIN PGP"))
    })
}

/// CRC-24 as the armor's checksum line has it (RFC 4880, section 6.1).
pub(crate) fn crc24(data: &[u8]) -> u32 {
    let mut crc: u32 = 0x00B7_04CE;
    for &byte in data {
        crc ^= u32::from(byte) << 16;
        for _ in 0..8 {
            crc <<= 1;
            if crc & 0x0100_0000 != 0 {
                crc ^= 0x0186_4CFB;
            }
        }
    }
    crc & 0x00FF_FFFF
}

/// The label of an armor line: `PGP SIGNATURE` of
/// `-----BEGIN PGP SIGNATURE-----`.
fn armor_label<'a>(line: &'a [u8], prefix: &[u8]) -> Option<&'a str> {
    let label = line.strip_prefix(prefix)?.strip_suffix(b"-----")?;
    let label = std::str::from_utf8(label).ok()?;
    (!label.is_empty() && label.bytes().all(|b| b.is_ascii_graphic() || b == b' ')).then_some(label)
}

/// The octets in the ASCII armor `text` labelled `label`: the first
/// `-----BEGIN PGP ...-----` line (anything before it is skipped), header
/// lines up to a blank line, base64 (whitespace ignored), an optional
/// `=XXXX` CRC-24 line (checked when present), `-----END PGP ...-----`.
/// Line ends LF or CRLF.
fn dearmor(text: &[u8], label: &str) -> Result<Vec<u8>> {
    let mut lines = text.split(|&b| b == b'\n').map(|line| line.trim_ascii());
    let begin = lines
        .find(|line| line.starts_with(b"-----BEGIN PGP "))
        .ok_or("it is not ASCII armor (no -----BEGIN PGP line)")?;
    let found = armor_label(begin, b"-----BEGIN ").ok_or("its -----BEGIN PGP line is malformed")?;
    if found != label {
        return Err(format!("it is armored as {found}, not as {label}"));
    }
    let mut body = Vec::new();
    let mut checksum = None;
    let mut end = None;
    let mut headers = true;
    for line in lines {
        if headers {
            // Header lines (`Key: value`) up to a blank line; a writer that
            // leaves out the blank line is forgiven (base64 has no colon).
            if line.is_empty() {
                headers = false;
                continue;
            }
            if line.contains(&b':') && !line.starts_with(b"-----") {
                continue;
            }
            headers = false;
        }
        if line.starts_with(b"-----") {
            end = Some(line);
            break;
        }
        if line.is_empty() {
            continue;
        }
        if checksum.is_some() {
            return Err("the armor goes on after its checksum line".to_string());
        }
        match line.strip_prefix(b"=") {
            Some(sum) if sum.len() == 4 => checksum = Some(sum),
            _ => body.extend(line.iter().filter(|b| !b.is_ascii_whitespace())),
        }
    }
    let end = end.ok_or("the armor has no -----END PGP line (is it truncated?)")?;
    if armor_label(end, b"-----END ") != Some(found) {
        return Err(format!(
            "the armor begins as {found} but ends with {}",
            String::from_utf8_lossy(end)
        ));
    }
    let data = BASE64
        .decode(&body)
        .map_err(|e| format!("the armor is not valid base64: {e}"))?;
    if let Some(sum) = checksum {
        let sum = BASE64
            .decode(sum)
            .map_err(|_| "the armor's checksum line is not base64".to_string())?;
        if sum.as_slice() != crc24(&data).to_be_bytes().get(1..).unwrap_or_default() {
            return Err("the armor's checksum does not match its content (it is damaged)".into());
        }
    }
    Ok(data)
}

// ---------------------------------------------------------------------------
// Packets

struct Packet<'a> {
    tag: u8,
    body: &'a [u8],
}

fn packet_name(tag: u8) -> String {
    let name = match tag {
        1 => "public-key encrypted session key",
        2 => "signature",
        3 => "symmetric-key encrypted session key",
        4 => "one-pass signature",
        5 => "secret key",
        6 => "public key",
        7 => "secret subkey",
        8 => "compressed data",
        9 => "symmetrically encrypted data",
        10 => "marker",
        11 => "literal data",
        12 => "trust",
        13 => "user ID",
        14 => "public subkey",
        17 => "user attribute",
        18 => "encrypted data",
        19 => "modification detection code",
        20 => "AEAD encrypted data",
        21 => "padding",
        _ => return format!("tag {tag}"),
    };
    name.to_string()
}

/// The next packet: old format (tags 0 to 15, lengths of 1, 2 or 4 octets
/// or to the end) or new format (1, 2 or 5 octets; partial body lengths,
/// which only data packets may use, are refused).
fn read_packet<'a>(r: &mut Reader<'a>) -> Result<Packet<'a>> {
    let ctb = r.u8("a packet header")?;
    if ctb & 0x80 == 0 {
        return Err(format!("octet {ctb:#04x} does not begin an OpenPGP packet"));
    }
    let (tag, len) = if ctb & 0x40 != 0 {
        let tag = ctb & 0x3F;
        let first = r.u8("a packet length")?;
        let len = match first {
            0..=191 => usize::from(first),
            192..=223 => {
                let second = r.u8("a packet length")?;
                ((usize::from(first) - 192) << 8) + usize::from(second) + 192
            }
            255 => usize::try_from(r.u32("a packet length")?).unwrap_or(usize::MAX),
            _ => {
                return Err(format!(
                    "a {} packet has a partial body length, which only data packets may have",
                    packet_name(tag)
                ));
            }
        };
        (tag, Some(len))
    } else {
        let tag = (ctb >> 2) & 0x0F;
        let len = match ctb & 0x03 {
            0 => Some(usize::from(r.u8("a packet length")?)),
            1 => Some(usize::from(r.u16("a packet length")?)),
            2 => Some(usize::try_from(r.u32("a packet length")?).unwrap_or(usize::MAX)),
            _ => None,
        };
        (tag, len)
    };
    if tag == 0 {
        return Err("a packet has the reserved tag 0".to_string());
    }
    let body = match len {
        Some(len) => r.take(len, &format!("a {} packet", packet_name(tag)))?,
        None => r.rest(),
    };
    Ok(Packet { tag, body })
}

fn algorithm_name(algorithm: u8) -> String {
    let name = match algorithm {
        1 => "RSA",
        2 => "RSA (encrypt-only)",
        3 => "RSA (sign-only)",
        16 => "ElGamal",
        17 => "DSA",
        18 => "ECDH",
        19 => "ECDSA",
        20 => "ElGamal (sign and encrypt)",
        22 => "EdDSA",
        25 => "X25519",
        26 => "X448",
        27 => "Ed25519",
        28 => "Ed448",
        _ => return format!("public-key algorithm {algorithm}"),
    };
    name.to_string()
}

/// "an RSA key", "a DSA key".
fn a_key(algorithm: u8) -> String {
    let name = algorithm_name(algorithm);
    let article = if name.starts_with(['D', 'p']) {
        "a"
    } else {
        "an"
    };
    format!("{article} {name} key")
}

fn curve_name(oid: &[u8]) -> String {
    let name = match oid {
        OID_P256 => "P-256",
        OID_P384 => "P-384",
        [0x2B, 0x81, 0x04, 0x00, 0x23] => "P-521",
        [0x2B, 0x81, 0x04, 0x00, 0x0A] => "secp256k1",
        [0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07] => "brainpoolP256r1",
        [0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0B] => "brainpoolP384r1",
        [0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0D] => "brainpoolP512r1",
        OID_ED25519 => "Ed25519",
        [0x2B, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01] => "Curve25519",
        [0x2B, 0x65, 0x71] => "Ed448",
        _ => return format!("the curve of OID {}", hex::encode(oid)),
    };
    name.to_string()
}

// ---------------------------------------------------------------------------
// Public keys

/// A public key or subkey, ready to check signatures (or not, and why).
#[derive(Debug, Clone)]
pub(crate) struct PublicKey {
    algorithm: u8,
    /// The key ID (the last 8 octets of the version 4 fingerprint).
    key_id: Option<[u8; 8]>,
    material: KeyMaterial,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum KeyMaterial {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    Ecdsa {
        curve: Curve,
        point: Vec<u8>,
    },
    Ed25519([u8; 32]),
    /// Read past: it cannot check a signature, for this reason.
    Unusable(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Curve {
    P256,
    P384,
}

impl Curve {
    fn name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
        }
    }

    /// The octets of a field element (and of r and s).
    fn size(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
        }
    }
}

/// The primary keys and subkeys of the ASCII-armored public key block
/// `armored` (one transferable key or several), in order.
pub(crate) fn read_public_keys(armored: &[u8]) -> Result<Vec<PublicKey>> {
    parse_public_keys(&dearmor(armored, PUBLIC_KEY_LABEL)?)
}

/// The keys and subkeys in the packets `data`; user IDs, signatures and
/// the rest are skipped.
fn parse_public_keys(data: &[u8]) -> Result<Vec<PublicKey>> {
    let mut r = Reader::new(data);
    let mut keys = Vec::new();
    while !r.is_empty() {
        let packet = read_packet(&mut r)?;
        match packet.tag {
            6 => keys.push(parse_public_key(packet.body)?),
            14 if !keys.is_empty() => keys.push(parse_public_key(packet.body)?),
            5 | 7 => return Err("it holds a secret key".to_string()),
            tag if keys.is_empty() => {
                return Err(format!(
                    "it begins with a {} packet, not a public key",
                    packet_name(tag)
                ));
            }
            _ => {}
        }
    }
    if keys.is_empty() {
        return Err("it holds no key".to_string());
    }
    Ok(keys)
}

/// A public key packet's body (tag 6 or 14).
fn parse_public_key(body: &[u8]) -> Result<PublicKey> {
    let mut r = Reader::new(body);
    let version = r.u8("a public key packet")?;
    if version != 4 {
        let material = KeyMaterial::Unusable(format!("a version {version} key"));
        return Ok(PublicKey {
            algorithm: 0,
            key_id: None,
            material,
        });
    }
    let _created = r.u32("a public key packet")?;
    let algorithm = r.u8("a public key packet")?;
    let what = a_key(algorithm);
    let material = match algorithm {
        1 | 3 => {
            let n = r.mpi(&what)?.to_vec();
            let e = r.mpi(&what)?.to_vec();
            KeyMaterial::Rsa { n, e }
        }
        19 => {
            let oid = read_oid(&mut r, &what)?;
            let point = r.mpi(&what)?;
            let curve = match oid {
                OID_P256 => Some(Curve::P256),
                OID_P384 => Some(Curve::P384),
                _ => None,
            };
            match curve {
                Some(curve) => {
                    // Uncompressed: 0x04, X, Y.
                    if point.len() != 1 + 2 * curve.size() || point.first() != Some(&0x04) {
                        return Err(format!(
                            "the {} point of an ECDSA key is malformed",
                            curve.name()
                        ));
                    }
                    KeyMaterial::Ecdsa {
                        curve,
                        point: point.to_vec(),
                    }
                }
                None => KeyMaterial::Unusable(format!("an ECDSA key over {}", curve_name(oid))),
            }
        }
        22 => {
            let oid = read_oid(&mut r, &what)?;
            let point = r.mpi(&what)?;
            if oid == OID_ED25519 {
                // 0x40, then the 32 octets of the native encoding.
                match point.split_first() {
                    Some((0x40, native)) => KeyMaterial::Ed25519(
                        native
                            .try_into()
                            .map_err(|_| "the point of an EdDSA key is malformed".to_string())?,
                    ),
                    _ => return Err("the point of an EdDSA key is malformed".to_string()),
                }
            } else {
                KeyMaterial::Unusable(format!("an EdDSA key over {}", curve_name(oid)))
            }
        }
        27 => KeyMaterial::Ed25519(r.array(&what)?),
        _ => {
            r.rest();
            KeyMaterial::Unusable(a_key(algorithm))
        }
    };
    if !r.is_empty() {
        return Err(format!("{what} has {} octets too many", r.len()));
    }
    Ok(PublicKey {
        algorithm,
        key_id: key_id(body),
        material,
    })
}

/// A curve OID: a length octet (neither 0 nor 0xFF), then the DER value
/// octets.
fn read_oid<'a>(r: &mut Reader<'a>, what: &str) -> Result<&'a [u8]> {
    let len = r.u8(what)?;
    if len == 0 || len == 0xFF {
        return Err(format!("{what} has a curve OID of reserved length {len}"));
    }
    r.take(usize::from(len), what)
}

/// The key ID of a version 4 key: the last 8 octets of its fingerprint,
/// SHA-1(0x99, 2-octet length, key packet body).
fn key_id(body: &[u8]) -> Option<[u8; 8]> {
    let len = u16::try_from(body.len()).ok()?;
    let mut context = digest::Context::new(&digest::SHA1_FOR_LEGACY_USE_ONLY);
    context.update(&[0x99]);
    context.update(&len.to_be_bytes());
    context.update(body);
    let fingerprint = context.finish();
    fingerprint.as_ref().get(12..20)?.try_into().ok()
}

// ---------------------------------------------------------------------------
// Signatures

/// A version 4 signature packet.
#[derive(Debug, Clone)]
pub(crate) struct Signature {
    sig_type: u8,
    algorithm: u8,
    hash: u8,
    /// The hashed part of the packet: version to hashed subpackets.
    hashed_part: Vec<u8>,
    /// The signer's key ID as the subpackets name it (a hint: not
    /// authenticated).
    issuer: Option<[u8; 8]>,
    /// A hashed subpacket marked critical that is not known here.
    critical_unknown: Option<u8>,
    /// The first two octets of the hash.
    left16: [u8; 2],
    material: SignatureMaterial,
}

#[derive(Debug, Clone)]
enum SignatureMaterial {
    /// RSA: one integer.
    Rsa(Vec<u8>),
    /// DSA, ECDSA and legacy EdDSA: r and s.
    Pair(Vec<u8>, Vec<u8>),
    /// RFC 9580 Ed25519: 64 octets.
    Ed25519(Vec<u8>),
    /// Another algorithm.
    Other,
}

/// The signatures in `bytes` (binary or ASCII-armored), a detached
/// signature: one or more signature packets. Each is a signature that can
/// be checked, or (`Err`) why it cannot.
pub(crate) fn read_signatures(bytes: &[u8]) -> Result<Vec<std::result::Result<Signature, String>>> {
    let data;
    let packets = if is_armored(bytes) {
        data = dearmor(bytes, SIGNATURE_LABEL)?;
        data.as_slice()
    } else {
        bytes
    };
    let mut r = Reader::new(packets);
    let mut signatures = Vec::new();
    while !r.is_empty() {
        let packet = read_packet(&mut r)?;
        match packet.tag {
            2 if signatures.len() == MAX_SIGNATURES => {
                return Err(format!("it holds more than {MAX_SIGNATURES} signatures"));
            }
            2 => signatures.push(parse_signature(packet.body)?),
            // Marker packets are to be ignored.
            10 => {}
            tag => {
                return Err(format!(
                    "it holds a {} packet, not only signatures",
                    packet_name(tag)
                ));
            }
        }
    }
    if signatures.is_empty() {
        return Err("it holds no signature".to_string());
    }
    Ok(signatures)
}

/// A signature packet's body: a version 4 signature, `Ok(Err(why))` for
/// another version, `Err` if malformed.
fn parse_signature(body: &[u8]) -> Result<std::result::Result<Signature, String>> {
    let what = "a signature packet";
    let mut r = Reader::new(body);
    let version = r.u8(what)?;
    if version != 4 {
        return Ok(Err(format!(
            "it is a version {version} signature, which is not supported"
        )));
    }
    let [sig_type, algorithm, hash] = r.array(what)?;
    let hashed_len = usize::from(r.u16(what)?);
    let hashed = r.take(hashed_len, "a signature's hashed subpackets")?;
    let hashed_part = body
        .get(..6 + hashed_len)
        .ok_or("a signature packet is truncated")?;
    let unhashed_len = usize::from(r.u16(what)?);
    let unhashed = r.take(unhashed_len, "a signature's unhashed subpackets")?;
    let mut subpackets = Subpackets::default();
    subpackets.read(hashed, true)?;
    subpackets.read(unhashed, false)?;
    let left16 = r.array(what)?;
    let material = match algorithm {
        1 | 3 => SignatureMaterial::Rsa(r.mpi(what)?.to_vec()),
        17 | 19 | 22 => {
            let first = r.mpi(what)?.to_vec();
            let second = r.mpi(what)?.to_vec();
            SignatureMaterial::Pair(first, second)
        }
        27 => SignatureMaterial::Ed25519(r.take(64, what)?.to_vec()),
        _ => {
            r.rest();
            SignatureMaterial::Other
        }
    };
    if !r.is_empty() {
        return Err(format!(
            "a signature packet has {} octets too many",
            r.len()
        ));
    }
    Ok(Ok(Signature {
        sig_type,
        algorithm,
        hash,
        hashed_part: hashed_part.to_vec(),
        issuer: subpackets.fingerprint.or(subpackets.key_id),
        critical_unknown: subpackets.critical_unknown,
        left16,
        material,
    }))
}

/// What the subpackets say that matters here.
#[derive(Default)]
struct Subpackets {
    /// The key ID of the first issuer fingerprint (version 4).
    fingerprint: Option<[u8; 8]>,
    /// The first issuer key ID.
    key_id: Option<[u8; 8]>,
    critical_unknown: Option<u8>,
}

/// The subpacket types RFC 4880 and RFC 9580 define: a hashed one marked
/// critical of another type makes the signature unusable.
const KNOWN_SUBPACKETS: &[u8] = &[
    2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 16, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33,
    34, 35, 37, 38, 39,
];

impl Subpackets {
    /// Reads a subpacket area: each a length (1, 2 or 5 octets), a type
    /// octet (its top bit: critical), data.
    fn read(&mut self, area: &[u8], hashed: bool) -> Result<()> {
        let what = "a signature subpacket";
        let mut r = Reader::new(area);
        while !r.is_empty() {
            let first = r.u8(what)?;
            let len = match first {
                0..=191 => usize::from(first),
                192..=254 => {
                    let second = r.u8(what)?;
                    ((usize::from(first) - 192) << 8) + usize::from(second) + 192
                }
                255 => usize::try_from(r.u32(what)?).unwrap_or(usize::MAX),
            };
            let data = r.take(len, what)?;
            let Some((&kind, value)) = data.split_first() else {
                return Err("a signature subpacket is empty".to_string());
            };
            let (critical, kind) = (kind & 0x80 != 0, kind & 0x7F);
            match (kind, value) {
                // Issuer key ID.
                (16, _) => {
                    if let Ok(id) = <[u8; 8]>::try_from(value) {
                        self.key_id.get_or_insert(id);
                    }
                }
                // Issuer fingerprint, version 4: its last 8 octets.
                (33, [4, fingerprint @ ..]) if fingerprint.len() == 20 => {
                    if let Some(Ok(id)) = fingerprint.get(12..).map(<[u8; 8]>::try_from) {
                        self.fingerprint.get_or_insert(id);
                    }
                }
                _ => {}
            }
            if hashed && critical && !KNOWN_SUBPACKETS.contains(&kind) {
                self.critical_unknown.get_or_insert(kind);
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Verification

/// Why no signature verified.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Failure {
    /// A signature was checked against a key of its algorithm and failed.
    pub checked: bool,
    /// Reasons some signature or key could not be used at all.
    pub unsupported: Vec<String>,
    /// Key IDs (hex) that signatures name as their signer and that are not
    /// among the keys.
    pub unknown_signers: Vec<String>,
}

#[derive(Clone, Copy)]
enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn from_id(id: u8) -> std::result::Result<Hash, String> {
        let weak = |name: &str| format!("its hash algorithm is {name}, which is too weak to trust");
        let unsupported =
            |name: &str| format!("its hash algorithm is {name}, which is not supported");
        match id {
            8 => Ok(Hash::Sha256),
            9 => Ok(Hash::Sha384),
            10 => Ok(Hash::Sha512),
            1 => Err(weak("MD5")),
            2 => Err(weak("SHA-1")),
            3 => Err(weak("RIPEMD-160")),
            11 => Err(unsupported("SHA-224")),
            12 => Err(unsupported("SHA3-256")),
            14 => Err(unsupported("SHA3-512")),
            _ => Err(unsupported(&format!("number {id}"))),
        }
    }

    fn digest(self) -> &'static digest::Algorithm {
        match self {
            Hash::Sha256 => &digest::SHA256,
            Hash::Sha384 => &digest::SHA384,
            Hash::Sha512 => &digest::SHA512,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Hash::Sha256 => "SHA-256",
            Hash::Sha384 => "SHA-384",
            Hash::Sha512 => "SHA-512",
        }
    }
}

/// What checking one signature with one key gave.
enum Outcome {
    Verified,
    Failed,
    Unsupported(String),
}

/// Checks that one of `signatures` is a signature of `document` by one of
/// `keys` (primary keys and subkeys alike).
pub(crate) fn verify(
    document: &[u8],
    signatures: &[std::result::Result<Signature, String>],
    keys: &[PublicKey],
) -> std::result::Result<(), Failure> {
    fn note(list: &mut Vec<String>, reason: String) {
        if !list.contains(&reason) {
            list.push(reason);
        }
    }
    let mut failure = Failure::default();
    for signature in signatures {
        let signature = match signature {
            Ok(signature) => signature,
            Err(reason) => {
                note(&mut failure.unsupported, reason.clone());
                continue;
            }
        };
        if let Some(issuer) = signature.issuer
            && !keys.iter().any(|key| key.key_id == Some(issuer))
        {
            note(&mut failure.unknown_signers, hex::encode_upper(issuer));
        }
        let (hash, message) = match usable(document, signature) {
            Ok(usable) => usable,
            Err(reason) => {
                note(&mut failure.unsupported, reason);
                continue;
            }
        };
        let digest = digest::digest(hash.digest(), &message);
        let quick_check = digest.as_ref().get(..2) == Some(signature.left16.as_slice());
        for key in keys {
            let same = key.algorithm == signature.algorithm
                || (matches!(key.algorithm, 1 | 3) && matches!(signature.algorithm, 1 | 3));
            if !same {
                continue;
            }
            let outcome = if quick_check {
                check(key, signature, hash, &message, digest.as_ref())
            } else {
                Outcome::Failed
            };
            match outcome {
                Outcome::Verified => return Ok(()),
                Outcome::Failed => failure.checked = true,
                Outcome::Unsupported(reason) => {
                    // Only of the key the signature names, if it names one:
                    // another key would not verify it anyway.
                    if signature.issuer.is_none() || signature.issuer == key.key_id {
                        note(&mut failure.unsupported, reason);
                    }
                }
            }
        }
    }
    Err(failure)
}

/// The hash and the hashed data of a signature of `document`, or why the
/// signature cannot be used.
fn usable(document: &[u8], signature: &Signature) -> std::result::Result<(Hash, Vec<u8>), String> {
    if !matches!(signature.sig_type, 0x00 | 0x01) {
        return Err(format!(
            "it is not a signature of a document but of type {:#04x}",
            signature.sig_type
        ));
    }
    if matches!(signature.material, SignatureMaterial::Other) || signature.algorithm == 17 {
        return Err(format!(
            "it is made with {}, which is not supported",
            algorithm_name(signature.algorithm)
        ));
    }
    let hash = Hash::from_id(signature.hash)?;
    if let Some(kind) = signature.critical_unknown {
        return Err(format!(
            "it has a critical subpacket of type {kind}, which is not known here"
        ));
    }
    // Text signatures are of the text with CR LF line ends.
    let mut message = if signature.sig_type == 0x01 {
        canonical_text(document)
    } else {
        document.to_vec()
    };
    message.extend_from_slice(&signature.hashed_part);
    // The trailer: version, 0xFF, the length of the hashed part.
    let len = u32::try_from(signature.hashed_part.len()).unwrap_or(u32::MAX);
    message.extend_from_slice(&[0x04, 0xFF]);
    message.extend_from_slice(&len.to_be_bytes());
    Ok((hash, message))
}

/// `text` with every line end CR LF.
fn canonical_text(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 16);
    let mut previous = 0;
    for &byte in text {
        if byte == b'\n' && previous != b'\r' {
            out.push(b'\r');
        }
        out.push(byte);
        previous = byte;
    }
    out
}

/// Checks `signature` over `message` (the hashed data, whose hash is
/// `digest`) with `key`, of the same algorithm.
fn check(
    key: &PublicKey,
    signature: &Signature,
    hash: Hash,
    message: &[u8],
    digest: &[u8],
) -> Outcome {
    let verified = |ok: bool| {
        if ok {
            Outcome::Verified
        } else {
            Outcome::Failed
        }
    };
    match (&key.material, &signature.material) {
        (KeyMaterial::Unusable(what), _) => {
            Outcome::Unsupported(format!("{what} is not supported"))
        }
        (KeyMaterial::Rsa { n, e }, SignatureMaterial::Rsa(s)) => {
            let leading = n.first().map_or(0, |b| b.leading_zeros() as usize);
            let bits = (n.len() * 8).saturating_sub(leading);
            if n.len() < 256 {
                return Outcome::Unsupported(format!(
                    "an RSA key of {bits} bits is too short (2048 bits at least)"
                ));
            }
            if bits > 8192 {
                return Outcome::Unsupported(format!(
                    "an RSA key of {bits} bits is too long (8192 bits at most)"
                ));
            }
            let Some(s) = left_pad(s, n.len()) else {
                return Outcome::Failed;
            };
            let parameters = match hash {
                Hash::Sha256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                Hash::Sha384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                Hash::Sha512 => &signature::RSA_PKCS1_2048_8192_SHA512,
            };
            let components = signature::RsaPublicKeyComponents { n, e };
            verified(components.verify(parameters, message, &s).is_ok())
        }
        (KeyMaterial::Ecdsa { curve, point }, SignatureMaterial::Pair(r, s)) => {
            let algorithm = match (curve, hash) {
                (Curve::P256, Hash::Sha256) => &signature::ECDSA_P256_SHA256_ASN1,
                (Curve::P256, Hash::Sha384) => &signature::ECDSA_P256_SHA384_ASN1,
                (Curve::P384, Hash::Sha256) => &signature::ECDSA_P384_SHA256_ASN1,
                (Curve::P384, Hash::Sha384) => &signature::ECDSA_P384_SHA384_ASN1,
                _ => {
                    return Outcome::Unsupported(format!(
                        "ECDSA over {} with {} is not supported",
                        curve.name(),
                        hash.name()
                    ));
                }
            };
            if strip_zeros(r).len() > curve.size() || strip_zeros(s).len() > curve.size() {
                return Outcome::Failed;
            }
            let der = der_signature(r, s);
            let key = signature::UnparsedPublicKey::new(algorithm, point);
            verified(key.verify(message, &der).is_ok())
        }
        (KeyMaterial::Ed25519(public), material) => {
            // EdDSA signs the digest, not the data.
            let native = match material {
                SignatureMaterial::Pair(r, s) => match (left_pad(r, 32), left_pad(s, 32)) {
                    (Some(mut r), Some(s)) => {
                        r.extend_from_slice(&s);
                        r
                    }
                    _ => return Outcome::Failed,
                },
                SignatureMaterial::Ed25519(native) => native.clone(),
                _ => return Outcome::Failed,
            };
            let key = signature::UnparsedPublicKey::new(&signature::ED25519, public);
            verified(key.verify(digest, &native).is_ok())
        }
        _ => Outcome::Failed,
    }
}

/// r and s as the DER `SEQUENCE { INTEGER, INTEGER }` ring reads (each at
/// most 48 octets, so every length fits in one octet).
fn der_signature(r: &[u8], s: &[u8]) -> Vec<u8> {
    let mut content = Vec::with_capacity(2 * 51);
    for value in [r, s] {
        let value = strip_zeros(value);
        let pad = value.first().is_none_or(|&b| b & 0x80 != 0);
        content.push(0x02);
        content.push(u8::try_from(value.len() + usize::from(pad)).unwrap_or(u8::MAX));
        if pad {
            content.push(0);
        }
        content.extend_from_slice(value);
    }
    let mut der = vec![0x30, u8::try_from(content.len()).unwrap_or(u8::MAX)];
    der.extend_from_slice(&content);
    der
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::SigningKey;
    use std::ops::Range;

    /// A file made by GnuPG or rPGP (`tests/openpgp/make-fixtures.sh`).
    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/openpgp/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn keys(name: &str) -> Vec<PublicKey> {
        read_public_keys(&fixture(name)).unwrap()
    }

    fn signatures(bytes: &[u8]) -> Vec<std::result::Result<Signature, String>> {
        read_signatures(bytes).unwrap()
    }

    fn verifies(document: &[u8], signature: &[u8], keys: &[PublicKey]) -> bool {
        verify(document, &signatures(signature), keys).is_ok()
    }

    /// The signing cases whose key file holds only the signing key.
    const SINGLE: &[(&str, &str)] = &[
        ("rsa2048-sha256.sig", "rsa2048.pub.asc"),
        ("rsa4096-sha384.sig", "rsa4096.pub.asc"),
        ("ed25519-sha256.sig", "ed25519.pub.asc"),
        ("nistp256-sha256.sig", "nistp256.pub.asc"),
        ("nistp256-sha384.sig", "nistp256.pub.asc"),
        ("nistp384-sha384.sig", "nistp384.pub.asc"),
        ("rpgp-ed25519-sha256.sig", "rpgp-ed25519.pub.asc"),
    ];

    /// The body of the first packet of `data`, and its offset.
    fn first_packet(data: &[u8]) -> (usize, &[u8]) {
        let mut r = Reader::new(data);
        let packet = read_packet(&mut r).unwrap();
        (data.len() - r.len() - packet.body.len(), packet.body)
    }

    /// The octets of a one-packet signature whose change need not break
    /// it, as none of them is hashed: the unhashed subpackets and the bit
    /// counts of the integers.
    fn malleable(signature: &[u8]) -> Vec<Range<usize>> {
        let (start, body) = first_packet(signature);
        let u16_at = |i: usize| usize::from(u16::from_be_bytes([body[i], body[i + 1]]));
        let hashed = u16_at(4);
        let unhashed = u16_at(6 + hashed);
        let area = start + 8 + hashed;
        let mut ranges = Vec::new();
        ranges.push(area..area + unhashed);
        let mut at = 8 + hashed + unhashed + 2;
        let integers = match body[2] {
            1 | 3 => 1,
            17 | 19 | 22 => 2,
            _ => 0,
        };
        for _ in 0..integers {
            ranges.push(start + at..start + at + 2);
            at += 2 + u16_at(at).div_ceil(8);
        }
        ranges
    }

    #[test]
    fn crc24_is_openpgps() {
        assert_eq!(crc24(b""), 0x00B7_04CE);
        assert_eq!(crc24(b"123456789"), 0x0021_CF02);
    }

    #[test]
    fn armor_is_read_with_its_variations() {
        let armored = String::from_utf8(fixture("ed25519-sha256.sig.asc")).unwrap();
        let binary = dearmor(armored.as_bytes(), SIGNATURE_LABEL).unwrap();
        let keys = keys("ed25519.pub.asc");
        assert!(verifies(&fixture("SHA256SUMS"), &binary, &keys));
        let lines: Vec<&str> = armored.lines().collect();
        let (begin, body, end) = (lines[0], &lines[2..lines.len() - 1], lines[lines.len() - 1]);
        let checksum = body[body.len() - 1];
        assert!(checksum.starts_with('='), "{checksum}");
        let base64 = &body[..body.len() - 1];
        let variants = [
            // CR LF line ends.
            armored.replace('\n', "\r\n"),
            // Headers; text before the armor and after it.
            format!(
                "Signed:\n{begin}\nVersion: x\nComment: a: b\n\n{}\n{checksum}\n{end}\ntrailing\n",
                base64.join("\n")
            ),
            // No checksum line; no blank line; lines of another length.
            format!(
                "{begin}\n{}\n{end}",
                base64
                    .concat()
                    .as_bytes()
                    .chunks(50)
                    .map(|c| std::str::from_utf8(c).unwrap())
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
            // Whitespace in the body, indented lines.
            format!(
                "  {begin}\n\n {} \n {checksum}\n {end} \n",
                base64.join(" \n\t")
            ),
        ];
        for text in variants {
            assert_eq!(
                dearmor(text.as_bytes(), SIGNATURE_LABEL),
                Ok(binary.clone()),
                "{text}"
            );
        }
        let refused = [
            (
                armored.replace(checksum, "=AAAA"),
                "checksum does not match",
            ),
            (
                armored.replace(checksum, "=A$AA"),
                "checksum line is not base64",
            ),
            (
                armored.replace("-----END PGP SIGNATURE-----", ""),
                "no -----END PGP line",
            ),
            (
                armored.replace("END PGP SIGNATURE", "END PGP MESSAGE"),
                "ends with -----END PGP MESSAGE",
            ),
            (
                armored.replace("BEGIN PGP SIGNATURE", "BEGIN PGP MESSAGE"),
                "armored as PGP MESSAGE",
            ),
            (
                armored.replace("BEGIN PGP SIGNATURE-----", "BEGIN PGP SIGNATURE"),
                "line is malformed",
            ),
            (
                armored.replace(base64[0], &format!("!{}", base64[0])),
                "not valid base64",
            ),
            (
                armored.replace(end, &format!("{checksum}\n{end}")),
                "goes on after its checksum",
            ),
            ("nothing".to_string(), "not ASCII armor"),
        ];
        for (text, why) in refused {
            let e = dearmor(text.as_bytes(), SIGNATURE_LABEL).unwrap_err();
            assert!(e.contains(why), "{e} (expected {why}) for {text}");
        }
    }

    /// `body` framed as a packet of tag 2 in the old format with length
    /// type `kind` (3: to the end) or in the new format (`kind` 4: one
    /// octet, 5: two, 6: five).
    fn framed(body: &[u8], kind: u8) -> Vec<u8> {
        let len = body.len();
        let mut out = match kind {
            0 => vec![0x88, len as u8],
            1 => vec![0x89, (len >> 8) as u8, len as u8],
            2 => [&[0x8A][..], &(len as u32).to_be_bytes()].concat(),
            3 => vec![0x8B],
            4 => vec![0xC2, len as u8],
            5 => vec![0xC2, ((len - 192) >> 8) as u8 + 192, (len - 192) as u8],
            _ => [&[0xC2, 0xFF][..], &(len as u32).to_be_bytes()].concat(),
        };
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn every_packet_framing_is_read() {
        let document = fixture("SHA256SUMS");
        // A body under 192 octets (Ed25519) and one over (RSA).
        for (file, key_file) in [
            ("ed25519-sha256.sig", "ed25519.pub.asc"),
            ("rsa2048-sha256.sig", "rsa2048.pub.asc"),
        ] {
            let signature = fixture(file);
            let (_, body) = first_packet(&signature);
            let keys = keys(key_file);
            for kind in 0..7 {
                if ((kind == 0 || kind == 4) && body.len() >= 192)
                    || (kind == 5 && body.len() < 192)
                {
                    continue;
                }
                let signature = framed(body, kind);
                assert!(
                    verifies(&document, &signature, &keys),
                    "{file} framed as {kind}"
                );
                // A marker packet is ignored.
                let marked = [&[0xCA, 0x03, b'P', b'G', b'P'][..], &signature].concat();
                assert!(
                    verifies(&document, &marked, &keys),
                    "{file} framed as {kind}"
                );
            }
        }
        let signature = fixture("ed25519-sha256.sig");
        let (_, body) = first_packet(&signature);
        let many = signature.repeat(MAX_SIGNATURES);
        assert!(verifies(&document, &many, &keys("ed25519.pub.asc")));
        let refused: [(Vec<u8>, &str); 8] = [
            (
                signature.repeat(MAX_SIGNATURES + 1),
                "more than 16 signatures",
            ),
            // Partial body lengths.
            ([&[0xC2, 0xE1][..], body].concat(), "partial body length"),
            // Lengths past the end.
            (
                vec![0xC2, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 4, 0],
                "signature packet is truncated",
            ),
            (
                vec![0x8A, 0xFF, 0xFF, 0xFF, 0xFF, 4],
                "signature packet is truncated",
            ),
            (vec![0xC2, 0xDF], "packet length is truncated"),
            (vec![0x80, 0x00], "reserved tag 0"),
            (
                [&fixture("ed25519-sha256.sig")[..], &[0xCB, 0x01, 0x00]].concat(),
                "holds a literal data packet",
            ),
            (vec![0xCA, 0x03, b'P', b'G', b'P'], "holds no signature"),
        ];
        for (bytes, why) in refused {
            let e = read_signatures(&bytes).unwrap_err();
            assert!(e.contains(why), "{e} (expected {why})");
        }
    }

    #[test]
    fn key_blocks_are_read_past_what_is_not_needed() {
        let multi = keys("multi.pub.asc");
        let algorithms: Vec<u8> = multi.iter().map(|key| key.algorithm).collect();
        assert_eq!(algorithms, [22, 18, 1, 22]);
        assert!(
            matches!(multi[1].material, KeyMaterial::Unusable(ref why) if why == "an ECDH key")
        );
        let several = keys("several.pub.asc");
        assert_eq!(several.len(), 1 + 4 + 1);
        assert!(several.iter().all(|key| key.key_id.is_some()));
        let v6 = keys("rpgp-v6-ed25519.pub.asc");
        assert!(
            matches!(v6[0].material, KeyMaterial::Unusable(ref why) if why == "a version 6 key")
        );
        // The key ID is the fingerprint's end, as signatures name it.
        let signature = signatures(&fixture("multi-ed25519sub-sha256.sig"));
        assert_eq!(signature[0].as_ref().unwrap().issuer, multi[3].key_id);

        // Keys of other versions among the packets are read past.
        let block = dearmor(&fixture("ed25519.pub.asc"), PUBLIC_KEY_LABEL).unwrap();
        let document = fixture("SHA256SUMS");
        let signature = fixture("ed25519-sha256.sig");
        for version in [3, 5, 6] {
            let mut with = block.clone();
            with.extend_from_slice(&[0xCE, 4, version, 1, 2, 3]);
            let found = parse_public_keys(&with).unwrap();
            assert_eq!(found.len(), 2);
            assert!(verifies(&document, &signature, &found));
            // Alone, they cannot check anything.
            let alone = parse_public_keys(&[0xC6, 4, version, 1, 2, 3]).unwrap();
            assert!(!verifies(&document, &signature, &alone));
        }
        let refused: [(Vec<u8>, &str); 4] = [
            (vec![0xCD, 1, b'x'], "begins with a user ID packet"),
            (vec![0xC5, 1, 4], "holds a secret key"),
            (vec![], "holds no key"),
            (
                [&block[..], &[0xCE, 2, 4, 0]].concat(),
                "public key packet is truncated",
            ),
        ];
        for (bytes, why) in refused {
            let e = parse_public_keys(&bytes).unwrap_err();
            assert!(e.contains(why), "{e} (expected {why})");
        }
    }

    #[test]
    fn integers_with_leading_zero_octets_are_read_by_value() {
        // Ed25519's r and s, RSA's signature, each with a zero octet more.
        for (file, key_file) in [
            ("ed25519-sha256.sig", "ed25519.pub.asc"),
            ("rsa2048-sha256.sig", "rsa2048.pub.asc"),
        ] {
            let signature = fixture(file);
            let (start, body) = first_packet(&signature);
            let ranges = malleable(&signature);
            let at = ranges[1].start - start;
            let bits = u16::from_be_bytes([body[at], body[at + 1]]) + 8;
            let mut padded = body[..at].to_vec();
            padded.extend_from_slice(&bits.to_be_bytes());
            padded.push(0);
            padded.extend_from_slice(&body[at + 2..]);
            let document = fixture("SHA256SUMS");
            assert!(
                verifies(&document, &framed(&padded, 6), &keys(key_file)),
                "{file}"
            );
        }
    }

    #[test]
    fn a_changed_bit_breaks_the_signature_unless_it_is_in_what_is_not_signed() {
        let document = fixture("SHA256SUMS");
        let mut malleable_changes = 0;
        for (file, key_file) in SINGLE {
            let signature = fixture(file);
            let keys = keys(key_file);
            assert!(verifies(&document, &signature, &keys));
            let free = malleable(&signature);
            for bit in 0..signature.len() * 8 {
                let mut changed = signature.clone();
                changed[bit / 8] ^= 1 << (bit % 8);
                let result = read_signatures(&changed)
                    .map_err(|_| Failure::default())
                    .and_then(|signatures| verify(&document, &signatures, &keys));
                if free.iter().any(|range| range.contains(&(bit / 8))) {
                    malleable_changes += usize::from(result.is_ok());
                } else {
                    assert!(
                        result.is_err(),
                        "{file}: bit {bit} changed and it still verifies"
                    );
                }
            }
        }
        assert!(malleable_changes > 0);
    }

    #[test]
    fn a_changed_key_no_longer_verifies_unless_its_numbers_are_the_same() {
        let document = fixture("SHA256SUMS");
        for (file, key_file) in SINGLE {
            let signatures = signatures(&fixture(file));
            let block = dearmor(&fixture(key_file), PUBLIC_KEY_LABEL).unwrap();
            let signer = parse_public_keys(&block).unwrap().remove(0);
            let (start, body) = first_packet(&block);
            for bit in 0..block.len() * 8 {
                let mut changed = block.clone();
                changed[bit / 8] ^= 1 << (bit % 8);
                let Ok(found) = parse_public_keys(&changed) else {
                    continue;
                };
                // Past the key packet: the user ID and self-signature, only
                // read past.
                if bit / 8 >= start + body.len() {
                    continue;
                }
                let rsa = |algorithm| matches!(algorithm, 1 | 3);
                let same = found.iter().any(|key| {
                    key.material == signer.material
                        && (key.algorithm == signer.algorithm
                            || rsa(key.algorithm) && rsa(signer.algorithm))
                });
                let verified = verify(&document, &signatures, &found).is_ok();
                assert_eq!(verified, same, "{key_file}: bit {bit} changed");
            }
        }
    }

    #[test]
    fn every_truncation_of_a_binary_key_is_an_error_or_fewer_keys() {
        for name in [
            "rsa2048.pub.asc",
            "multi.pub.asc",
            "several.pub.asc",
            "nistp384.pub.asc",
            "dsa2048.pub.asc",
            "brainpoolP256r1.pub.asc",
            "rpgp-ed25519.pub.asc",
            "rpgp-v6-ed25519.pub.asc",
        ] {
            let block = dearmor(&fixture(name), PUBLIC_KEY_LABEL).unwrap();
            let all = parse_public_keys(&block).unwrap().len();
            let (start, body) = first_packet(&block);
            for n in 0..block.len() {
                if let Ok(found) = parse_public_keys(&block[..n]) {
                    assert!(n >= start + body.len(), "{name} cut at {n}");
                    assert!(found.len() <= all);
                }
            }
        }
    }

    #[test]
    fn hostile_subpackets_are_refused_without_allocating() {
        let key = SigningKey::generate();
        let signature = key.sign(b"x");
        let (_, body) = first_packet(&signature);
        let hashed = usize::from(u16::from_be_bytes([body[4], body[5]]));
        for length in [
            vec![0xFF, 0xFF, 0xFF, 0xFF, 0xF0],
            vec![0xFE, 0xFF],
            vec![0x00],
        ] {
            // One subpacket more in the hashed area, with this length.
            let mut changed = body[..4].to_vec();
            changed.extend_from_slice(&((hashed + length.len()) as u16).to_be_bytes());
            changed.extend_from_slice(&body[6..6 + hashed]);
            changed.extend_from_slice(&length);
            changed.extend_from_slice(&body[6 + hashed..]);
            let e = read_signatures(&framed(&changed, 6)).unwrap_err();
            assert!(e.contains("signature subpacket"), "{e}");
        }
    }

    #[test]
    fn critical_subpackets_not_known_make_a_signature_unusable() {
        let key = SigningKey::generate();
        let keys = read_public_keys(key.public_armor().as_bytes()).unwrap();
        let document = b"abc  terraform-provider-x_1.0.0_linux_amd64.zip\n";
        // Known, critical or not: fine.
        for extra in [(27, &[0x03][..]), (0x80 | 27, &[0x03]), (100, &[1])] {
            let signature = key.sign_with(0x00, document, &[extra]);
            assert!(verifies(document, &signature, &keys), "{extra:?}");
        }
        let signature = key.sign_with(0x00, document, &[(0x80 | 100, &[1])]);
        let failure = verify(document, &signatures(&signature), &keys).unwrap_err();
        assert_eq!(
            failure.unsupported,
            ["it has a critical subpacket of type 100, which is not known here"]
        );
        assert!(!failure.checked);
    }

    #[test]
    fn only_signatures_of_documents_are_accepted() {
        let key = SigningKey::generate();
        let keys = read_public_keys(key.public_armor().as_bytes()).unwrap();
        let document = b"line one\nline two\n";
        let crlf = b"line one\r\nline two\r\n";
        let text = key.sign_with(0x01, document, &[]);
        assert!(verifies(document, &text, &keys));
        assert!(verifies(crlf, &text, &keys));
        let binary = key.sign_with(0x00, document, &[]);
        assert!(verifies(document, &binary, &keys));
        assert!(!verifies(crlf, &binary, &keys));
        for sig_type in [0x02, 0x13, 0x18, 0x20] {
            let signature = key.sign_with(sig_type, document, &[]);
            let failure = verify(document, &signatures(&signature), &keys).unwrap_err();
            assert_eq!(
                failure.unsupported,
                [format!(
                    "it is not a signature of a document but of type {sig_type:#04x}"
                )]
            );
        }
    }

    #[test]
    fn text_is_made_canonical() {
        assert_eq!(
            canonical_text(b"a\nb\r\nc\rd\n\n"),
            b"a\r\nb\r\nc\rd\r\n\r\n"
        );
        assert_eq!(canonical_text(b""), b"");
        assert_eq!(canonical_text(b"\n"), b"\r\n");
    }

    #[test]
    fn the_signing_key_of_the_test_registry_is_well_formed() {
        let key = SigningKey::generate();
        let block = dearmor(key.public_armor().as_bytes(), PUBLIC_KEY_LABEL).unwrap();
        let found = parse_public_keys(&block).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].algorithm, 22);
        // Its self-signature verifies, as a certification over key and
        // user ID.
        let mut r = Reader::new(&block);
        let (key_packet, user_id, certification) = (
            read_packet(&mut r).unwrap(),
            read_packet(&mut r).unwrap(),
            read_packet(&mut r).unwrap(),
        );
        assert!(r.is_empty());
        assert_eq!((key_packet.tag, user_id.tag, certification.tag), (6, 13, 2));
        let Ok(mut signature) = parse_signature(certification.body).unwrap() else {
            panic!("a version 4 signature")
        };
        assert_eq!(signature.sig_type, 0x13);
        assert_eq!(signature.issuer, found[0].key_id);
        let mut hashed = vec![0x99];
        hashed.extend_from_slice(&(key_packet.body.len() as u16).to_be_bytes());
        hashed.extend_from_slice(key_packet.body);
        hashed.push(0xB4);
        hashed.extend_from_slice(&(user_id.body.len() as u32).to_be_bytes());
        hashed.extend_from_slice(user_id.body);
        signature.sig_type = 0x00; // to check it as over a document
        assert!(verify(&hashed, &[Ok(signature)], &found).is_ok());
        // Signatures carry the issuer.
        let signature = signatures(&key.sign(b"x"));
        assert_eq!(signature[0].as_ref().unwrap().issuer, found[0].key_id);
    }
}
