#!/usr/bin/env bash
# Debian's Chromium for the live viewer's browser test (test/viewer/viewer.browser.test.ts), driven by playwright-core
# through /usr/bin/chromium: no browser download. Idempotent; runs as root.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  echo "chromium setup: $(chromium --version 2>/dev/null || echo chromium) present"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update
apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends chromium fonts-dejavu-core
chromium --version
