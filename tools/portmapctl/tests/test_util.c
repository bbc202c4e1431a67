// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of portmapctl's argument parsers and JSON string escaping.
 * Prints "N passed, N failed"; exits 1 when anything failed.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../portmapctl.h"

bool pm_json;

static int passed, failed;

#define CHECK(cond) do {						\
	if (cond) {							\
		passed++;						\
	} else {							\
		failed++;						\
		fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__,	\
			#cond);						\
	}								\
} while (0)

static void test_port(void)
{
	static const char *const bad[] = {
		"", "0", "65536", "-1", "+1", " 1", "1 ", "0x15", "1e3",
		"99999999999", "4294967317", "21a", "abc", NULL,
	};
	uint16_t p = 0;
	int i;

	CHECK(pm_parse_port("1", &p) == 0 && p == 1);
	CHECK(pm_parse_port("21", &p) == 0 && p == 21);
	CHECK(pm_parse_port("6293", &p) == 0 && p == 6293);
	CHECK(pm_parse_port("65535", &p) == 0 && p == 65535);
	CHECK(pm_parse_port("00021", &p) == 0 && p == 21);
	for (i = 0; bad[i]; i++) {
		p = 7;
		CHECK(pm_parse_port(bad[i], &p) == -1 && p == 7);
	}
}

static void test_u32(void)
{
	uint32_t v = 0;

	CHECK(pm_parse_u32("0", &v) == 0 && v == 0);
	CHECK(pm_parse_u32("64", &v) == 0 && v == 64);
	CHECK(pm_parse_u32("4294967295", &v) == 0 && v == 4294967295u);
	CHECK(pm_parse_u32("4294967296", &v) == -1);
	CHECK(pm_parse_u32("-1", &v) == -1);
	CHECK(pm_parse_u32("", &v) == -1);
	CHECK(pm_parse_u32("12345678901", &v) == -1);
}

static void test_addr(void)
{
	union pm_addr a;
	char buf[INET6_ADDRSTRLEN];
	int fam = -1;

	CHECK(pm_parse_addr("10.10.10.10", &fam, &a) == 0 && fam == AF_INET &&
	      a.v4.s_addr == htonl(0x0a0a0a0a));
	CHECK(pm_parse_addr("2001:db8::1", &fam, &a) == 0 && fam == AF_INET6 &&
	      a.v6.s6_addr[0] == 0x20 && a.v6.s6_addr[15] == 1);
	CHECK(pm_parse_addr("::ffff:1.2.3.4", &fam, &a) == 0 &&
	      fam == AF_INET6);
	CHECK(pm_parse_addr("1.2.3", &fam, &a) == -1);
	CHECK(pm_parse_addr("1.2.3.256", &fam, &a) == -1);
	CHECK(pm_parse_addr("fe80::1%eth0", &fam, &a) == -1);
	CHECK(pm_parse_addr("host", &fam, &a) == -1);
	CHECK(pm_parse_addr("", &fam, &a) == -1);

	pm_parse_addr("192.0.2.7", &fam, &a);
	CHECK(!strcmp(pm_addr_str(fam, &a, buf, sizeof(buf)), "192.0.2.7"));
	pm_parse_addr("2001:DB8:0::0:1", &fam, &a);
	CHECK(!strcmp(pm_addr_str(fam, &a, buf, sizeof(buf)), "2001:db8::1"));
	CHECK(!strcmp(pm_addr_str(0, &a, buf, sizeof(buf)), "*"));
}

static void test_bool(void)
{
	bool b = false;

	CHECK(pm_parse_bool("on", &b) == 0 && b);
	CHECK(pm_parse_bool("off", &b) == 0 && !b);
	CHECK(pm_parse_bool("yes", &b) == 0 && b);
	CHECK(pm_parse_bool("0", &b) == 0 && !b);
	CHECK(pm_parse_bool("On", &b) == -1);
	CHECK(pm_parse_bool("", &b) == -1);
}

static int key(const char *line, uint16_t *port, int *fam, union pm_addr *a)
{
	char copy[128], *argv[16], *save = NULL, *t;
	int argc = 0;

	snprintf(copy, sizeof(copy), "%s", line);
	for (t = strtok_r(copy, " ", &save); t && argc < 15;
	     t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	argv[argc] = NULL;
	return pm_parse_key(argc, argv, port, fam, a);
}

static void test_key(void)
{
	union pm_addr a;
	uint16_t port;
	int fam;

	CHECK(key("6293", &port, &fam, &a) == 0 && port == 6293 && fam == 0);
	CHECK(key("2121 host 10.0.0.1", &port, &fam, &a) == 0 &&
	      port == 2121 && fam == AF_INET);
	CHECK(key("2121 host ::1", &port, &fam, &a) == 0 && fam == AF_INET6);
	/* Usage errors print to stderr; silence them. */
	CHECK(freopen("/dev/null", "w", stderr) != NULL);
	CHECK(key("", &port, &fam, &a) == PM_EXIT_USAGE);
	CHECK(key("0", &port, &fam, &a) == PM_EXIT_USAGE);
	CHECK(key("21 host", &port, &fam, &a) == PM_EXIT_USAGE);
	CHECK(key("21 host nope", &port, &fam, &a) == PM_EXIT_USAGE);
	CHECK(key("21 hots 1.2.3.4", &port, &fam, &a) == PM_EXIT_USAGE);
	CHECK(key("21 host 1.2.3.4 extra", &port, &fam, &a) == PM_EXIT_USAGE);
}

static void json_is(const char *in, const char *want)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f) {
		failed++;
		return;
	}
	json_str(f, in);
	fclose(f);
	if (!strcmp(out, want)) {
		passed++;
	} else {
		failed++;
		printf("FAIL json_str: got %s want %s\n", out, want);
	}
	free(out);
}

static void test_json(void)
{
	char *out = NULL;
	size_t len = 0;
	bool first = true;
	FILE *f;

	json_is("", "\"\"");
	json_is("0.1.0", "\"0.1.0\"");
	json_is("a\"b", "\"a\\\"b\"");
	json_is("a\\b", "\"a\\\\b\"");
	json_is("l1\nl2\tx\r", "\"l1\\nl2\\tx\\r\"");
	json_is("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"");
	json_is("caf\xc3\xa9", "\"caf\xc3\xa9\"");
	json_is("</script>", "\"</script>\"");

	f = open_memstream(&out, &len);
	if (f) {
		json_key(f, "a", &first);
		fputs("1", f);
		json_key(f, "b", &first);
		fputs("2", f);
		fclose(f);
		CHECK(!strcmp(out, "\"a\":1,\"b\":2"));
		free(out);
	}
}

int main(void)
{
	test_port();
	test_u32();
	test_addr();
	test_bool();
	test_json();
	test_key();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
