#!/bin/sh
# install-deps.sh: install the Debian packages in contrib/deps.txt that are
# missing. As root it runs apt-get; otherwise it prints the exact command
# and fails. Quiet and fast (one dpkg-query) when nothing is missing.
#
# usage: contrib/install-deps.sh [--check]   (--check: report, install nothing)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
list="$here/deps.txt"
check_only=no
[ "${1:-}" = "--check" ] && check_only=yes

pkgs=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$list" | awk '{print $1}')

missing=""
for p in $pkgs; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

[ -z "$missing" ] && exit 0

echo "install-deps: missing Debian packages:$missing" >&2
if [ "$check_only" = yes ]; then
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: not root; run this, then try again:" >&2
	echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Try without a fresh index first: a machine with a recent one saves the
# round trip. Fall back to apt-get update when a package is not known.
# shellcheck disable=SC2086
if ! apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1; then
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends $missing
fi
echo "install-deps: installed:$missing" >&2
