# Iridium server: the one build file.
#
#   make            build everything (build/default/)
#   make run        install missing build packages, build, start the main job
#   make check      install missing build and test packages, build, run
#                   every test (contrib/deps.txt: which target needs what)
#   make asan       the tests under AddressSanitizer + UBSan (build/asan/)
#   make fuzz       build the libFuzzer targets (build/fuzz/) and run each
#   make bench      benchmarks against reference implementations
#   make soak       the soak tests, ten times longer
#   make html       the manual pages as HTML (build/html/)
#   make install    PREFIX=/usr/local DESTDIR=
#
# Objects go to build/<variant>/ so the default, sanitizer and fuzz builds
# never mix. Tests find the binaries through IRIDIUM_BUILD.

VERSION		:= 0.1.0

PREFIX		?= /usr/local
BINDIR		?= $(PREFIX)/bin
SBINDIR		?= $(PREFIX)/sbin
LIBEXECDIR	?= $(PREFIX)/libexec/iridium
DATADIR		?= $(PREFIX)/share
MANDIR		?= $(DATADIR)/man
DOCDIR		?= $(DATADIR)/doc/iridium

SANITIZE	?=
ifneq ($(SANITIZE),)
VARIANT		?= asan
endif
VARIANT		?= default
B		:= build/$(VARIANT)

CC		?= cc
ifeq ($(VARIANT),fuzz)
CC		:= clang
endif
CC_IS_CLANG	:= $(findstring clang,$(shell $(CC) --version 2>/dev/null | head -1))

WARN		:= -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wcast-qual \
		   -Wcast-align -Wstrict-prototypes -Wmissing-prototypes \
		   -Wold-style-definition -Wwrite-strings -Wformat=2 -Wundef \
		   -Wvla -Wimplicit-fallthrough -Wredundant-decls \
		   -Wmissing-declarations -Wnested-externs
ifeq ($(CC_IS_CLANG),)
WARN		+= -Wduplicated-cond -Wduplicated-branches -Wlogical-op \
		   -Wjump-misses-init
endif

OPT		?= -O2
CPPFLAGS	+= -D_GNU_SOURCE -I$(B)/gen -DIRIDIUM_VERSION='"$(VERSION)"'
CFLAGS		?= $(OPT) -g
CFLAGS		+= -std=gnu11 $(WARN) -fstack-protector-strong -fPIE \
		   -fno-strict-aliasing
LDFLAGS		+= -pie -Wl,-z,relro,-z,now

ifeq ($(VARIANT),default)
CPPFLAGS	+= -D_FORTIFY_SOURCE=2
endif
ifeq ($(VARIANT),asan)
SANITIZE	?= address,undefined
CFLAGS		+= -fsanitize=$(SANITIZE) -fno-omit-frame-pointer \
		   -fno-sanitize-recover=all
LDFLAGS		+= -fsanitize=$(SANITIZE)
endif
ifeq ($(VARIANT),fuzz)
FUZZ_SAN	:= -fsanitize=address,undefined -fno-sanitize-recover=all
CFLAGS		+= $(FUZZ_SAN) -fsanitize=fuzzer-no-link -fno-omit-frame-pointer
LDFLAGS		+= $(FUZZ_SAN)
endif

# pkg-config is asked lazily, so the recursive make after install-deps.sh
# sees packages it just installed.
PKG_LIBS	= $(shell pkg-config --libs libbsd jansson)
PKG_CFLAGS	= $(shell pkg-config --cflags libbsd jansson)
EDIT_LIBS	= $(shell pkg-config --libs libedit)
EDIT_CFLAGS	= $(shell pkg-config --cflags libedit)
CRIT_LIBS	= $(shell pkg-config --libs criterion)
SECCOMP_LIBS	= $(shell pkg-config --libs libseccomp)
INIH_LIBS	= $(shell pkg-config --libs inih)
# libssh and OpenSSL: the ssh worker and iridiumd's host keys only.
SSH_LIBS	= $(shell pkg-config --libs libssh libcrypto)
SSH_CFLAGS	= $(shell pkg-config --cflags libssh libcrypto)
CPPFLAGS	+= $(PKG_CFLAGS)

# --- sources -----------------------------------------------------------------

# The build id: version and source (git describe). Rewritten only when it
# changes, so every binary relinks with the same id, and nothing else.
BUILD_ID	:= $(VERSION)-$(shell git describe --always 2>/dev/null || echo unknown)
BUILD_ID_SRC	:= $(B)/gen/build_id.c
BUILD_ID_OBJ	:= $(B)/gen/build_id.o

# The language: VM, image, assembler, disassembler, REPL. Knows no sockets.
LANG_SRCS	:= $(filter-out worker/lang/iridium.c,\
		   $(sort $(wildcard worker/lang/*.c)))
# The wire protocol, and the small utilities every program uses.
PROTO_SRCS	:= $(sort $(wildcard proto/*.c proto/common/*.c))

IRIDIUM_SRCS	:= worker/lang/iridium.c
# The worker's pieces that tests and fuzzers link too. seccomp_rules.c
# (libseccomp) is there for the tests only: no worker references it.
WLIB_SRCS	:= worker/telnet.c worker/sandbox.c worker/proxy.c \
		   worker/proxy_step.c worker/tty.c worker/tty_draw.c \
		   worker/seccomp_rules.c \
		   worker/chan.c worker/session.c worker/session_out.c \
		   worker/session_in.c worker/session_repl.c \
		   worker/session_move.c worker/session_history.c worker/record.c
# iridium-worker: the line transport only (no SSH or crypto code).
WORKER_SRCS	:= worker/worker.c worker/line.c worker/worker_line.c
WORKER_OBJS	:= $(WORKER_SRCS:%.c=$(B)/%.o)
# iridium-worker-test: the same with the test-only hostile hooks.
WTEST_OBJS	:= $(WORKER_SRCS:%.c=$(B)/testhooks/%.o) \
		   $(B)/testhooks/worker/testhooks.o
# iridium-worker-ssh: the ssh transport, linking libssh and libcrypto
# (the line worker links neither); -test: with the hostile hooks.
WSSH_SRCS	:= worker/ssh.c worker/ssh_auth.c worker/ssh_chan.c \
		   worker/ssh_exec.c worker/worker_ssh.c
WSSH_OBJS	:= $(B)/worker/worker.o $(WSSH_SRCS:%.c=$(B)/%.o)
WSSH_TOBJS	:= $(B)/testhooks/worker/worker.o \
		   $(WSSH_SRCS:%.c=$(B)/testhooks/%.o) \
		   $(B)/testhooks/worker/testhooks.o
# The workers' seccomp filter, compiled to BPF at build time: seccomp-gen
# runs the rules of worker/seccomp_rules.c through libseccomp and writes
# the programs out as C (worker/seccomp_bpf.h says why and how). A change
# to the rules rebuilds seccomp-gen, and so the file and the workers.
SECCOMP_GEN	:= $(B)/seccomp-gen
SECCOMP_BPF_SRC	:= $(B)/gen/seccomp_bpf.c
SECCOMP_BPF_OBJ	:= $(B)/gen/seccomp_bpf.o
WLIB_OBJS	:= $(WLIB_SRCS:%.c=$(B)/%.o) $(SECCOMP_BPF_OBJ)
# The workers are linked statically (static-pie: still ASLR, full RELRO)
# in the default variant: no dynamic loader and no shared libraries to map
# and relocate at every exec (each session execs one), which cut the ssh
# worker's start-up CPU from 7.5 to 3.6 ms and the line worker's from 2.0
# to 1.3 ms, and no Kerberos libraries in the ssh sandbox (gss_none.c
# stands in for them). After a Debian security update of a library they
# carry, rebuild them: iridiumd warns when one is newer than a worker. The
# sanitizer variants link them dynamically, as their runtimes need;
# WORKER_STATIC=no does too.
ifeq ($(VARIANT),default)
WORKER_STATIC	?= yes
else
WORKER_STATIC	:= no
endif
ifeq ($(WORKER_STATIC),yes)
WSSH_STATIC_OBJS := $(B)/worker/gss_none.o
WORKER_LDFLAGS	:= -static-pie -Wl,-z,relro,-z,now
WLINE_LIBS	= $(shell pkg-config --static --libs libbsd jansson) -lm
WSSH_LIBS	= $(shell pkg-config --static --libs libssh libcrypto zlib \
		   libbsd jansson) -lm
else
WSSH_STATIC_OBJS :=
WORKER_LDFLAGS	= $(LDFLAGS)
WLINE_LIBS	= $(PKG_LIBS) -lm
WSSH_LIBS	= $(SSH_LIBS) $(PKG_LIBS) -lm
endif
# Link a worker with the libraries $(1), passing on everything the linker
# says except glibc's notes that these functions need its shared NSS and
# dlopen support at run time in a static program: libcrypto and libssh
# call them on paths the worker never takes (no configuration files,
# engines, user or host lookups), and in its empty chroot the dynamic
# versions could not work either.
STATIC_NOTES	:= Using .(dlopen|getaddrinfo|gethostbyname|getpwnam|getpwuid_r). in statically linked applications
define link_worker
$(Q_LD)$(CC) $(WORKER_LDFLAGS) -o $@ $^ $(1) 2>$@.ld || \
	    { cat $@.ld >&2; rm -f $@.ld; exit 1; }; \
	awk '/: in function/ { held = $$0; next } \
	    /$(STATIC_NOTES)/ { held = ""; next } \
	    { if (held != "") print held; held = ""; print } \
	    END { if (held != "") print held }' $@.ld >&2; rm -f $@.ld
endef
LIBWORKER	:= $(B)/libiridium-worker.a
# iridiumd: everything in supervisor/ (the admin tool is supervisor/ctl/).
SUP_SRCS	:= $(sort $(wildcard supervisor/*.c))
SUP_OBJS	:= $(SUP_SRCS:%.c=$(B)/%.o)
# iridiumctl: the admin tool.
CTL_OBJS	:= $(patsubst %.c,$(B)/%.o,$(sort $(wildcard supervisor/ctl/*.c)))
# The supervisor's parts without its main, for unit tests and fuzzers.
LIBSUP		:= $(B)/libiridium-sup.a
LIBSUP_OBJS	:= $(filter-out $(B)/supervisor/iridiumd.o,$(SUP_OBJS)) \
		   $(B)/supervisor/ctl/metrics.o

LANG_OBJS	:= $(LANG_SRCS:%.c=$(B)/%.o)
PROTO_OBJS	:= $(PROTO_SRCS:%.c=$(B)/%.o)
LIBLANG		:= $(B)/libiridium-lang.a
LIBPROTO	:= $(B)/libiridium-proto.a

BINS		:= $(B)/iridium $(B)/iridiumd $(B)/iridiumctl \
		   $(B)/iridium-worker $(B)/iridium-worker-test $(B)/iridium-worker-ssh \
		   $(B)/iridium-worker-ssh-test

UNIT_SRCS	:= $(sort $(wildcard tests/unit/test_*.c))
UNIT_TESTS	:= $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%) $(B)/tests/test_vm_switch
INTEG_SRCS	:= $(sort $(wildcard tests/integration/test_*.c))
INTEG_TESTS	:= $(INTEG_SRCS:tests/integration/%.c=$(B)/tests/%)
HARNESS_OBJS	:= $(patsubst %.c,$(B)/%.o,$(wildcard tests/lib/*.c))
# Kept, not deleted as intermediates: otherwise every make relinks every test.
.SECONDARY: $(HARNESS_OBJS)

FUZZ_SRCS	:= $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS	:= $(FUZZ_SRCS:tests/fuzz/%.c=$(B)/fuzz/%)

ALL_OBJS	:= $(LANG_OBJS) $(PROTO_OBJS) $(IRIDIUM_SRCS:%.c=$(B)/%.o) $(SUP_OBJS) \
		   $(WORKER_OBJS) $(WTEST_OBJS) $(WLIB_OBJS) $(CTL_OBJS) $(WSSH_OBJS) \
		   $(WSSH_TOBJS)

# --- rules -------------------------------------------------------------------

# Quiet by default; make V=1 shows the commands.
V		?= 0
ifeq ($(V),0)
Q_CC		= @echo "  CC      $@";
Q_LD		= @echo "  LD      $@";
Q_AR		= @echo "  AR      $@";
endif

.PHONY: all deps run check check-build check-run check-layout asan fuzz \
	fuzz-build units vm-no-ia32 html \
	fuzz-run bench soak install uninstall clean format tests

all: $(BINS)

# Installation paths compiled in (the workers' directory), in a generated
# header rewritten only when they change: objects that include it rebuild
# when PREFIX or LIBEXECDIR change, and only those.
PATHS_H		:= $(B)/gen/paths.h
$(PATHS_H): FORCE
	@mkdir -p $(@D)
	@printf '#define IRIDIUM_LIBEXECDIR "%s"\n' '$(LIBEXECDIR)' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

# Each room's include path gives it only what it may use (the rule in
# tests/layout/deps.sh): a worker file that includes a supervisor header
# does not compile. A room's private headers sit beside its code and are
# found there; include/ holds what crosses a boundary.
INC_COMMON	:= -Iproto/common
INC_PROTO	:= -Iinclude/proto $(INC_COMMON)
INC_LANG	:= -Iinclude/lang $(INC_COMMON)
INC_WORKER	:= -Iinclude/proto -Iinclude/lang $(INC_COMMON)
INC_TESTS	:= -Iinclude/proto -Iinclude/lang $(INC_COMMON) -Isupervisor \
		   -Isupervisor/ctl -Iworker -Iworker/lang -Itests/lib
$(B)/proto/common/%.o: ROOM_INC = $(INC_COMMON)
$(B)/proto/%.o: ROOM_INC = $(INC_PROTO)
$(B)/worker/lang/%.o: ROOM_INC = $(INC_LANG)
$(B)/worker/%.o: ROOM_INC = $(INC_WORKER)
$(B)/testhooks/worker/%.o: ROOM_INC = $(INC_WORKER)
$(B)/supervisor/%.o: ROOM_INC = $(INC_PROTO)
$(B)/supervisor/ctl/%.o: ROOM_INC = $(INC_PROTO)
$(B)/gen/%.o: ROOM_INC = $(INC_PROTO)
$(B)/tests/%.o: ROOM_INC = $(INC_TESTS)

$(B)/%.o: %.c | $(PATHS_H)
	@mkdir -p $(@D)
	$(Q_CC)$(CC) $(CPPFLAGS) $(ROOM_INC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIBLANG): $(LANG_OBJS)
	@rm -f $@
	$(Q_AR)$(AR) rcs $@ $^

$(LIBPROTO): $(PROTO_OBJS)
	@rm -f $@
	$(Q_AR)$(AR) rcs $@ $^

$(B)/iridium: $(B)/worker/lang/iridium.o $(LIBLANG) $(LIBPROTO)
	$(Q_LD)$(CC) $(LDFLAGS) -o $@ $^ $(EDIT_LIBS) $(PKG_LIBS) -lm

$(B)/worker/lang/iridium.o: CPPFLAGS += $(EDIT_CFLAGS)

$(LIBSUP): $(LIBSUP_OBJS)
	@rm -f $@
	$(Q_AR)$(AR) rcs $@ $^

$(B)/iridiumd: $(SUP_OBJS) $(BUILD_ID_OBJ) $(LIBPROTO)
	$(Q_LD)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(SSH_LIBS) $(INIH_LIBS)

$(B)/iridiumctl: $(CTL_OBJS) $(LIBPROTO)
	$(Q_LD)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(SECCOMP_GEN): $(B)/worker/seccomp_gen.o $(B)/worker/seccomp_rules.o
	$(Q_LD)$(CC) $(LDFLAGS) -o $@ $^ $(SECCOMP_LIBS)

# Leak detection off: an ASan build's generator runs at build time, and
# what libseccomp keeps until exit is not this project's leak.
$(SECCOMP_BPF_SRC): $(SECCOMP_GEN)
	@mkdir -p $(@D)
	@echo "  GEN     $@"
	@ASAN_OPTIONS=detect_leaks=0 $(SECCOMP_GEN) > $@.tmp && mv $@.tmp $@

$(SECCOMP_BPF_OBJ): $(SECCOMP_BPF_SRC)
	$(Q_CC)$(CC) $(CPPFLAGS) $(INC_WORKER) -Iworker $(CFLAGS) -c $< -o $@

$(LIBWORKER): $(WLIB_OBJS)
	@rm -f $@
	$(Q_AR)$(AR) rcs $@ $^

$(B)/iridium-worker: $(WORKER_OBJS) $(BUILD_ID_OBJ) $(LIBWORKER) $(LIBLANG) \
    $(LIBPROTO)
	$(call link_worker,$(WLINE_LIBS))

$(B)/iridium-worker-test: $(WTEST_OBJS) $(BUILD_ID_OBJ) $(LIBWORKER) \
    $(LIBLANG) $(LIBPROTO)
	$(call link_worker,$(WLINE_LIBS))

$(B)/iridium-worker-ssh: $(WSSH_OBJS) $(WSSH_STATIC_OBJS) $(BUILD_ID_OBJ) \
    $(LIBWORKER) $(LIBLANG) $(LIBPROTO)
	$(call link_worker,$(WSSH_LIBS))

$(B)/iridium-worker-ssh-test: $(WSSH_TOBJS) $(WSSH_STATIC_OBJS) \
    $(BUILD_ID_OBJ) $(LIBWORKER) $(LIBLANG) $(LIBPROTO)
	$(call link_worker,$(WSSH_LIBS))

$(B)/supervisor/staticlibs.o: CPPFLAGS += \
    -DIRIDIUM_WORKERS_STATIC=$(if $(filter yes,$(WORKER_STATIC)),1,0)
$(B)/supervisor/staticlibs.o: Makefile

$(WSSH_OBJS) $(WSSH_TOBJS) $(B)/supervisor/hostkey.o \
    $(B)/supervisor/authkeys.o: CPPFLAGS += $(SSH_CFLAGS)

$(B)/testhooks/%.o: %.c | $(PATHS_H)
	@mkdir -p $(@D)
	$(Q_CC)$(CC) $(CPPFLAGS) $(ROOM_INC) -DIRIDIUM_TEST_HOOKS $(CFLAGS) \
	    -MMD -MP -c $< -o $@

.PHONY: FORCE
$(BUILD_ID_SRC): FORCE
	@mkdir -p $(@D)
	@echo 'const char iridium_build_id[] = "$(BUILD_ID)";' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(BUILD_ID_OBJ): $(BUILD_ID_SRC)
	$(Q_CC)$(CC) $(CPPFLAGS) $(INC_PROTO) $(CFLAGS) -include version.h \
	    -c $< -o $@

$(B)/tests/%: tests/unit/%.c $(LIBSUP) $(LIBWORKER) $(LIBLANG) $(LIBPROTO) \
    $(HARNESS_OBJS) $(BUILD_ID_OBJ)
	@mkdir -p $(@D)
	$(Q_LD)$(CC) $(CPPFLAGS) $(INC_TESTS) $(CFLAGS) -MMD -MP -o $@ $< \
	    $(HARNESS_OBJS) $(LIBSUP) $(LIBWORKER) $(LIBLANG) $(LIBPROTO) \
	    $(BUILD_ID_OBJ) $(LDFLAGS) \
	    $(CRIT_LIBS) $(PKG_LIBS) $(SECCOMP_LIBS) $(SSH_LIBS) $(INIH_LIBS) -lm

# The VM's portable switch dispatch, tested with the same cases.
$(B)/tests/test_vm_switch: tests/unit/test_vm.c worker/lang/vm.c $(LIBLANG) \
    $(LIBPROTO)
	@mkdir -p $(@D)
	$(Q_LD)$(CC) $(CPPFLAGS) $(INC_TESTS) -DVM_NO_COMPUTED_GOTO $(CFLAGS) -o $@ \
	    tests/unit/test_vm.c worker/lang/vm.c $(LIBLANG) $(LIBPROTO) \
	    $(LDFLAGS) $(CRIT_LIBS) $(PKG_LIBS) -lm

# The harness checks test daemons' worker uids as iridiumd does (uidpool.o).
$(B)/tests/%: tests/integration/%.c $(LIBWORKER) $(LIBLANG) $(LIBPROTO) \
    $(HARNESS_OBJS) $(B)/supervisor/uidpool.o
	@mkdir -p $(@D)
	$(Q_LD)$(CC) $(CPPFLAGS) $(INC_TESTS) $(CFLAGS) -MMD -MP -o $@ $< \
	    $(HARNESS_OBJS) $(B)/supervisor/uidpool.o $(LIBWORKER) \
	    $(LIBLANG) $(LIBPROTO) $(LDFLAGS) \
	    $(CRIT_LIBS) $(PKG_LIBS) $(SECCOMP_LIBS) -lm

$(B)/fuzz/%: tests/fuzz/%.c $(LIBSUP) $(LIBWORKER) $(LIBLANG) $(LIBPROTO) \
    $(BUILD_ID_OBJ)
	@mkdir -p $(@D)
	$(Q_LD)$(CC) $(CPPFLAGS) $(INC_TESTS) $(CFLAGS) -fsanitize=fuzzer -o $@ $< \
	    $(LIBSUP) $(LIBWORKER) $(LIBLANG) $(LIBPROTO) $(BUILD_ID_OBJ) \
	    $(LDFLAGS) $(PKG_LIBS) \
	    $(SECCOMP_LIBS) $(SSH_LIBS) $(INIH_LIBS) -lm

tests: $(BINS) $(UNIT_TESTS) $(INTEG_TESTS)

# Each target installs only the groups of contrib/deps.txt it needs.
DEPS		:= contrib/install-deps.sh
deps:
	@$(DEPS)

# The test run (tests/run-tests.sh): two binaries at a time
# (TEST_JOBS), the slowest first so that the pair ends together; criterion
# forks per test, two at a time. Every binary runs even when one fails;
# the target fails at the end. Each binary's lines "NAME: CASE: ..." (what
# this machine offered and so what was checked) and "NAME: SKIPPED: ..."
# are shown with its result.
SLOW_TESTS	:= $(filter $(addprefix $(B)/tests/,test_ssh_clients test_soak \
		   test_daemon test_abuse test_deploy test_worker), \
		   $(UNIT_TESTS) $(INTEG_TESTS))
TEST_ENV	= IRIDIUM_BUILD=$(abspath $(B)) IRIDIUM_SRC=$(abspath .) \
		  IRIDIUM_VARIANT=$(VARIANT)
check-run: tests
	@mkdir -p $(B)/test-logs; failed=""; \
	echo "== test_deps (the dependency rule)"; \
	if $(LAYOUT_ENV) tests/layout/test_deps.sh \
	    >$(B)/test-logs/test_deps.log 2>&1; then \
		tail -1 $(B)/test-logs/test_deps.log; \
	else failed=" test_deps"; fi; \
	echo "== standalone (no citation outside the tree)"; \
	tests/layout/standalone.sh || failed="$$failed standalone"; \
	$(TEST_ENV) tests/run-tests.sh $(B)/test-logs $(SLOW_TESTS) \
	    $(filter-out $(SLOW_TESTS),$(UNIT_TESTS) $(INTEG_TESTS)) || \
	    failed="$$failed (tests)"; \
	if [ -n "$$failed" ]; then echo "FAILED:$$failed"; exit 1; fi; \
	echo "all tests passed ($(VARIANT))"

# The layout check's include paths: the same the rooms compile with.
LAYOUT_ENV	= CC="$(CC)" INC_WORKER="$(INC_WORKER)" INC_LANG="$(INC_LANG)" \
		  INC_PROTO="$(INC_PROTO)" INC_COMMON="$(INC_COMMON)"
check-layout:
	@$(LAYOUT_ENV) tests/layout/test_deps.sh
	@tests/layout/standalone.sh

check:
	@$(DEPS) build test
	@$(MAKE) --no-print-directory check-run

asan:
	@$(DEPS) build test
	@$(MAKE) --no-print-directory SANITIZE=address,undefined check-run

# make run: the daemon in the foreground with contrib/iridiumd.dev.conf
# and everything under ./run.
RUN_DIR		:= $(CURDIR)/run
RUN_CONF	:= $(CURDIR)/contrib/iridiumd.dev.conf
# The ssh listener's host key is generated by iridiumd into the run
# directory on first start; tenant dev's key pair is made here, once.
RUN_SSH		:= ssh -i $(RUN_DIR)/dev_ed25519 -o IdentitiesOnly=yes \
		   -o UserKnownHostsFile=$(RUN_DIR)/known_hosts \
		   -o StrictHostKeyChecking=accept-new -p 2222 dev@127.0.0.1
run:
	@$(DEPS) build
	@$(MAKE) --no-print-directory all
	@mkdir -p $(RUN_DIR)
	@[ -e $(RUN_DIR)/dev_ed25519 ] || ssh-keygen -q -t ed25519 -N '' \
	    -C dev@iridium-dev -f $(RUN_DIR)/dev_ed25519
	@echo "Starting iridiumd with $(RUN_CONF) (line REPL on 127.0.0.1:2244, ssh on 127.0.0.1:2222; ^C stops it)."
	@echo "Connect with:  nc 127.0.0.1 2244     or:  telnet 127.0.0.1 2244"
	@printf '%s\n' "From a script: printf 'load \$$0 #1\\n!registers\\n' | nc -N 127.0.0.1 2244   (-N: end the session at the end of input)"
	@echo "SSH (tenant dev):  $(RUN_SSH)"
	@echo "Run a program:     $(RUN_SSH) run < contrib/examples/hello.iasm"
	@echo "Status:        $(B)/iridiumctl -s $(RUN_DIR)/control.sock status"
	@echo "Reload:        edit $(RUN_CONF), then $(B)/iridiumctl -s $(RUN_DIR)/control.sock reload"
	@exec $(B)/iridiumd -f $(RUN_CONF) --run-dir $(RUN_DIR) \
	    --state-dir $(RUN_DIR) \
	    --worker-path $(abspath $(B))/iridium-worker \
	    --ssh-worker-path $(abspath $(B))/iridium-worker-ssh

# --- fuzzing -----------------------------------------------------------------

FUZZ_SECONDS	?= 60
fuzz-build:
	@$(MAKE) --no-print-directory VARIANT=fuzz fuzz-bins

.PHONY: fuzz-bins
fuzz-bins: $(FUZZ_BINS)

fuzz:
	@$(DEPS) build fuzz
	@$(MAKE) --no-print-directory fuzz-build
	@tests/fuzz/run.sh build/fuzz $(FUZZ_SECONDS)

# --- benchmarks --------------------------------------------------------------

bench:
	@$(DEPS) build test bench
	@$(MAKE) --no-print-directory all
	@tests/bench/run.sh $(B)

# The sandbox tests in a VM booted with ia32_emulation=0, where int $$0x80
# raises SIGSEGV (tests/vm/no-ia32.sh; fetches a backports kernel once).
vm-no-ia32:
	@$(DEPS) build test vm
	@$(MAKE) --no-print-directory tests
	@tests/vm/no-ia32.sh $(B)

# The soak tests of make check, ten times longer (about 10 minutes).
soak:
	@$(DEPS) build test
	@$(MAKE) --no-print-directory tests
	@$(TEST_ENV) IRIDIUM_SOAK=long $(B)/tests/test_soak --jobs=1 --verbose

# --- documentation -----------------------------------------------------------

# make html: every manual page as HTML, and an index linking them, in
# build/html. Cross-references to these pages link to their HTML; others
# to Debian's online manual.
HTML_DIR	:= build/html
MAN_PAGES	:= $(sort $(wildcard contrib/man/*.[1-8]))
HTML_PAGES	:= $(MAN_PAGES:contrib/man/%=$(HTML_DIR)/%.html)

html: $(HTML_PAGES) $(HTML_DIR)/index.html

$(HTML_DIR)/%.html: contrib/man/%
	@mkdir -p $(@D)
	@echo "  HTML    $@"
	@cd contrib/man && mandoc -T html \
	    -O 'man=%N.%S.html;https://manpages.debian.org/%N.%S' $* \
	    > $(CURDIR)/$@.tmp && mv $(CURDIR)/$@.tmp $(CURDIR)/$@

$(HTML_DIR)/index.html: $(MAN_PAGES) Makefile
	@mkdir -p $(@D)
	@echo "  HTML    $@"
	@{ printf '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'; \
	  printf '<title>Iridium manual pages</title>\n</head>\n<body>\n'; \
	  printf '<h1>Iridium manual pages</h1>\n<ul>\n'; \
	  for m in $(MAN_PAGES); do \
		p=$${m##*/}; \
		d=$$(sed -n 's/^\.Nd //p' $$m | sed -e 's/&/\&amp;/g' \
		    -e 's/</\&lt;/g' -e 's/>/\&gt;/g'); \
		printf '<li><a href="%s.html">%s(%s)</a>: %s</li>\n' \
		    "$$p" "$${p%.*}" "$${p##*.}" "$$d"; \
	  done; \
	  printf '</ul>\n</body>\n</html>\n'; } > $@.tmp && mv $@.tmp $@

# --- install -----------------------------------------------------------------

SYSCONFDIR	?= /etc
SYSTEMDUNITDIR	?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR	?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR	?= $(PREFIX)/lib/tmpfiles.d

# Units are generated so PREFIX reaches ExecStart.
UNIT_SED	= -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@BINDIR@|$(BINDIR)|g' \
		  -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'
UNITS		:= $(B)/systemd/iridiumd.service \
		   $(B)/systemd/iridiumd-activated.service \
		   $(B)/systemd/iridiumd.socket \
		   $(patsubst contrib/systemd/%.in,$(B)/systemd/%,\
		       $(wildcard contrib/systemd/iridium-*.in))

$(B)/systemd/iridiumd.service: contrib/systemd/iridiumd.service.in Makefile
	@mkdir -p $(@D)
	sed $(UNIT_SED) -e '/@UNIT_EXTRA@/d' -e '/@SERVICE_EXTRA@/d' $< > $@

# The same daemon taking its listeners from iridiumd.socket: it needs no
# network of its own, so it gets none.
$(B)/systemd/iridiumd-activated.service: contrib/systemd/iridiumd.service.in \
    Makefile
	@mkdir -p $(@D)
	sed $(UNIT_SED) \
	    -e 's|^# iridiumd.service: .*|# iridiumd-activated.service: iridiumd with its listeners from iridiumd.socket.|' \
	    -e 's|@UNIT_EXTRA@|Requires=iridiumd.socket\nAfter=iridiumd.socket\nConflicts=iridiumd.service|' \
	    -e 's|@SERVICE_EXTRA@|PrivateNetwork=yes|' \
	    -e 's|^WantedBy=multi-user.target|Also=iridiumd.socket|' $< > $@

$(B)/systemd/iridiumd.socket: contrib/systemd/iridiumd.socket
	@mkdir -p $(@D)
	cp $< $@

$(B)/systemd/%: contrib/systemd/%.in Makefile
	@mkdir -p $(@D)
	sed $(UNIT_SED) $< > $@

units: $(UNITS)

# What goes where: "source destination mode", one per line. install and
# uninstall both read this list, so they cannot drift apart.
define INSTALL_LIST
$(B)/iridium $(BINDIR)/iridium 0755
$(B)/iridiumctl $(BINDIR)/iridiumctl 0755
$(B)/iridiumd $(SBINDIR)/iridiumd 0755
$(B)/iridium-worker $(LIBEXECDIR)/iridium-worker 0755
$(B)/iridium-worker-ssh $(LIBEXECDIR)/iridium-worker-ssh 0755
$(foreach u,$(UNITS),$(u) $(SYSTEMDUNITDIR)/$(notdir $(u)) 0644
)contrib/systemd/iridium.sysusers $(SYSUSERSDIR)/iridium.conf 0644
contrib/systemd/iridium.tmpfiles $(TMPFILESDIR)/iridium.conf 0644
$(foreach m,$(wildcard contrib/man/*.[1-8]),$(m) $(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m)) 0644
)contrib/iridiumd.conf.example $(DOCDIR)/iridiumd.conf.example 0644
$(foreach e,$(wildcard contrib/examples/*.iasm),$(e) $(DOCDIR)/examples/$(notdir $(e)) 0644
)$(foreach h,$(wildcard contrib/haproxy/*),$(h) $(DOCDIR)/haproxy/$(notdir $(h)) 0644
)
endef
export INSTALL_LIST

install: all units
	@echo "$$INSTALL_LIST" | while read src dst mode; do \
		[ -n "$$src" ] || continue; \
		install -D -m $$mode "$$src" "$(DESTDIR)$$dst" || exit 1; \
		echo "  INSTALL $$dst"; \
	done
	@# The configuration is the operator's: never overwrite it.
	@if [ -e "$(DESTDIR)$(SYSCONFDIR)/iridium/iridiumd.conf" ]; then \
		echo "  KEEP    $(SYSCONFDIR)/iridium/iridiumd.conf (exists)"; \
	else \
		install -D -m 0644 contrib/iridiumd.conf.example \
		    "$(DESTDIR)$(SYSCONFDIR)/iridium/iridiumd.conf"; \
		echo "  INSTALL $(SYSCONFDIR)/iridium/iridiumd.conf"; \
	fi

uninstall:
	@echo "$$INSTALL_LIST" | while read src dst mode; do \
		[ -n "$$dst" ] || continue; \
		rm -f "$(DESTDIR)$$dst"; \
		d=$$(dirname "$(DESTDIR)$$dst"); \
		while [ "$$d" != "$(DESTDIR)" ] && [ "$$d" != "/" ] && \
		    rmdir "$$d" 2>/dev/null; do d=$$(dirname "$$d"); done; \
	done
	@# The configuration goes only if it is still the example.
	@c="$(DESTDIR)$(SYSCONFDIR)/iridium/iridiumd.conf"; \
	if cmp -s "$$c" contrib/iridiumd.conf.example; then rm -f "$$c"; \
		d=$$(dirname "$$c"); \
		while [ "$$d" != "$(DESTDIR)" ] && [ "$$d" != "/" ] && \
		    rmdir "$$d" 2>/dev/null; do d=$$(dirname "$$d"); done; \
	elif [ -e "$$c" ]; then echo "  KEEP    $$c (changed)"; fi

clean:
	rm -rf build

format:
	clang-format -i include/*/*.h proto/*.[ch] proto/common/*.[ch] \
	    worker/*.[ch] worker/lang/*.[ch] supervisor/*.[ch] \
	    supervisor/ctl/*.[ch] tests/*/*.[ch]

-include $(shell find build/$(VARIANT) -name '*.d' 2>/dev/null)
