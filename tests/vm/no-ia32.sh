#!/bin/sh
# no-ia32.sh: run the sandbox tests on a kernel without the i386 syscall
# entry, for real: Debian's bookworm-backports kernel (6.7 and later take
# ia32_emulation=0) booted with ia32_emulation=0 under qemu, with an
# initramfs holding the test binaries and the libraries they link. There
# int $0x80 raises SIGSEGV before any seccomp filter runs, so
# test_sandbox takes its other branch (see its CASE lines). CI is set in
# the VM: nothing may be skipped there.
#
# The kernel is fetched once with apt-get download, through a private
# package list under BUILD_DIR/vm (the machine's apt sources are not
# touched). qemu runs without KVM (TCG): nested KVM is often missing or
# broken where tests run; cmpxchg16b is off because qemu 7.2's TCG
# emulation of it corrupted the guest kernel's memory on such a host.
#
# usage: tests/vm/no-ia32.sh BUILD_DIR     (make vm-no-ia32)
set -eu
B=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
vm=$B/vm
mkdir -p "$vm"

# --- the kernel ---------------------------------------------------------
kernel=$(ls "$vm"/boot/vmlinuz-* 2>/dev/null | tail -1 || true)
if [ -z "$kernel" ]; then
	mkdir -p "$vm/apt/lists/partial" "$vm/apt/cache/archives/partial" \
	    "$vm/apt/sources"
	cat >"$vm/apt/sources/backports.sources" <<EOS
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
	apt="-o Dir::Etc::sourcelist=/dev/null
	    -o Dir::Etc::sourceparts=$vm/apt/sources
	    -o Dir::State::Lists=$vm/apt/lists -o Dir::Cache=$vm/apt/cache"
	# shellcheck disable=SC2086
	apt-get $apt update -q >/dev/null
	# shellcheck disable=SC2086
	pkg=$(apt-cache $apt search 'linux-image-.*-cloud-amd64-unsigned' |
	    awk '$1 ~ /^linux-image-6\.[0-9.]+\+deb12-cloud-amd64-unsigned$/ {
	    print $1 }' | sort -V | tail -1)
	[ -n "$pkg" ] || { echo "no-ia32.sh: no backports kernel found" >&2; exit 1; }
	echo "no-ia32.sh: fetching $pkg"
	# shellcheck disable=SC2086
	(cd "$vm" && apt-get $apt download -q "$pkg" 2>/dev/null)
	dpkg-deb --fsys-tarfile "$vm"/linux-image-*.deb |
	    tar -x -C "$vm" --wildcards './boot/vmlinuz-*'
	rm -f "$vm"/linux-image-*.deb
	kernel=$(ls "$vm"/boot/vmlinuz-* | tail -1)
fi

# --- the initramfs ------------------------------------------------------
root=$vm/root
rm -rf "$root"
mkdir -p "$root/bin" "$root/etc" "$root/proc" "$root/sys" "$root/dev" \
    "$root/tmp" "$root/run" "$root/root" "$root/iridium/build/tests" \
    "$root/iridium/src"
cc -O2 -static -o "$root/init" "$src/tests/vm/init.c"
for f in iridiumd iridiumctl iridium-worker iridium-worker-test; do
	cp "$B/$f" "$root/iridium/build/"
done
cp "$B/tests/test_sandbox" "$B/tests/test_sandbox_enter" \
    "$root/iridium/build/tests/"
cp /bin/dash "$root/bin/sh"
for t in rm cat uname grep sort head; do cp "$(command -v $t)" "$root/bin/"; done
for f in "$root"/iridium/build/iridiumd "$root"/iridium/build/iridiumctl \
    "$root"/iridium/build/tests/* "$root"/bin/*; do
	ldd "$f" 2>/dev/null | awk '/=>/ { print $3 } /^\t\/.*ld-linux/ { print $1 }'
done | sort -u | while read -r lib; do
	[ -e "$lib" ] || continue
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
    >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
printf 'passwd: files\ngroup: files\n' >"$root/etc/nsswitch.conf"
cat >"$root/run-tests.sh" <<'EOS'
echo "vm: kernel $(uname -r); $(cat /proc/cmdline)"
cd /iridium/build
failed=0
for t in test_sandbox_enter test_sandbox; do
	echo "== $t"
	./tests/$t --jobs=2 >/tmp/$t.log 2>&1 || failed=1
	grep -E ': (CASE|SKIPPED): ' /tmp/$t.log | sort -u
	grep -E '^\[----\]   [^ ]|^\[FAIL\]|^\[====\] Synthesis' /tmp/$t.log
done
exit $failed
EOS
(cd "$root" && find . | cpio -o -H newc --quiet) >"$vm/root.cpio"

# --- the run ------------------------------------------------------------
echo "no-ia32.sh: booting $(basename "$kernel") with ia32_emulation=0 (qemu, TCG)"
timeout 1200 qemu-system-x86_64 -accel tcg,thread=multi -cpu qemu64,-cx16 \
    -m 2048 -smp 2 -nographic -no-reboot -kernel "$kernel" \
    -initrd "$vm/root.cpio" \
    -append "console=ttyS0 ia32_emulation=0 panic=-1 quiet" \
    >"$vm/console.log" 2>&1 || true
grep -a -E 'vm: |^== |: (CASE|SKIPPED): |^\[----\]   [^ ]|^\[FAIL\]|Synthesis' \
    "$vm/console.log" | tr -d '\r'
rc=$(sed -n 's/^vm: tests exit \([0-9]*\).*/\1/p' "$vm/console.log" | tr -d '\r')
[ -n "$rc" ] || { echo "no-ia32.sh: the VM did not finish; see $vm/console.log" >&2; exit 1; }
exit "$rc"
