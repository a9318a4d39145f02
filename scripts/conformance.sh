#!/usr/bin/env bash
# CI's conformance gate: runs OpenStack's image API suite (scripts/tempest.sh: tempest.api.image and
# glance-tempest-plugin through ../shared/tools/tempest) against Glimpse. The real Glance 25.1 fails 2 of the
# tests here and Glimpse passes them too, so the gate is: no test fails. A failed test is run once more on its
# own before it counts (Keystone on this 2-core machine sometimes answers too late under load).
# Last line: "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
harness=""
for dir in "${TEMPEST_HARNESS:-}" ../shared/tools/tempest /work/shared/tools/tempest; do
  [ -n "$dir" ] && [ -x "$dir/run-tempest.sh" ] && { harness=$(cd "$dir" && pwd); break; }
done
if [ -z "$harness" ]; then
  echo "conformance: the tempest harness (../shared/tools/tempest) is not on this machine; suite not run" >&2
  echo "0 passed, 0 failed, 1 skipped"
  exit 0
fi
export TEMPEST_HARNESS=$harness
# The Images API v1 tests (tempest.api.image.v1, 27) run too: Glimpse serves v1 next to v2 (GLIMPSE_API_V1).
export TEMPEST_API_V1=${TEMPEST_API_V1:-1}
# The node has an image cache and tempest's test_image_caching runs (the /v2/cache cycle): the whole suite with it
# on gave 96 passed, 0 failed, 25 skipped in 528 s on 2026-12-03 (one test more than without, same time).
export TEMPEST_IMAGE_CACHING=${TEMPEST_IMAGE_CACHING:-1}

out=$(mktemp)
bash scripts/tempest.sh 2>&1 | tee "$out"
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$out" | tail -n 1)
if [ -z "$summary" ]; then
  echo "conformance: the suite did not run to the end"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi
read -r passed _ failed _ skipped _ <<<"$summary"
mapfile -t failures < <(sed -n 's/^FAIL //p' "$out" | sort -u)
if [ "$failed" -gt 0 ] && [ "${#failures[@]}" -gt 0 ]; then
  regex="^($(printf '%s\n' "${failures[@]}" | sed 's/\./\\./g' | paste -sd'|'))"
  echo "conformance: running the ${#failures[@]} failed test(s) once more"
  bash scripts/tempest.sh "$regex" 2>&1 | tee "$out"
  again=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$out" | tail -n 1)
  read -r repassed _ refailed _ _ _ <<<"${again:-0 passed, $failed failed, 0 skipped}"
  passed=$((passed + repassed))
  failed=$refailed
fi
rm -f "$out"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
