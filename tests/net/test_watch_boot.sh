#!/usr/bin/env bash
# watch at early boot, the kernel's random pool not yet ready (the NOPOOL
# shim: getrandom with GRND_NONBLOCK fails with EAGAIN): the watcher waits
# for the pool for its queries' nonces, as discover does, and its first
# sweep finds a chapter device (which never announces itself). It used to
# give up each query and found nothing.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}" "${BOOK_RECEIVER:?}" "${NOPOOL:?path to nopool.so}"
lab_scratch
G=232.10.11.12 # the default group

lab_up 2
lab_bg 2 "$tmp/b2.log" "$BOOK_RECEIVER" $G 3333 "$(lab_ip 2)" "Book Lamp http 80"
b2=$LAB_PID
wait_for "$tmp/b2.log" ready || { t_fail "chapter device started"; t_done; exit 1; }
# ASan (CI) wants its runtime first; the shim only replaces getrandom.
lab_bg 1 "$tmp/w.log" env LD_PRELOAD="$NOPOOL" \
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    "$MCDISC" watch --json
w=$LAB_PID
t_check "the first sweep finds the chapter device with the pool not ready" \
    wait_for "$tmp/w.log" '"event":"new","id":null,"name":"Book Lamp"' 5
kill -TERM "$w" "$b2"
wait "$w"
rc=$?
t_check "watch exits 0 on SIGTERM ($rc)" test "$rc" -eq 0
t_done
