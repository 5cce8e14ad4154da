#!/usr/bin/env bash
# `make install` as a user relies on it: into a scratch prefix, then the
# example program built against it with pkg-config and with CMake's
# find_package(), each run (with a group that is not multicast, so it
# answers with an error and sends nothing). With --installed for BUILD_DIR:
# the same checks on what the Debian packages installed under /usr.
set -u
BUILD=${1:?usage: test_install.sh BUILD_DIR|--installed SOURCE_DIR}
SRC=${2:?}
. "$SRC/tests/lib/tap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ "$BUILD" = --installed ]; then
    P=/usr
    libdir=/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
else
    P=$tmp/prefix
    t_check_log "cmake --install into a prefix" \
        cmake --install "$BUILD" --prefix "$P"
    libdir=$(ls -d "$P"/lib*/ | head -n 1)
fi
t_check_log "the headers are installed" \
    sh -c "test -f $P/include/mcdisc.h && ls $P/include/mcdisc/core.h $P/include/mcdisc/posix.h"
t_check_log "static and shared libraries are installed" \
    sh -c "ls $libdir/libmcdisc.a $libdir/libmcdisc.so"
t_check_log "the program is installed and runs" \
    sh -c "$P/bin/mcdisc --version | grep -q '^mcdisc '"
man=$(ls "$P"/share/man/man1/mcdisc.1 "$P"/share/man/man1/mcdisc.1.gz 2>/dev/null | head -n 1)
t_check_log "the man page is installed and renders" \
    sh -c "test -f '$man' && { ! command -v man >/dev/null || man -l '$man' >/dev/null; }"
export PKG_CONFIG_PATH=$libdir/pkgconfig
t_check_log "pkg-config knows mcdisc" sh -c "pkg-config --modversion mcdisc | grep -qx '[0-9.]*'"
t_check_log "the example builds with pkg-config" \
    sh -c "cc -std=c11 $SRC/docs/examples/discover.c \$(pkg-config --cflags --libs mcdisc) -o $tmp/ex_pc"
# The library refuses a unicast group before opening any socket.
expect_refusal() {
    "$@" 198.18.0.1 >"$tmp/out" 2>&1
    [ $? -eq 2 ] && grep -q "not a multicast address" "$tmp/out"
}
t_check_log "the pkg-config build runs against the installed shared library" \
    env LD_LIBRARY_PATH="$libdir" sh -c "$(declare -f expect_refusal); expect_refusal $tmp/ex_pc"
t_check_log "find_package(mcdisc) configures and builds (shared and static)" \
    sh -c "cmake -S $SRC/tests/install -B $tmp/consumer -DCMAKE_PREFIX_PATH=$P -DEXAMPLE=$SRC/docs/examples/discover.c && cmake --build $tmp/consumer"
t_check_log "the find_package builds run" \
    env LD_LIBRARY_PATH="$libdir" sh -c "$(declare -f expect_refusal); expect_refusal $tmp/consumer/consumer_shared && expect_refusal $tmp/consumer/consumer_static"
t_done
