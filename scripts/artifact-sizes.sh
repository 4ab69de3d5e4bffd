#!/usr/bin/env bash
# Prints the size of each dist/<name>/bootstrap, unzipped and zipped as
# Lambda receives it, and fails when one is over the limits of issue 2.
# Usage: scripts/artifact-sizes.sh createcluster waitready ...
set -euo pipefail
MAX_UNZIPPED=$((12 * 1000 * 1000))
MAX_ZIPPED=$((4500 * 1000))
status=0
printf '%-16s %12s %12s\n' function unzipped zipped
for f in "$@"; do
  bin="dist/$f/bootstrap"
  unzipped=$(stat -c %s "$bin")
  zipped=$(python3 - "$bin" <<'PY'
import io, sys, zipfile
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    z.write(sys.argv[1], "bootstrap")
print(len(buf.getvalue()))
PY
)
  printf '%-16s %12d %12d\n' "$f" "$unzipped" "$zipped"
  if [ "$unzipped" -gt "$MAX_UNZIPPED" ] || [ "$zipped" -gt "$MAX_ZIPPED" ]; then
    echo "  $f is over the limit (12 MB unzipped, 4.5 MB zipped)"; status=1
  fi
done
exit $status
