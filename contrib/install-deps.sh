#!/bin/sh
# install-deps.sh: install the Debian packages of the named groups of
# contrib/deps.txt that are missing, saying per group what and why. As
# root it runs apt-get; otherwise it prints the exact command and fails.
# Quiet and fast (one dpkg-query per package) when nothing is missing.
#
# No service starts because of it: apt-get runs under a policy-rc.d that
# answers 101 (action forbidden) to every start request of a package's
# maintainer scripts, and every systemd unit or init script the install
# enabled (haproxy's, openssh-server's) is disabled again afterwards, so
# it does not start at the next boot either. Services that were enabled
# before are left as they were.
#
# usage: contrib/install-deps.sh [--check] [GROUP...]
#   GROUP: build, test, bench, fuzz (see deps.txt); none: every group.
#   --check: report what is missing, install nothing.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
list="$here/deps.txt"
check_only=no
if [ "${1:-}" = "--check" ]; then
	check_only=yes
	shift
fi
all_groups=$(sed -n 's/^\[\([a-z]*\)\].*/\1/p' "$list")
groups=${*:-$all_groups}

# The packages of group $1, one a line.
packages() {
	awk -v g="$1" '/^\[/ { in_g = ($0 ~ "^\\[" g "\\]") ; next }
	    /^[[:space:]]*(#|$)/ { next } in_g { print $1 }' "$list"
}

# Why group $1 exists: the text after "[group]".
reason() {
	sed -n "s/^\[$1\][[:space:]]*//p" "$list"
}

installed() {
	case "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" in
	*"install ok installed"*) return 0 ;;
	esac
	return 1
}

missing=""
report=""
for g in $groups; do
	echo "$all_groups" | grep -qx "$g" || {
		echo "install-deps: no group \"$g\" in $list (groups:" \
		    $all_groups")" >&2
		exit 2
	}
	gm=""
	for p in $(packages "$g"); do
		installed "$p" && continue
		case " $missing " in *" $p "*) continue ;; esac
		gm="$gm $p"
	done
	[ -z "$gm" ] && continue
	missing="$missing$gm"
	report="${report}install-deps: $g ($(reason "$g")):$gm
"
done

[ -z "$missing" ] && exit 0

printf '%s' "$report" >&2
if [ "$check_only" = yes ]; then
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: not root; run this, then try again:" >&2
	echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi

# What is set to start at boot: systemd's .wants links and SysV rc links.
enabled() {
	find /etc/systemd/system -path '*.wants/*' -type l 2>/dev/null || true
	ls -d /etc/rc[2-5].d/S* 2>/dev/null || true
}

policy=/usr/sbin/policy-rc.d
saved=""
state=$(mktemp -d)
cleanup() {
	rm -f "$policy"
	[ -n "$saved" ] && mv "$saved" "$policy"
	saved=""
	rm -rf "$state"
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM
if [ -e "$policy" ]; then
	saved="$policy.install-deps-saved"
	mv "$policy" "$saved"
fi
printf '#!/bin/sh\n# contrib/install-deps.sh: no service starts during its install.\nexit 101\n' >"$policy"
chmod 0755 "$policy"
enabled | sort >"$state/before"

export DEBIAN_FRONTEND=noninteractive
# Try without a fresh index first: a machine with a recent one saves the
# round trip. Fall back to apt-get update when a package is not known.
# shellcheck disable=SC2086
if ! apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1; then
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends $missing
fi

# Disable at boot what the install enabled, with the tools the packages'
# own scripts use (they work without a running systemd).
off=$(enabled | sort | comm -13 "$state/before" - | while read -r link; do
	name=${link##*/}
	case "$link" in
	/etc/systemd/*)
		deb-systemd-helper disable "$name" >/dev/null 2>&1 ||
		    rm -f "$link"
		echo "$name" ;;
	*)
		name=${name#S[0-9][0-9]}
		update-rc.d "$name" disable >/dev/null 2>&1 || true
		echo "$name (init script)" ;;
	esac
done | sort -u | tr '\n' ' ')
[ -n "$off" ] && echo "install-deps: not started and disabled at boot: $off" >&2
echo "install-deps: installed:$missing" >&2
