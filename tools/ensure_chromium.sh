#!/usr/bin/env bash
# Install Debian's headless chromium for the browser test when it is missing.
# Needs root (CI runs as root); prints what it did.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    echo "chromium is missing and this user cannot apt-get install it; the browser test will be skipped" >&2
    exit 0
fi
echo "installing Debian's chromium for the browser test ..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
/usr/bin/chromium --version
