#!/usr/bin/env bash
# Seeds corpus/parse/ with every FHIR resource (*.json with a "resourceType") found in the
# FHIR IG packages. corpus/ is git-ignored: package contents are never committed.
#
#   FHIR_PACKAGES_DIR  where the *.tgz packages are (default: ../../../shared/fhir-packages,
#                      relative to this script, i.e. shared/ beside the repository)
#   SEED_MAX_BYTES     skip larger files (default 65536, the -max_len the README uses;
#                      libFuzzer would truncate them into invalid JSON); 0 keeps all
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
packages="${FHIR_PACKAGES_DIR:-$here/../../../shared/fhir-packages}"
max_bytes="${SEED_MAX_BYTES:-65536}"
corpus="$here/corpus/parse"

shopt -s nullglob
tgzs=("$packages"/*.tgz)
if [ ${#tgzs[@]} -eq 0 ]; then
    echo "seed-corpus.sh: no *.tgz in $packages (set FHIR_PACKAGES_DIR)" >&2
    exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$corpus"

added=0 skipped=0
for tgz in "${tgzs[@]}"; do
    dir="$tmp/$(basename "$tgz" .tgz)"
    mkdir -p "$dir"
    tar -xzf "$tgz" -C "$dir"
    while IFS= read -r -d '' file; do
        # Only resources: package.json, .index.json, OpenAPI files etc. have no resourceType.
        grep -q '"resourceType"' "$file" || continue
        if [ "$max_bytes" -gt 0 ] && [ "$(stat -c %s "$file")" -gt "$max_bytes" ]; then
            skipped=$((skipped + 1))
            continue
        fi
        # Named by content hash, as libFuzzer names its own inputs: identical files collapse.
        sum="$(sha1sum "$file" | cut -d' ' -f1)"
        cp "$file" "$corpus/$sum"
        added=$((added + 1))
    done < <(find "$dir" -type f -name '*.json' -print0)
done

echo "seed-corpus.sh: copied $added resources from ${#tgzs[@]} packages into $corpus" \
    "($skipped larger than $max_bytes bytes skipped); corpus has $(ls "$corpus" | wc -l) files"
