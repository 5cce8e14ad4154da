/*
 * test_hostid.c - the network namespace in the default id
 * (mcd_netns_identity_, src/net/responder.c) on a fake /proc: mixed in
 * outside PID 1's namespace, left out in it whether PID 1's namespace
 * link is readable (root) or not (anyone else), and left out when it
 * cannot be told.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net.h"

#define OURS "net:[4026532281]"

static char proc[64];

static void make(const char *rel)
{
    char p[PATH_MAX];

    snprintf(p, sizeof p, "%s/%s", proc, rel);
    assert_int_equal(mkdir(p, 0700), 0);
}

static void path(char *p, size_t cap, const char *rel)
{
    snprintf(p, cap, "%s/%s", proc, rel);
}

/* A fake /proc: self/ns/net -> OURS, the dirs of 1/ns, 1/net, self/net. */
static int setup(void **state)
{
    char p[PATH_MAX];

    (void)state;
    snprintf(proc, sizeof proc, "/tmp/mcd_hostid_XXXXXX");
    if (mkdtemp(proc) == NULL)
        return -1;
    make("self");
    make("self/ns");
    make("self/net");
    make("1");
    make("1/ns");
    make("1/net");
    path(p, sizeof p, "self/ns/net");
    return symlink(OURS, p);
}

static int teardown(void **state)
{
    char cmd[PATH_MAX + 16];

    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", proc);
    return system(cmd) == 0 ? 0 : -1;
}

static void init_link(const char *target)
{
    char p[PATH_MAX];

    path(p, sizeof p, "1/ns/net");
    assert_int_equal(symlink(target, p), 0);
}

/* 1/net/dev and self/net/dev: one file (same namespace) or two. */
static void net_dev(int same)
{
    char a[PATH_MAX], b[PATH_MAX];
    FILE *f;

    path(a, sizeof a, "1/net/dev");
    path(b, sizeof b, "self/net/dev");
    f = fopen(a, "w");
    assert_non_null(f);
    fclose(f);
    if (same) {
        assert_int_equal(link(a, b), 0);
        return;
    }
    f = fopen(b, "w");
    assert_non_null(f);
    fclose(f);
}

static size_t ident(char *buf, size_t cap)
{
    memset(buf, 0, cap);
    return mcd_netns_identity_(proc, buf, cap);
}

/* Root in PID 1's namespace: the links match, nothing mixed in. */
static void test_root_in_init(void **state)
{
    char buf[64];

    (void)state;
    init_link(OURS);
    net_dev(0); /* the link decides, when readable */
    assert_int_equal(ident(buf, sizeof buf), 0);
}

/* Root in another namespace: ours is mixed in. */
static void test_root_elsewhere(void **state)
{
    char buf[64];

    (void)state;
    init_link("net:[4026531840]");
    net_dev(1);
    assert_int_equal(ident(buf, sizeof buf), strlen(OURS));
    assert_string_equal(buf, OURS);
}

/* Not root (PID 1's link unreadable) in PID 1's namespace: the same id
 * as root's, nothing mixed in (it used to be mixed in). */
static void test_user_in_init(void **state)
{
    char buf[64];

    (void)state;
    net_dev(1);
    assert_int_equal(ident(buf, sizeof buf), 0);
}

/* Not root in another namespace: mixed in, as for root. */
static void test_user_elsewhere(void **state)
{
    char buf[64];

    (void)state;
    net_dev(0);
    assert_int_equal(ident(buf, sizeof buf), strlen(OURS));
    assert_string_equal(buf, OURS);
}

/* Nothing of PID 1 visible (hidepid): unknown, nothing mixed in. */
static void test_unknown(void **state)
{
    char buf[64];

    (void)state;
    assert_int_equal(ident(buf, sizeof buf), 0);
}

/* Our own link unreadable, or longer than the room: nothing. */
static void test_own_unreadable(void **state)
{
    char buf[8], p[PATH_MAX];

    (void)state;
    net_dev(0);
    assert_int_equal(ident(buf, sizeof buf), 0); /* 16 bytes, room 8 */
    path(p, sizeof p, "self/ns/net");
    assert_int_equal(unlink(p), 0);
    assert_int_equal(mcd_netns_identity_(proc, buf, sizeof buf), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_root_in_init, setup, teardown),
        cmocka_unit_test_setup_teardown(test_root_elsewhere, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_in_init, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_elsewhere, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_own_unreadable, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
