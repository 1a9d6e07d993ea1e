#!/usr/bin/env bash
# Fetch htmx from npm's registry and put it in the dashboard's static files, where it ships
# inside the wheel (no CDN at run time, no JavaScript build step at install time).
# Run by hand to upgrade; then update HTMX_VERSION, TARBALL_SHA256 and tests/unit/test_assets.py.
set -euo pipefail
HTMX_VERSION=2.0.11
TARBALL_SHA256=165a2655073e9e6e55e307a7c74e8ebcdb76afb7701f9c16cfd106a13add408e
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "htmx.org@${HTMX_VERSION}" >/dev/null)
echo "${TARBALL_SHA256}  ${work}/htmx.org-${HTMX_VERSION}.tgz" | sha256sum --check --quiet
tar -xzf "${work}/htmx.org-${HTMX_VERSION}.tgz" -C "$work" package/dist/htmx.min.js
cp "${work}/package/dist/htmx.min.js" mogan/dashboard/static/htmx.min.js
sha256sum mogan/dashboard/static/htmx.min.js
