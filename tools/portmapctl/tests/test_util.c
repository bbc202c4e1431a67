// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of portmapctl's parsing layer (no kernel needed): ports,
 * numbers, addresses and their usability, mapping keys, nat-server rule
 * words and their nft comments, settings, the saved-file format (parse,
 * format, round trip, errors), drift of a state built in memory, and the
 * decoder of the module's CTA_HELP_INFO payload.
 * Prints "N passed, N failed"; exits 1 when anything failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>

#include "../lib.h"
#include "../parse.h"

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
	CHECK(pm_parse_port("6293", &p) == 0 && p == 6293);
	CHECK(pm_parse_port("65535", &p) == 0 && p == 65535);
	CHECK(pm_parse_port("00021", &p) == 0 && p == 21);
	for (i = 0; bad[i]; i++) {
		p = 7;
		CHECK(pm_parse_port(bad[i], &p) == -1 && p == 7);
	}
}

static void test_u32_bool(void)
{
	uint32_t v = 0;
	bool b = false;

	CHECK(pm_parse_u32("0", &v) == 0 && v == 0);
	CHECK(pm_parse_u32("4294967295", &v) == 0 && v == 4294967295u);
	CHECK(pm_parse_u32("4294967296", &v) == -1);
	CHECK(pm_parse_u32("-1", &v) == -1);
	CHECK(pm_parse_bool("on", &b) == 0 && b);
	CHECK(pm_parse_bool("off", &b) == 0 && !b);
	CHECK(pm_parse_bool("On", &b) == -1);
}

static const char *why(const char *s)
{
	static union pm_addr a;
	int fam;

	if (pm_parse_addr(s, &fam, &a))
		return "parse error";
	return pm_addr_unusable(fam, &a);
}

static void test_addr(void)
{
	union pm_addr a;
	char buf[INET6_ADDRSTRLEN];
	int fam = -1;

	CHECK(pm_parse_addr("10.10.10.10", &fam, &a) == 0 && fam == AF_INET);
	CHECK(pm_parse_addr("2001:db8::1", &fam, &a) == 0 && fam == AF_INET6);
	CHECK(pm_parse_addr("fe80::1%eth0", &fam, &a) == -1);
	CHECK(pm_parse_addr("1.2.3", &fam, &a) == -1);
	pm_parse_addr("2001:DB8:0::0:1", &fam, &a);
	CHECK(!strcmp(pm_addr_str(fam, &a, buf, sizeof(buf)), "2001:db8::1"));
	CHECK(!strcmp(pm_addr_str(0, &a, buf, sizeof(buf)), "*"));

	CHECK(why("10.10.10.10") == NULL);
	CHECK(why("203.0.113.1") == NULL);
	CHECK(why("2001:db8::1") == NULL);
	CHECK(why("fd00:10::10") == NULL);
	CHECK(!strcmp(why("224.0.0.1"), "multicast"));
	CHECK(!strcmp(why("239.255.255.255"), "multicast"));
	CHECK(!strcmp(why("ff02::1"), "multicast"));
	CHECK(!strcmp(why("127.0.0.1"), "loopback"));
	CHECK(!strcmp(why("127.3.2.1"), "loopback"));
	CHECK(!strcmp(why("::1"), "loopback"));
	CHECK(!strcmp(why("0.0.0.0"), "unspecified"));
	CHECK(!strcmp(why("::"), "unspecified"));
	CHECK(!strcmp(why("255.255.255.255"), "broadcast"));
	CHECK(!strcmp(why("::ffff:10.1.2.3"), "IPv4-mapped IPv6"));
	CHECK(!strcmp(why("169.254.1.1"), "link-local"));
	CHECK(!strcmp(why("fe80::1"), "link-local"));
	CHECK(why("223.255.255.255") == NULL);
	CHECK(why("240.0.0.1") == NULL);
}

/* Split a copy of @line and run @fn on the words. */
#define WORDS(line, argc, argv)						\
	char copy_[256], *argv[40];					\
	int argc;							\
	snprintf(copy_, sizeof(copy_), "%s", line);			\
	argc = pm_split(copy_, argv, 39)

static const char *key(const char *line, bool add, struct pm_map_key *k)
{
	static char err[256];
	WORDS(line, argc, argv);
	return pm_parse_key(argc, argv, k, add, err, sizeof(err));
}

static void test_key(void)
{
	struct pm_map_key k;
	char d[80];

	CHECK(key("6293", true, &k) == NULL && k.port == 6293 && !k.family);
	CHECK(key("2121 host 10.0.0.1", true, &k) == NULL &&
	      k.family == AF_INET);
	CHECK(key("2121 server 2001:db8::1", true, &k) == NULL &&
	      k.family == AF_INET6);
	pm_key_describe(&k, d, sizeof(d));
	CHECK(!strcmp(d, "2121 host 2001:db8::1"));
	CHECK(strstr(key("", true, &k), "missing PORT"));
	CHECK(strstr(key("0", true, &k), "invalid port"));
	CHECK(strstr(key("21 host", true, &k), "needs an address"));
	CHECK(strstr(key("21 hots 1.2.3.4", true, &k), "unexpected"));
	CHECK(strstr(key("21 host 1.2.3.4 x", true, &k), "unexpected"));
	CHECK(strstr(key("21 host 224.0.0.5", true, &k), "multicast"));
	CHECK(strstr(key("21 host ::ffff:1.2.3.4", true, &k), "IPv4-mapped"));
	CHECK(strstr(key("21 host fe80::1", true, &k), "link-local"));
	/* del/show take them, to remove what an old module let in */
	CHECK(key("21 host ::ffff:1.2.3.4", false, &k) == NULL);
}

static const char *rule(const char *line, struct pm_ns_rule *r)
{
	static char err[256];
	WORDS(line, argc, argv);
	return pm_parse_rule(argc, argv, r, err, sizeof(err));
}

static void test_rule(void)
{
	struct pm_ns_rule r, back;
	char c[256], d[200];

	CHECK(rule("tcp global 203.0.113.1 8021 inside 10.10.10.10 6293 ftp",
		   &r) == NULL && r.ftp && r.glo == 8021 && r.ilo == 6293);
	CHECK(pm_ns_comment(&r, c, sizeof(c)) == 0 &&
	      !strcmp(c, "fpm tcp g=203.0.113.1 8021-8021 i=10.10.10.10 6293-6293 ftp"));
	CHECK(pm_ns_parse_comment(c, &back) == 0 && pm_ns_same(&r, &back) &&
	      back.ftp);
	pm_ns_describe(&r, d, sizeof(d));
	CHECK(!strcmp(d, "tcp global 203.0.113.1 8021 inside 10.10.10.10 6293 ftp"));
	CHECK(rule("udp iif ppp0 30000-30009 inside fd00::10 40000-40009", &r)
	      == NULL && r.by_iif && r.family == AF_INET6 && r.ihi == 40009);
	pm_ns_describe(&r, d, sizeof(d));
	CHECK(!strcmp(d, "udp iif ppp0 30000-30009 inside fd00::10 40000-40009"));
	CHECK(rule("tcp global iif ppp0 1 inside 10.0.0.1 1", &r) == NULL &&
	      r.by_iif);
	CHECK(strstr(rule("tcp global 203.0.113.1 1-2 inside 10.0.0.1 1", &r),
		     "differ in length"));
	CHECK(strstr(rule("tcp global 203.0.113.1 1 inside fd00::1 1", &r),
		     "one family"));
	CHECK(strstr(rule("udp global 203.0.113.1 1 inside 10.0.0.1 1 ftp", &r),
		     "needs protocol tcp"));
	CHECK(strstr(rule("tcp global 203.0.113.1 1-2 inside 10.0.0.1 1-2 ftp",
			  &r), "single port"));
	CHECK(strstr(rule("tcp global 0.0.0.0 21 inside 10.0.0.1 21", &r),
		     "unspecified"));
	CHECK(strstr(rule("tcp global 203.0.113.1 21 inside 127.0.0.1 21", &r),
		     "loopback"));
	CHECK(strstr(rule("tcp global ff02::1 21 inside fd00::1 21", &r),
		     "multicast"));
	CHECK(strstr(rule("tcp iif x 21 inside ::ffff:10.0.0.1 21", &r),
		     "IPv4-mapped"));
	CHECK(strstr(rule("tcp iif 'a\"b' 21 inside 10.0.0.1 21", &r),
		     "interface name"));
	CHECK(strstr(rule("sctp global 203.0.113.1 1 inside 10.0.0.1 1", &r),
		     "protocol"));
	CHECK(strstr(rule("tcp global 203.0.113.1 9-1 inside 10.0.0.1 1-9", &r),
		     "backwards"));
	CHECK(pm_ns_parse_comment("fpm tcp g=1.2.3.4 1-2 i=10.0.0.1 1-3", &r)
	      == -1);
	CHECK(pm_ns_parse_comment("hello", &r) == -1);
}

static void test_config(void)
{
	struct pm_config_set c;
	char err[256];
	char a0[] = "strict", a1[] = "off", a2[] = "max-expect", a3[] = "9";
	char *argv[] = { a0, a1, a2, a3, NULL };

	CHECK(pm_parse_config(4, argv, &c, err, sizeof(err)) == NULL &&
	      c.have_strict && !c.strict && c.max_expect == 9);
	CHECK(pm_parse_config(0, argv, &c, err, sizeof(err)) != NULL);
	CHECK(pm_parse_config(1, argv, &c, err, sizeof(err)) != NULL);
}

static const char saved[] =
"# portmapctl save (format 1): ftp-portmap configuration of a namespace\n"
"config set strict on max-expect 4\n"
"map add 2121\n"
"map add 6293 host 10.10.10.10\n"
"map add 6293 host 2001:db8::10\n"
"nat-server add tcp global 203.0.113.1 8021 inside 10.10.10.10 6293 ftp\n"
"nat-server add tcp global 203.0.113.1 30000-30009 inside 10.10.10.10 30000-30009\n"
"nat-server add udp iif ppp0 53 inside 10.10.10.53 53\n";

static void test_saved(void)
{
	struct pm_state s, t;
	char *out;

	CHECK(pm_state_parse(saved, &s) == 0);
	CHECK(s.have_config && s.config.strict && s.config.max_expect == 4);
	CHECK(s.maps.n == 3 && s.rules.n == 3);
	out = pm_state_format(&s);
	CHECK(out && !strcmp(out, saved));	/* round trip, byte for byte */
	free(out);
	pm_state_free(&s);

	/* Order does not matter; the ftp rule's mapping is implied. */
	CHECK(pm_state_parse("nat-server add tcp global 203.0.113.1 21 inside 10.0.0.1 21 ftp\n"
			     "  # comment\n\nmap add 9\n", &t) == 0);
	CHECK(t.maps.n == 2 && t.maps.v[0].key.port == 9 &&
	      t.maps.v[1].key.port == 21 && t.maps.v[1].key.family == AF_INET);
	CHECK(!t.have_config);
	out = pm_state_format(&t);
	CHECK(out && strstr(out, "map add 21 host 10.0.0.1\n") &&
	      strstr(out, "map add 9\nmap add 21"));
	free(out);
	pm_state_free(&t);

	CHECK(pm_state_parse("map add 1\nmap add 1\n", &t) == -EINVAL &&
	      strstr(pm_lib_error(), "line 2") &&
	      strstr(pm_lib_error(), "twice"));
	CHECK(pm_state_parse("map add 1 host 127.0.0.1\n", &t) == -EINVAL &&
	      strstr(pm_lib_error(), "line 1: host address 127.0.0.1 is loopback"));
	CHECK(pm_state_parse("map del 1\n", &t) == -EINVAL &&
	      strstr(pm_lib_error(), "expected"));
	CHECK(pm_state_parse("config set strict on\n", &t) == -EINVAL &&
	      strstr(pm_lib_error(), "both"));
	CHECK(pm_state_parse("nat-server add tcp global 203.0.113.1 1-5 inside 10.0.0.1 1-5\n"
			     "nat-server add tcp global 203.0.113.1 5 inside 10.0.0.2 5\n",
			     &t) == -EINVAL &&
	      strstr(pm_lib_error(), "line 2: overlaps"));
	CHECK(pm_state_parse("", &t) == 0 && !t.maps.n && !t.rules.n);
	pm_state_free(&t);
}

static void test_drift(void)
{
	struct pm_state s, want;
	struct pm_drift d;
	size_t n;

	CHECK(pm_state_parse(saved, &s) == 0);
	/* As if read back: the table there, our chains, each copy once. */
	s.rules.table_exists = s.rules.have_pre = s.rules.have_out = true;
	for (size_t i = 0; i < s.rules.n; i++) {
		struct pm_ns_rule *r = &s.rules.v[i];

		r->nhandles = r->by_iif ? 1 : 2;
		r->h[0].out = false;
		r->h[1].out = true;
	}
	CHECK(pm_state_parse(saved, &want) == 0);
	n = pm_state_drift(&s, &want, &d);
	/* ppp0 does not exist here: the iif rule is inactive, nothing else. */
	CHECK(n == 1 && !strcmp(d.v[0].kind, "inactive"));
	pm_drift_free(&d);

	/* The ftp rule's mapping goes, a copy goes, a hand-added rule. */
	s.maps.v[1] = s.maps.v[--s.maps.n];	/* 6293 host 10.10.10.10 */
	s.rules.v[1].nhandles = 1;		/* 30000-30009: one copy */
	s.rules.foreign_rules = 1;
	snprintf(s.rules.foreign_first, sizeof(s.rules.foreign_first),
		 "rule handle 9 in chain nat_prerouting");
	n = pm_state_drift(&s, &want, &d);
	CHECK(n >= 5);
	{
		bool nomap = false, partial = false, foreign = false,
		     missing = false;

		for (size_t i = 0; i < d.n; i++) {
			nomap |= !strcmp(d.v[i].kind, "no-mapping");
			partial |= !strcmp(d.v[i].kind, "partial");
			foreign |= !strcmp(d.v[i].kind, "foreign");
			missing |= !strcmp(d.v[i].kind, "missing");
		}
		CHECK(nomap && partial && foreign && missing);
	}
	pm_drift_free(&d);
	pm_state_free(&s);
	pm_state_free(&want);

	/* A wildcard global address shadows everything on its ports. */
	CHECK(pm_state_parse("nat-server add tcp global 203.0.113.1 21 inside 10.0.0.1 21\n",
			     &s) == 0);
	{
		struct pm_ns_rule w = s.rules.v[0];

		memset(&w.global, 0, sizeof(w.global));
		w.ilo = w.ihi = 2121;
		w.glo = w.ghi = 21;
		pm_ns_list_push(&s.rules, &w);
	}
	s.rules.table_exists = s.rules.have_pre = s.rules.have_out = true;
	for (size_t i = 0; i < s.rules.n; i++) {
		s.rules.v[i].nhandles = 2;
		s.rules.v[i].h[1].out = true;
	}
	n = pm_state_drift(&s, NULL, &d);
	CHECK(n == 1 && !strcmp(d.v[0].kind, "overlap") &&
	      (s.rules.v[0].drift & PM_DRIFT_SHADOWED));
	pm_drift_free(&d);
	pm_state_free(&s);
}

static void test_conn_info(void)
{
	char buf[256];
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct pm_ct_conn c;
	struct in_addr host = { .s_addr = htonl(0x0a0a0a0a) };
	size_t off = MNL_NLMSG_HDRLEN;

	memset(buf, 0, sizeof(buf));
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN;
	mnl_attr_put_u32(nlh, FPM_CI_FLAGS, FPM_CIF_NAT | FPM_CIF_WAS_TLS);
	mnl_attr_put_u16(nlh, FPM_CI_PORT, 6293);
	mnl_attr_put_u8(nlh, FPM_CI_FAMILY, AF_INET);
	mnl_attr_put(nlh, FPM_CI_HOST4, 4, &host);
	mnl_attr_put_u32(nlh, FPM_CI_LINES, 12);
	mnl_attr_put_u32(nlh, FPM_CI_REWRITES, 3);
	mnl_attr_put_u32(nlh, FPM_CI_EXPECTS, 4);
	mnl_attr_put_u32(nlh, FPM_CI_PENDING, 1);
	mnl_attr_put_u32(nlh, 200, 7);		/* a newer module's: skipped */
	memset(&c, 0, sizeof(c));
	CHECK(pm_ct_parse_info(buf + off, nlh->nlmsg_len - off, &c) == 0);
	CHECK(c.has_info && c.has_mapping && c.mapping.port == 6293 &&
	      c.mapping.family == AF_INET &&
	      c.mapping.host.v4.s_addr == host.s_addr);
	CHECK(c.flags == (FPM_CIF_NAT | FPM_CIF_WAS_TLS));
	CHECK(c.has_counters && c.lines == 12 && c.rewrites == 3 &&
	      c.expects == 4 && c.pending == 1);

	/* Before any payload: flags only. */
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN;
	mnl_attr_put_u32(nlh, FPM_CI_FLAGS, FPM_CIF_NOSTATE);
	memset(&c, 0, sizeof(c));
	CHECK(pm_ct_parse_info(buf + off, nlh->nlmsg_len - off, &c) == 0 &&
	      !c.has_counters && !c.has_mapping &&
	      c.flags == FPM_CIF_NOSTATE);

	/* A wrongly sized attribute is refused. */
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN;
	mnl_attr_put_u16(nlh, FPM_CI_LINES, 1);
	memset(&c, 0, sizeof(c));
	CHECK(pm_ct_parse_info(buf + off, nlh->nlmsg_len - off, &c) != 0);
}

int main(void)
{
	test_port();
	test_u32_bool();
	test_addr();
	test_key();
	test_rule();
	test_config();
	test_saved();
	test_drift();
	test_conn_info();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
