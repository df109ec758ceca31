#!/bin/sh
# deps.sh: the dependency rule of the source tree, checked from the
# code's own #include lines.
#
# Each folder is one role (a "room"); a room may include headers of the
# rooms the rule allows it, and nothing else:
#
#   common      proto/common/        -> common
#   proto       proto/, include/proto/ -> proto, common
#   lang        worker/lang/, include/lang/ -> lang, common
#   worker      worker/              -> worker, proto, lang, common
#   supervisor  supervisor/          -> supervisor, proto, common
#   ctl         supervisor/ctl/      -> ctl, proto, common
#
# So nothing uses the supervisor, the language knows no sockets or
# processes, and the admin tool speaks only the published protocol. A
# header named MODULE_internal.h is private to the files of that module
# (MODULE*.c beside it). The Makefile gives each room an include path
# with only what it may use, so most breaks fail to compile; this check
# also names them, and catches a path written around the include path.
#
# usage: tests/layout/deps.sh [TREE]     (exit 1 and one line per break)
set -eu
tree=${1:-.}
cd "$tree"

room_of() {
	case "$1" in
	proto/common/*) echo common ;;
	proto/*|include/proto/*) echo proto ;;
	worker/lang/*|include/lang/*) echo lang ;;
	worker/*) echo worker ;;
	supervisor/ctl/*) echo ctl ;;
	supervisor/*) echo supervisor ;;
	include/*) echo include ;;
	*) echo other ;;
	esac
}

allowed() {	# from to
	case "$1:$2" in
	common:common) return 0 ;;
	proto:proto|proto:common) return 0 ;;
	lang:lang|lang:common) return 0 ;;
	worker:worker|worker:proto|worker:lang|worker:common) return 0 ;;
	supervisor:supervisor|supervisor:proto|supervisor:common) return 0 ;;
	ctl:ctl|ctl:proto|ctl:common) return 0 ;;
	esac
	return 1
}

# Headers the build generates (build/VARIANT/gen/): allowed where named.
generated() {	# room header
	case "$1:$2" in
	supervisor:paths.h|worker:paths.h) return 0 ;;
	esac
	return 1
}

headers=$(find include proto supervisor worker -name '*.h' | sort)
sources=$(find include proto supervisor worker -name '*.[ch]' | sort)
bad=0
for f in $sources; do
	from=$(room_of "$f")
	dir=$(dirname "$f")
	base=$(basename "$f")
	for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
		# The file's own folder first, as the compiler looks.
		if [ -e "$dir/$inc" ]; then
			target=$(cd "$dir" && realpath --relative-to="$OLDPWD" "$inc")
		else
			target=""
			for h in $headers; do
				case "$h" in
				*/"$inc") target=$h; break ;;
				esac
			done
		fi
		if [ -z "$target" ]; then
			if generated "$from" "$inc"; then
				continue
			fi
			echo "$f: includes \"$inc\", which is no header of the tree"
			bad=1
			continue
		fi
		to=$(room_of "$target")
		if ! allowed "$from" "$to"; then
			echo "$f: $from may not include $target ($to)"
			bad=1
		fi
		case "$(basename "$target")" in
		*_internal.h)
			mod=${target##*/}
			mod=${mod%_internal.h}
			case "$base" in
			"$mod"*) ;;
			*)
				echo "$f: includes $target, private to $mod*.c"
				bad=1 ;;
			esac ;;
		esac
	done
done
if [ "$bad" -ne 0 ]; then
	echo "deps.sh: the dependency rule is broken (see the top of tests/layout/deps.sh)"
	exit 1
fi
echo "deps.sh: $(echo "$sources" | wc -w) files, every include allowed"
