#!/bin/sh
# Debian packages the tests use, installed with apt-get when missing and we may;
# otherwise says how. Never a browser download.
#   chromium               the browser tests (Playwright drives Debian's Chromium)
#   fonts-droid-fallback   a CJK font: the fax PDF test prints Chinese and Japanese
#   dovecot-imapd          a real IMAP server on loopback for the mail alerts tests
#                          (started by the tests with a configuration of their own)
set -e
CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
missing=""
[ -x "$CHROMIUM" ] || missing="$missing chromium"
[ -f /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf ] || missing="$missing fonts-droid-fallback"
[ -x /usr/sbin/dovecot ] || missing="$missing dovecot-imapd"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian packages for the tests:$missing"
    apt-get update -qq
    # shellcheck disable=SC2086 # one word per package
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
    exit 0
fi
echo "The tests need these Debian packages:$missing; run 'sudo apt-get install$missing'" >&2
echo "(or set CHROMIUM_PATH to another Chromium binary)." >&2
exit 1
