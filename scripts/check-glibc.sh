#!/usr/bin/env bash
# Fails if a Lambda bootstrap needs a GLIBC symbol version newer than the runtime has.
#
#   scripts/check-glibc.sh [--max 2.34] ARTIFACT...
#
# ARTIFACT is a bootstrap binary or a Lambda zip holding one (the zip is what ships, so
# that is what `make build` checks: `cargo lambda build --output-format zip` does not
# refresh the loose bootstrap beside it). provided.al2023 has glibc 2.34; a binary that
# asks for a newer symbol version fails at cold start with "version `GLIBC_2.xx' not
# found", which no test here would notice.
#
# Reads the dynamic symbol table with objdump -T (readelf -V --dyn-syms as a fallback);
# prints, per artifact, its size and the newest GLIBC version it needs.
set -euo pipefail

max="2.34"
if [[ "${1:-}" == "--max" ]]; then
    max="$2"
    shift 2
fi
if [[ $# -eq 0 ]]; then
    echo "usage: $0 [--max 2.34] BOOTSTRAP_OR_ZIP..." >&2
    exit 2
fi

symbol_versions() {
    # Every GLIBC_x.y[.z] the binary references, one per line.
    if command -v objdump >/dev/null; then
        objdump -T "$1"
    elif command -v readelf >/dev/null; then
        readelf -V --dyn-syms -W "$1"
    else
        echo "check-glibc: neither objdump nor readelf is installed (apt-get install binutils)" >&2
        exit 2
    fi | grep -oE 'GLIBC_[0-9]+(\.[0-9]+)+' | sed 's/^GLIBC_//' | sort -u -V
}

# version_gt A B: A > B in version order.
version_gt() {
    [[ "$1" != "$2" && "$(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -n1)" == "$1" ]]
}

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

failed=0
for artifact in "$@"; do
    if [[ ! -f "$artifact" ]]; then
        echo "FAIL $artifact: no such file (run make build)" >&2
        failed=1
        continue
    fi
    binary="$artifact"
    size_note="$(stat -c %s "$artifact") bytes"
    if [[ "$artifact" == *.zip ]]; then
        dir="$scratch/$(echo "$artifact" | tr '/' '_')"
        mkdir -p "$dir"
        python3 - "$artifact" "$dir" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    names = z.namelist()
    if "bootstrap" not in names:
        sys.exit(f"check-glibc: {sys.argv[1]} holds {names}, not a file named bootstrap")
    info = z.getinfo("bootstrap")
    if not (info.external_attr >> 16) & 0o111:
        sys.exit(f"check-glibc: bootstrap in {sys.argv[1]} is not executable (Lambda would refuse it)")
    z.extract("bootstrap", sys.argv[2])
EOF
        binary="$dir/bootstrap"
        size_note="zip $(stat -c %s "$artifact") bytes, bootstrap $(stat -c %s "$binary") bytes"
    fi
    if ! head -c 4 "$binary" | grep -q 'ELF'; then
        echo "FAIL $artifact: not an ELF binary" >&2
        failed=1
        continue
    fi
    versions="$(symbol_versions "$binary")"
    if [[ -z "$versions" ]]; then
        echo "ok   $artifact ($size_note): no GLIBC symbol versions (static binary)"
        continue
    fi
    newest="$(tail -n1 <<<"$versions")"
    if version_gt "$newest" "$max"; then
        too_new="$(while read -r v; do if version_gt "$v" "$max"; then echo "GLIBC_$v"; fi; done <<<"$versions" | tr '\n' ' ')"
        echo "FAIL $artifact ($size_note): needs GLIBC_$newest, newer than the GLIBC_$max allowed; too new: $too_new" >&2
        echo "     build with cargo lambda (zig links against an older glibc), not plain cargo build" >&2
        failed=1
    else
        echo "ok   $artifact ($size_note): newest GLIBC symbol version $newest <= $max"
    fi
done
exit "$failed"
