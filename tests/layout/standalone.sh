#!/bin/sh
# standalone.sh: the project stands alone. No tracked file may send its
# reader to a document outside the repository: a path that climbs out of
# the tree ("../something/FILE.md"), or a NAME.md that the tree does not
# hold. Prints each offending line; exits 1 if there is one.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
bad=0
list=$(git ls-files 2>/dev/null || find . -type f ! -path './build/*' ! -path './.git/*')
for f in $list; do
	case $f in
	tests/layout/standalone.sh|*.png|*.gz|tests/fuzz/corpus/*) continue ;;
	esac
	[ -f "$f" ] || continue
	# ../dir/FILE outside the tree
	if grep -n '\.\./[A-Za-z_][A-Za-z0-9_.-]*/[A-Za-z0-9_.-]*\.md' "$f" \
	    >/dev/null 2>&1; then
		grep -n '\.\./[A-Za-z_][A-Za-z0-9_.-]*/[A-Za-z0-9_.-]*\.md' "$f" |
		    sed "s|^|$f:|"
		bad=1
	fi
	# a NAME.md (upper-case name) that is not in the tree
	for md in $(grep -o '\b[A-Z][A-Z_]*\.md\b' "$f" 2>/dev/null | sort -u); do
		if ! git ls-files --error-unmatch "$md" "*/$md" >/dev/null 2>&1 &&
		    [ -z "$(find . -path ./build -prune -o -name "$md" -print |
		    head -1)" ]; then
			echo "$f: cites $md, which is not in the tree"
			bad=1
		fi
	done
done
[ $bad -eq 0 ] && echo "standalone: no file cites a document outside the tree"
exit $bad
