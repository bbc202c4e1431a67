// SPDX-License-Identifier: GPL-2.0
/*
 * portmapctl library: the whole configuration of a namespace (settings,
 * mappings, nat-server rules) - read, saved form, parse, apply as one
 * unit, drift.
 *
 * The saved form is the commands that build the configuration, one a
 * line, sorted, with a fixed header:
 *
 *   # portmapctl save (format 1): ftp-portmap configuration of a namespace
 *   config set strict on max-expect 4
 *   map add 2121
 *   map add 6293 host 10.10.10.10
 *   nat-server add tcp global 203.0.113.1 8021 inside 10.10.10.10 6293 ftp
 *
 * It is declarative: restore makes the namespace hold exactly this.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib.h"
#include "parse.h"

#define SAVE_HEADER \
	"# portmapctl save (format 1): ftp-portmap configuration of a namespace\n"

void pm_state_free(struct pm_state *s)
{
	pm_map_list_free(&s->maps);
	pm_ns_list_free(&s->rules);
	memset(s, 0, sizeof(*s));
}

static int rule_qcmp(const void *a, const void *b)
{
	return pm_ns_cmp(a, b);
}

int pm_state_read(struct pm_state *s)
{
	struct pm_config c;
	int err;

	memset(s, 0, sizeof(*s));
	err = pm_config_get(&c);
	if (err)
		return err;
	s->have_config = true;
	s->config.have_strict = s->config.have_max_expect = true;
	s->config.strict = c.strict;
	s->config.max_expect = c.max_expect;
	err = pm_map_dump(&s->maps);
	if (err)
		return err;
	err = pm_nft_read(&s->rules);
	if (err) {
		pm_state_free(s);
		return err;
	}
	if (s->rules.n > 1)
		qsort(s->rules.v, s->rules.n, sizeof(s->rules.v[0]), rule_qcmp);
	return 0;
}

char *pm_state_format(const struct pm_state *s)
{
	char *buf = NULL, key[80], desc[200];
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fputs(SAVE_HEADER, f);
	if (s->have_config)
		fprintf(f, "config set strict %s max-expect %u\n",
			s->config.strict ? "on" : "off",
			(unsigned int)s->config.max_expect);
	for (i = 0; i < s->maps.n; i++) {
		pm_key_describe(&s->maps.v[i].key, key, sizeof(key));
		fprintf(f, "map add %s\n", key);
	}
	for (i = 0; i < s->rules.n; i++) {
		pm_ns_describe(&s->rules.v[i], desc, sizeof(desc));
		fprintf(f, "nat-server add %s\n", desc);
	}
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int map_qcmp(const void *a, const void *b)
{
	return pm_map_cmp(&((const struct pm_mapping *)a)->key,
			  &((const struct pm_mapping *)b)->key);
}

#define MAX_WORDS	32

int pm_state_parse(const char *text, struct pm_state *s)
{
	char *copy = strdup(text), *line, *next, err[256], *argv[MAX_WORDS + 1];
	unsigned long lineno = 0;
	int argc, rc = 0;
	size_t i;

	memset(s, 0, sizeof(*s));
	if (!copy)
		return -ENOMEM;
	for (line = copy; line && !rc; line = next) {
		const char *e = NULL;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		argc = pm_split(line, argv, MAX_WORDS);
		if (argc == 0)
			continue;
		if (argc < 0) {
			pm_lib_set_error(PM_SRC_LIB, "line %lu: too many words",
					 lineno);
			rc = -EINVAL;
			break;
		}
		if (argc >= 2 && !strcmp(argv[0], "config") &&
		    !strcmp(argv[1], "set")) {
			struct pm_config_set c;

			e = pm_parse_config(argc - 2, argv + 2, &c, err,
					    sizeof(err));
			if (!e && s->have_config)
				e = "config given twice";
			if (!e && (!c.have_strict || !c.have_max_expect))
				e = "config set needs both strict and max-expect";
			if (!e) {
				s->config = c;
				s->have_config = true;
			}
		} else if (argc >= 2 && !strcmp(argv[0], "map") &&
			   !strcmp(argv[1], "add")) {
			struct pm_map_key k;

			e = pm_parse_key(argc - 2, argv + 2, &k, true, err,
					 sizeof(err));
			if (!e && pm_map_has(&s->maps, &k))
				e = "mapping given twice";
			if (!e && pm_map_list_push(&s->maps, &k))
				e = strerror(ENOMEM);
		} else if (argc >= 2 && !strcmp(argv[0], "nat-server") &&
			   !strcmp(argv[1], "add")) {
			struct pm_ns_rule r;

			e = pm_parse_rule(argc - 2, argv + 2, &r, err,
					  sizeof(err));
			for (i = 0; !e && i < s->rules.n; i++) {
				if (pm_ns_overlaps(&s->rules.v[i], &r)) {
					char d[200];

					pm_ns_describe(&s->rules.v[i], d,
						       sizeof(d));
					snprintf(err, sizeof(err),
						 "overlaps rule %s", d);
					e = err;
				}
			}
			if (!e && pm_ns_list_push(&s->rules, &r))
				e = strerror(ENOMEM);
		} else {
			e = "expected 'config set', 'map add' or 'nat-server add'";
		}
		if (e) {
			pm_lib_set_error(PM_SRC_LIB, "line %lu: %s", lineno, e);
			rc = -EINVAL;
		}
	}
	free(copy);
	if (rc) {
		pm_state_free(s);
		return rc;
	}
	/* The mappings the ftp rules need go with them. */
	for (i = 0; i < s->rules.n; i++) {
		struct pm_map_key k;

		if (!s->rules.v[i].ftp)
			continue;
		pm_ns_mapping(&s->rules.v[i], &k);
		if (!pm_map_has(&s->maps, &k) && pm_map_list_push(&s->maps, &k)) {
			pm_state_free(s);
			return -ENOMEM;
		}
	}
	if (s->maps.n > 1)
		qsort(s->maps.v, s->maps.n, sizeof(s->maps.v[0]), map_qcmp);
	if (s->rules.n > 1)
		qsort(s->rules.v, s->rules.n, sizeof(s->rules.v[0]), rule_qcmp);
	return 0;
}

void pm_plan_free(struct pm_plan *p)
{
	free(p->ops);
	memset(p, 0, sizeof(*p));
}

static int plan_push(struct pm_plan *p, bool add, const struct pm_map_key *k)
{
	struct pm_map_op *v = realloc(p->ops, (p->nops + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	p->ops = v;
	v[p->nops].add = add;
	v[p->nops].key = *k;
	p->nops++;
	return 0;
}

/* The copies of @r are where they belong (one per chain it goes in). */
static bool copies_ok(const struct pm_ns_rule *r, const struct pm_ns_list *l)
{
	unsigned int pre = 0, out = 0, k;

	for (k = 0; k < r->nhandles; k++) {
		if (r->h[k].out)
			out++;
		else
			pre++;
	}
	if (!l->have_pre || pre != 1)
		return false;
	return r->by_iif ? out == 0 : (l->have_out && out == 1);
}

/* The table holds exactly @want's rules, and nothing else. */
static bool rules_match(const struct pm_ns_list *cur,
			const struct pm_ns_list *want)
{
	size_t i;

	if (!want->n)
		return !cur->table_exists;
	if (!cur->table_exists || cur->n != want->n || cur->foreign_rules ||
	    cur->foreign_objects || !cur->have_pre || !cur->have_out)
		return false;
	for (i = 0; i < cur->n; i++) {
		if (!pm_ns_same(&cur->v[i], &want->v[i]) ||
		    cur->v[i].ftp != want->v[i].ftp ||
		    !copies_ok(&cur->v[i], cur))
			return false;
	}
	return true;
}

static void undo_ops(const struct pm_map_op *ops, size_t n)
{
	while (n--) {
		if (ops[n].add)
			(void)pm_map_del(&ops[n].key);
		else
			(void)pm_map_add(&ops[n].key);
	}
}

int pm_state_apply(const struct pm_state *want, unsigned int flags,
		   struct pm_plan *plan)
{
	struct pm_state cur;
	struct pm_config mod;
	size_t i, done = 0;
	char saved_err[512];
	int err;

	memset(plan, 0, sizeof(*plan));
	err = pm_state_read(&cur);
	if (err)
		return err;
	err = pm_config_get(&mod);
	if (err)
		goto out;

	for (i = 0; i < cur.maps.n && !err; i++)
		if (!pm_map_has(&want->maps, &cur.maps.v[i].key))
			err = plan_push(plan, false, &cur.maps.v[i].key);
	for (i = 0; i < want->maps.n && !err; i++)
		if (!pm_map_has(&cur.maps, &want->maps.v[i].key))
			err = plan_push(plan, true, &want->maps.v[i].key);
	if (err)
		goto out;
	plan->config_change = want->have_config &&
		(want->config.strict != cur.config.strict ||
		 want->config.max_expect != cur.config.max_expect);
	plan->nft_change = !(flags & PM_APPLY_NO_NFT) &&
			   !rules_match(&cur.rules, &want->rules);

	if (want->maps.n > mod.map_max) {
		pm_lib_set_error(PM_SRC_LIB,
				 "%zu mappings, but this namespace holds at most %u (module parameter max_mappings)",
				 want->maps.n, (unsigned int)mod.map_max);
		err = -ENOSPC;
		goto out;
	}
	if (flags & PM_APPLY_CHECK) {
		char *script;

		/*
		 * What the kernel would refuse, checked here since it is not
		 * asked (a real restore lets the kernel say it, and undoes).
		 */
		if (want->have_config && (want->config.max_expect < 1 ||
					  want->config.max_expect > 64)) {
			pm_lib_set_error(PM_SRC_LIB,
					 "max-expect out of range (1..64)");
			err = -ERANGE;
			goto out;
		}

		if (!plan->nft_change)
			goto out;
		script = pm_nft_replace_script(want->rules.v, want->rules.n);
		if (!script) {
			err = -ENOMEM;
			goto out;
		}
		err = pm_nft_check_script(script);
		free(script);
		goto out;
	}

	/* 1. mappings */
	err = pm_map_batch(plan->ops, plan->nops, &done);
	if (err) {
		snprintf(saved_err, sizeof(saved_err), "%s", pm_lib_error());
		undo_ops(plan->ops, done);
		pm_lib_set_error(PM_SRC_NETLINK, "%s", saved_err);
		/* Which one, for the message. */
		if (done < plan->nops) {
			char k[80];

			pm_key_describe(&plan->ops[done].key, k, sizeof(k));
			pm_lib_set_error(PM_SRC_NETLINK, "map %s %s: %s",
					 plan->ops[done].add ? "add" : "del",
					 k, saved_err);
		}
		goto out;
	}
	/* 2. settings */
	if (plan->config_change) {
		err = pm_config_set(&want->config);
		if (err) {
			snprintf(saved_err, sizeof(saved_err), "config set: %s",
				 pm_lib_error());
			undo_ops(plan->ops, plan->nops);
			pm_lib_set_error(PM_SRC_NETLINK, "%s", saved_err);
			goto out;
		}
	}
	/* 3. nftables, one transaction */
	if (plan->nft_change) {
		err = pm_nft_replace(want->rules.v, want->rules.n);
		if (err) {
			snprintf(saved_err, sizeof(saved_err), "%s",
				 pm_lib_error());
			if (plan->config_change)
				(void)pm_config_set(&cur.config);
			undo_ops(plan->ops, plan->nops);
			pm_lib_set_error(PM_SRC_NFT, "%s", saved_err);
			goto out;
		}
	}
out:
	pm_state_free(&cur);
	return err;
}

/* ---- drift -------------------------------------------------------------- */

void pm_drift_free(struct pm_drift *d)
{
	free(d->v);
	memset(d, 0, sizeof(*d));
}

static void drift(struct pm_drift *d, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void drift(struct pm_drift *d, const char *kind, const char *fmt, ...)
{
	struct pm_drift_item *v;
	va_list ap;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;

		v = realloc(d->v, cap * sizeof(*v));
		if (!v)
			return;
		d->v = v;
		d->cap = cap;
	}
	v = &d->v[d->n++];
	v->kind = kind;
	va_start(ap, fmt);
	vsnprintf(v->what, sizeof(v->what), fmt, ap);
	va_end(ap);
}

const struct pm_ns_rule *pm_rule_needing(const struct pm_ns_list *rules,
					 const struct pm_map_key *k,
					 const struct pm_map_list *maps)
{
	size_t i;

	for (i = 0; i < rules->n; i++) {
		const struct pm_ns_rule *r = &rules->v[i];
		struct pm_map_key need;

		if (!r->ftp)
			continue;
		pm_ns_mapping(r, &need);
		if (!pm_map_cmp(&need, k))
			return r;
		/* A wildcard mapping stands in for a missing host one. */
		if (!k->family && k->port == need.port &&
		    !pm_map_has(maps, &need))
			return r;
	}
	return NULL;
}

/* Is @a one of @ifname's addresses right now? */
static bool iface_has(const char *ifname, int family, const union pm_addr *a)
{
	struct ifaddrs *ifa, *p;
	bool found = false;

	if (getifaddrs(&ifa))
		return false;
	for (p = ifa; p && !found; p = p->ifa_next) {
		if (!p->ifa_addr || p->ifa_addr->sa_family != family ||
		    strcmp(p->ifa_name, ifname))
			continue;
		if (family == AF_INET)
			found = !memcmp(&((struct sockaddr_in *)(void *)p->ifa_addr)->sin_addr,
					&a->v4, 4);
		else
			found = !memcmp(&((struct sockaddr_in6 *)(void *)p->ifa_addr)->sin6_addr,
					&a->v6, 16);
	}
	freeifaddrs(ifa);
	return found;
}

static bool is_wildcard(const struct pm_ns_rule *r)
{
	return !r->by_iif &&
	       pm_addr_unusable(r->family, &r->global) &&
	       !strcmp(pm_addr_unusable(r->family, &r->global), "unspecified");
}

/* a and b catch the same packets for some port (a shadows b or back). */
static bool shadows(const struct pm_ns_rule *a, const struct pm_ns_rule *b)
{
	if (a->proto != b->proto || a->family != b->family ||
	    a->glo > b->ghi || b->glo > a->ghi)
		return false;
	if (is_wildcard(a) || is_wildcard(b))
		return true;
	if (a->by_iif && b->by_iif)
		return !strcmp(a->iif, b->iif);
	if (!a->by_iif && !b->by_iif)
		return !memcmp(&a->global, &b->global, pm_addr_len(a->family));
	if (a->by_iif)
		return iface_has(a->iif, b->family, &b->global);
	return iface_has(b->iif, a->family, &a->global);
}

size_t pm_state_drift(struct pm_state *cur, const struct pm_state *want,
		      struct pm_drift *d)
{
	struct pm_ns_list *l = &cur->rules;
	char desc[200], desc2[200], key[80];
	size_t i, j;

	memset(d, 0, sizeof(*d));
	if (l->table_exists && (!l->have_pre || !l->have_out))
		drift(d, "partial", "table inet " PM_NFT_TABLE ": base chain %s is missing",
		      !l->have_pre ? PM_NFT_CH_PRE : PM_NFT_CH_OUT);
	if (l->foreign_rules || l->foreign_objects)
		drift(d, "foreign",
		      "table inet " PM_NFT_TABLE " holds %u rule(s) and %u other object(s) not written by portmapctl (e.g. %s)",
		      l->foreign_rules, l->foreign_objects, l->foreign_first);
	for (i = 0; i < l->n; i++) {
		struct pm_ns_rule *r = &l->v[i];

		pm_ns_describe(r, desc, sizeof(desc));
		if (r->ftp) {
			struct pm_map_key k, any;

			pm_ns_mapping(r, &k);
			any = k;
			any.family = 0;
			memset(&any.host, 0, sizeof(any.host));
			if (!pm_map_has(&cur->maps, &k) &&
			    !pm_map_has(&cur->maps, &any)) {
				r->drift |= PM_DRIFT_NO_MAPPING;
				pm_key_describe(&k, key, sizeof(key));
				drift(d, "no-mapping",
				      "nat-server %s: its mapping %s is missing",
				      desc, key);
			}
		}
		if (!copies_ok(r, l)) {
			r->drift |= PM_DRIFT_PARTIAL;
			drift(d, "partial",
			      "nat-server %s: partly deleted (%u of %u nft rules left)",
			      desc, r->nhandles, r->by_iif ? 1u : 2u);
		}
		if (r->by_iif && !if_nametoindex(r->iif)) {
			r->drift |= PM_DRIFT_INACTIVE;
			drift(d, "inactive",
			      "nat-server %s: interface %s does not exist (inactive)",
			      desc, r->iif);
		}
		for (j = i + 1; j < l->n; j++) {
			if (!shadows(r, &l->v[j]))
				continue;
			r->drift |= PM_DRIFT_SHADOWED;
			l->v[j].drift |= PM_DRIFT_SHADOWED;
			pm_ns_describe(&l->v[j], desc2, sizeof(desc2));
			drift(d, "overlap",
			      "nat-server %s and %s catch the same packets: one shadows the other",
			      desc, desc2);
		}
	}
	if (!want)
		return d->n;

	/* Against a saved configuration. */
	if (want->have_config &&
	    (want->config.strict != cur->config.strict ||
	     want->config.max_expect != cur->config.max_expect))
		drift(d, "config", "settings differ: saved strict %s max-expect %u, now strict %s max-expect %u",
		      want->config.strict ? "on" : "off",
		      (unsigned int)want->config.max_expect,
		      cur->config.strict ? "on" : "off",
		      (unsigned int)cur->config.max_expect);
	for (i = 0; i < want->maps.n; i++) {
		if (pm_map_has(&cur->maps, &want->maps.v[i].key))
			continue;
		pm_key_describe(&want->maps.v[i].key, key, sizeof(key));
		drift(d, "missing", "mapping %s is saved but missing", key);
	}
	for (i = 0; i < cur->maps.n; i++) {
		if (pm_map_has(&want->maps, &cur->maps.v[i].key))
			continue;
		pm_key_describe(&cur->maps.v[i].key, key, sizeof(key));
		drift(d, "extra", "mapping %s is not in the saved configuration",
		      key);
	}
	for (i = 0; i < want->rules.n; i++) {
		bool found = false;

		for (j = 0; j < l->n && !found; j++)
			found = pm_ns_same(&l->v[j], &want->rules.v[i]) &&
				l->v[j].ftp == want->rules.v[i].ftp;
		if (found)
			continue;
		pm_ns_describe(&want->rules.v[i], desc, sizeof(desc));
		drift(d, "missing", "nat-server %s is saved but gone from nftables",
		      desc);
	}
	for (j = 0; j < l->n; j++) {
		bool found = false;

		for (i = 0; i < want->rules.n && !found; i++)
			found = pm_ns_same(&l->v[j], &want->rules.v[i]) &&
				l->v[j].ftp == want->rules.v[i].ftp;
		if (found)
			continue;
		pm_ns_describe(&l->v[j], desc, sizeof(desc));
		drift(d, "extra", "nat-server %s is not in the saved configuration",
		      desc);
	}
	return d->n;
}
