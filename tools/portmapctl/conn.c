// SPDX-License-Identifier: GPL-2.0
/*
 * portmapctl conn list: the connections the ALG follows, and their
 * pending data-connection expectations.
 */
#include <inttypes.h>
#include <string.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include "portmapctl.h"

const char conn_usage[] =
"Usage: portmapctl [-j [-p]] conn list\n"
"The control connections the helper ftp-portmap is attached to in this\n"
"network namespace: both tuples, NAT, the mapping that matched, clear or\n"
"encrypted, lines parsed, rewrites, and the pending expectations of\n"
"their data connections.\n";

static const char *tcp_state(uint8_t s)
{
	static const char *const names[] = {
		"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT",
		"CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2",
	};

	return s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

static const char *nat_word(uint32_t status)
{
	bool s = status & IPS_SRC_NAT, d = status & IPS_DST_NAT;

	return s && d ? "snat+dnat" : s ? "snat" : d ? "dnat" : NULL;
}

static json_t *tuple_json(const struct pm_ct_tuple *t)
{
	json_t *o = json_object();

	json_object_set_new(o, "src", pm_json_addr(t->family, &t->src));
	json_object_set_new(o, "sport", json_integer(t->sport));
	json_object_set_new(o, "dst", pm_json_addr(t->family, &t->dst));
	json_object_set_new(o, "dport", json_integer(t->dport));
	return o;
}

static json_t *u32_or_null(bool have, uint32_t v)
{
	return have ? json_integer(v) : json_null();
}

static json_t *conn_json(const struct pm_ct_conn *c)
{
	json_t *o = json_object(), *m, *a;
	const char *nat = nat_word(c->status);
	bool cnt = c->has_info && c->has_counters;
	size_t i;

	json_object_set_new(o, "id", json_integer(c->id));
	json_object_set_new(o, "proto", json_string("tcp"));
	json_object_set_new(o, "state", json_string(tcp_state(c->tcp_state)));
	json_object_set_new(o, "timeout", json_integer(c->timeout));
	json_object_set_new(o, "orig", tuple_json(&c->orig));
	json_object_set_new(o, "reply", tuple_json(&c->reply));
	json_object_set_new(o, "nat", nat ? json_string(nat) : json_null());
	json_object_set_new(o, "info", json_boolean(c->has_info));
	if (c->has_info && c->has_mapping) {
		m = json_object();
		json_object_set_new(m, "port", json_integer(c->mapping.port));
		json_object_set_new(m, "host", pm_json_addr(c->mapping.family,
							     &c->mapping.host));
		json_object_set_new(o, "mapping", m);
	} else {
		json_object_set_new(o, "mapping", json_null());
	}
	if (c->has_info) {
		json_object_set_new(o, "encrypted",
				    json_boolean(c->flags & FPM_CIF_TLS));
		json_object_set_new(o, "was_encrypted",
				    json_boolean(c->flags & FPM_CIF_WAS_TLS));
		json_object_set_new(o, "unpaired",
				    json_boolean(c->flags & FPM_CIF_UNPAIRED));
		json_object_set_new(o, "nat_rewrites",
				    json_boolean(c->flags & FPM_CIF_NAT));
	} else {
		json_object_set_new(o, "encrypted", json_null());
		json_object_set_new(o, "was_encrypted", json_null());
		json_object_set_new(o, "unpaired", json_null());
		json_object_set_new(o, "nat_rewrites", json_null());
	}
	json_object_set_new(o, "lines", u32_or_null(cnt, c->lines));
	json_object_set_new(o, "rewrites", u32_or_null(cnt, c->rewrites));
	json_object_set_new(o, "expects", u32_or_null(cnt, c->expects));
	json_object_set_new(o, "pending", u32_or_null(cnt, c->pending));
	a = json_array();
	for (i = 0; i < c->nexp; i++) {
		const struct pm_ct_expect *e = &c->exp[i];
		json_t *x = tuple_json(&e->tuple);

		json_object_set_new(x, "timeout", json_integer(e->timeout));
		json_object_set_new(x, "nat", json_boolean(e->nat));
		json_array_append_new(a, x);
	}
	json_object_set_new(o, "expectations", a);
	return o;
}

static void tuple_text(const struct pm_ct_tuple *t, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	bool v6 = t->family == AF_INET6;

	snprintf(buf, len, "%s%s%s:%u -> %s%s%s:%u", v6 ? "[" : "",
		 pm_addr_str(t->family, &t->src, s, sizeof(s)), v6 ? "]" : "",
		 t->sport, v6 ? "[" : "",
		 pm_addr_str(t->family, &t->dst, d, sizeof(d)), v6 ? "]" : "",
		 t->dport);
}

static void conn_text(const struct pm_ct_conn *c)
{
	char o[128], r[128], key[80];
	const char *nat = nat_word(c->status);
	size_t i;

	tuple_text(&c->orig, o, sizeof(o));
	tuple_text(&c->reply, r, sizeof(r));
	printf("tcp %s %s  reply %s  %s  %us\n", tcp_state(c->tcp_state), o,
	       r, nat ? nat : "no-nat", c->timeout);
	if (!c->has_info) {
		puts("    (no details: the module does not export them)");
	} else {
		if (c->has_mapping)
			pm_key_describe(&c->mapping, key, sizeof(key));
		else
			snprintf(key, sizeof(key), "none (ct helper rule)");
		printf("    mapping %s  %s%s%s", key,
		       c->flags & FPM_CIF_TLS ? "encrypted" : "clear",
		       c->flags & FPM_CIF_WAS_TLS ? " (was encrypted)" : "",
		       c->flags & FPM_CIF_UNPAIRED ? " unpaired" : "");
		if (c->has_counters)
			printf("  lines %u  rewrites %u  expects %u  pending %u",
			       c->lines, c->rewrites, c->expects, c->pending);
		putchar('\n');
	}
	for (i = 0; i < c->nexp; i++) {
		tuple_text(&c->exp[i].tuple, o, sizeof(o));
		printf("    expect %s%s  %us\n", o, c->exp[i].nat ? " (nat)" : "",
		       c->exp[i].timeout);
	}
}

static int conn_list(int argc, char **argv)
{
	struct pm_ct_list l;
	json_t *a;
	size_t i;

	if (argc > 0)
		return pm_usage_err("conn list: unexpected argument '%s'",
				    argv[0]);
	if (pm_ct_dump(&l))
		return pm_fail("conn list");
	if (l.without_info)
		pm_err("conn list: note: %u connection(s) without per-connection details: the loaded module does not export them (CTA_HELP_INFO)",
		       l.without_info);
	if (pm_json) {
		a = json_array();
		for (i = 0; i < l.n; i++)
			json_array_append_new(a, conn_json(&l.v[i]));
		pm_json_print(a);
	} else {
		for (i = 0; i < l.n; i++)
			conn_text(&l.v[i]);
	}
	pm_ct_list_free(&l);
	return PM_EXIT_OK;
}

int do_conn(int argc, char **argv)
{
	static const char *const list[] = { "list", "ls", "show", NULL };

	if (argc < 1 || pm_matches(argv[0], list))
		return conn_list(argc < 1 ? 0 : argc - 1, argv + 1);
	if (pm_is_help(argv[0])) {
		fputs(conn_usage, stdout);
		return PM_EXIT_OK;
	}
	return pm_usage_err("conn: unknown command '%s'", argv[0]);
}
