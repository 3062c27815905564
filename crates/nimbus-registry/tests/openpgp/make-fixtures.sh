#!/bin/sh
# Makes the GnuPG fixtures in this directory: public keys and detached
# signatures of SHA256SUMS (and of a text document) by GnuPG, an
# implementation independent of the one under test. The tests only read
# the files; run this again (GnuPG 2.2 or later) to make new ones.
#
#   sh make-fixtures.sh
set -eu
cd "$(dirname "$0")"
GNUPGHOME=$(mktemp -d)
export GNUPGHOME
trap 'gpgconf --kill all >/dev/null 2>&1 || true; rm -rf "$GNUPGHOME"' EXIT
gpg="gpg --batch --quiet --pinentry-mode loopback --passphrase ''"

fpr() { # the fingerprint of the primary key with user ID $1
    gpg --with-colons --list-keys "$1" | awk -F: '$1 == "fpr" { print $10; exit }'
}
last_subkey() { # the fingerprint of the newest subkey of $1
    gpg --with-colons --list-keys "$1" | awk -F: '$1 == "sub" { s = 1 } $1 == "fpr" && s { f = $10; s = 0 } END { print f }'
}

# A signing key of each kind, without subkeys.
for kind in rsa2048 rsa4096 ed25519 nistp256 nistp384 dsa2048 brainpoolP256r1; do
    $gpg --quick-gen-key "$kind <$kind@example.invalid>" "$kind" sign never
    gpg --armor --export "$kind@example.invalid" >"$kind.pub.asc"
done

# A key whose primary only certifies, with signing subkeys (Ed25519, RSA)
# and an encryption subkey (Curve25519), to sign with a subkey.
$gpg --quick-gen-key "multi <multi@example.invalid>" ed25519 cert never
multi=$(fpr multi@example.invalid)
$gpg --quick-add-key "$multi" cv25519 encr never
$gpg --quick-add-key "$multi" rsa2048 sign never
rsa_sub=$(last_subkey multi@example.invalid)
$gpg --quick-add-key "$multi" ed25519 sign never
ed_sub=$(last_subkey multi@example.invalid)
gpg --armor --export multi@example.invalid >multi.pub.asc
# Several keys in one block.
gpg --armor --export rsa2048@example.invalid multi@example.invalid nistp256@example.invalid >several.pub.asc

printf '%s  %s\n' \
    0d6c8f2a1b9e3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5 terraform-provider-example_1.2.3_linux_amd64.zip \
    9e8d7c6b5a4938271605f4e3d2c1b0a998877665544332211000ffeeddccbbaa terraform-provider-example_1.2.3_darwin_arm64.zip \
    >SHA256SUMS
printf 'first line\nsecond line, then an empty one\n\nlast line\n' >text.txt

sign() { # sign KEY-SPEC DIGEST OUTPUT-NAME [more gpg options]
    key=$1 digest=$2 out=$3
    shift 3
    $gpg --local-user "$key" --digest-algo "$digest" "$@" --output "$out.sig" --detach-sign SHA256SUMS
    $gpg --local-user "$key" --digest-algo "$digest" "$@" --armor --output "$out.sig.asc" --detach-sign SHA256SUMS
}
sign rsa2048@example.invalid SHA256 rsa2048-sha256
sign rsa2048@example.invalid SHA512 rsa2048-sha512
sign rsa4096@example.invalid SHA384 rsa4096-sha384
sign ed25519@example.invalid SHA256 ed25519-sha256
sign ed25519@example.invalid SHA512 ed25519-sha512
sign nistp256@example.invalid SHA256 nistp256-sha256
sign nistp256@example.invalid SHA384 nistp256-sha384
sign nistp256@example.invalid SHA512 nistp256-sha512
sign nistp384@example.invalid SHA384 nistp384-sha384
sign nistp384@example.invalid SHA512 nistp384-sha512
sign dsa2048@example.invalid SHA256 dsa2048-sha256
sign brainpoolP256r1@example.invalid SHA256 brainpoolP256r1-sha256
sign "$ed_sub!" SHA256 multi-ed25519sub-sha256
sign "$rsa_sub!" SHA256 multi-rsasub-sha256
# SHA-1: must be refused.
$gpg --local-user ed25519@example.invalid --digest-algo SHA1 --output ed25519-sha1.sig --detach-sign SHA256SUMS
# A text-mode signature (type 0x01) of a document with LF line endings.
$gpg --local-user ed25519@example.invalid --digest-algo SHA256 --textmode --output text-ed25519-sha256.sig --detach-sign text.txt
$gpg --local-user rsa2048@example.invalid --digest-algo SHA256 --textmode --armor --output text-rsa2048-sha256.sig.asc --detach-sign text.txt
# Two signatures in one file (by different keys).
cat ed25519-sha256.sig rsa2048-sha256.sig >two-ed25519-rsa2048-sha256.sig
