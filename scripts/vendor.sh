#!/usr/bin/env bash
# Refresh the vendored front-end files from the npm registry (run by hand when upgrading; needs npm).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent htmx.org@2.0.11 chart.js@4.6.2 axe-core@4.14.1 >/dev/null && for f in *.tgz; do mkdir "${f%.tgz}" && tar xzf "$f" -C "${f%.tgz}"; done)
cp "$work"/htmx.org-*/package/dist/htmx.min.js carefront/web/static/web/vendor/htmx.min.js
cp "$work"/chart.js-*/package/dist/chart.umd.min.js carefront/web/static/web/vendor/chart.umd.min.js
cp "$work"/axe-core-*/package/axe.min.js tests/browser/vendor/axe.min.js
echo "vendored: $(ls "$work"/*.tgz | xargs -n1 basename | tr '\n' ' ')"
