// SPDX-License-Identifier: GPL-2.0
/*
 * portmapctl library: the connections the helper "ftp-portmap" is
 * attached to, and their pending expectations, from ctnetlink.
 *
 * Conntracks and expectations are dumped over a libmnl socket and
 * decoded with libnetfilter_conntrack (nfct_nlmsg_parse,
 * nfexp_nlmsg_parse).  The module's own per-connection information is
 * the payload of CTA_HELP_INFO (a run of FPM_CI_* attributes, see the
 * uapi header); libnetfilter_conntrack hands it out as ATTR_HELPER_INFO
 * but without its length, so the payload is taken from the message with
 * libmnl, where the attribute header says how long it is.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "lib.h"

void pm_ct_list_free(struct pm_ct_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].exp);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int info_attr_cb(const struct nlattr *a, void *data)
{
	struct pm_ct_conn *c = data;
	uint16_t type = mnl_attr_get_type(a);

	switch (type) {
	case FPM_CI_FLAGS:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		c->flags = mnl_attr_get_u32(a);
		break;
	case FPM_CI_PORT:
		if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
			return MNL_CB_ERROR;
		c->mapping.port = mnl_attr_get_u16(a);
		c->has_mapping = true;
		break;
	case FPM_CI_FAMILY:
		if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
			return MNL_CB_ERROR;
		c->mapping.family = mnl_attr_get_u8(a);
		break;
	case FPM_CI_HOST4:
		if (mnl_attr_validate2(a, MNL_TYPE_BINARY, 4) < 0)
			return MNL_CB_ERROR;
		memcpy(&c->mapping.host.v4, mnl_attr_get_payload(a), 4);
		break;
	case FPM_CI_HOST6:
		if (mnl_attr_validate2(a, MNL_TYPE_BINARY, 16) < 0)
			return MNL_CB_ERROR;
		memcpy(&c->mapping.host.v6, mnl_attr_get_payload(a), 16);
		break;
	case FPM_CI_LINES:
	case FPM_CI_REWRITES:
	case FPM_CI_EXPECTS:
	case FPM_CI_PENDING:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		c->has_counters = true;
		if (type == FPM_CI_LINES)
			c->lines = mnl_attr_get_u32(a);
		else if (type == FPM_CI_REWRITES)
			c->rewrites = mnl_attr_get_u32(a);
		else if (type == FPM_CI_EXPECTS)
			c->expects = mnl_attr_get_u32(a);
		else
			c->pending = mnl_attr_get_u32(a);
		break;
	default:
		break;		/* newer module: skip */
	}
	return MNL_CB_OK;
}

int pm_ct_parse_info(const void *buf, size_t len, struct pm_ct_conn *c)
{
	c->has_info = true;
	if (mnl_attr_parse_payload(buf, len, info_attr_cb, c) < 0)
		return -EPROTO;
	if (c->mapping.family && c->mapping.family != AF_INET &&
	    c->mapping.family != AF_INET6)
		return -EPROTO;
	return 0;
}

static int top_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_get_type(a) == CTA_HELP)
		tb[0] = a;
	return MNL_CB_OK;
}

static int help_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_get_type(a) == CTA_HELP_INFO)
		tb[0] = a;
	return MNL_CB_OK;
}

/* CTA_HELP_INFO of a conntrack message, or NULL. */
static const struct nlattr *help_info(const struct nlmsghdr *nlh)
{
	const struct nlattr *help = NULL, *info = NULL;

	mnl_attr_parse(nlh, sizeof(struct nfgenmsg), top_cb, &help);
	if (!help || mnl_attr_validate(help, MNL_TYPE_NESTED) < 0)
		return NULL;
	mnl_attr_parse_nested(help, help_cb, &info);
	return info;
}

static void get_tuple(const struct nf_conntrack *ct, bool reply,
		      struct pm_ct_tuple *t)
{
	uint8_t l3 = nfct_get_attr_u8(ct, reply ? ATTR_REPL_L3PROTO :
				      ATTR_ORIG_L3PROTO);

	memset(t, 0, sizeof(*t));
	t->family = l3;
	if (l3 == AF_INET) {
		t->src.v4.s_addr = nfct_get_attr_u32(ct, reply ?
			ATTR_REPL_IPV4_SRC : ATTR_ORIG_IPV4_SRC);
		t->dst.v4.s_addr = nfct_get_attr_u32(ct, reply ?
			ATTR_REPL_IPV4_DST : ATTR_ORIG_IPV4_DST);
	} else if (l3 == AF_INET6) {
		const void *p;

		p = nfct_get_attr(ct, reply ? ATTR_REPL_IPV6_SRC :
				  ATTR_ORIG_IPV6_SRC);
		if (p)
			memcpy(&t->src.v6, p, 16);
		p = nfct_get_attr(ct, reply ? ATTR_REPL_IPV6_DST :
				  ATTR_ORIG_IPV6_DST);
		if (p)
			memcpy(&t->dst.v6, p, 16);
	}
	t->sport = ntohs(nfct_get_attr_u16(ct, reply ? ATTR_REPL_PORT_SRC :
					   ATTR_ORIG_PORT_SRC));
	t->dport = ntohs(nfct_get_attr_u16(ct, reply ? ATTR_REPL_PORT_DST :
					   ATTR_ORIG_PORT_DST));
}

static bool tuple_eq(const struct pm_ct_tuple *a, const struct pm_ct_tuple *b)
{
	size_t n = pm_addr_len(a->family);

	return a->family == b->family && a->sport == b->sport &&
	       a->dport == b->dport && !memcmp(&a->src, &b->src, n) &&
	       !memcmp(&a->dst, &b->dst, n);
}

static int ct_cb(const struct nlmsghdr *nlh, void *data)
{
	struct pm_ct_list *l = data;
	struct nf_conntrack *ct = nfct_new();
	const struct nlattr *info;
	struct pm_ct_conn *c;
	const char *helper;
	int rc = MNL_CB_OK;

	if (!ct)
		return MNL_CB_ERROR;
	if (nfct_nlmsg_parse(nlh, ct) < 0)
		goto out;
	helper = nfct_attr_is_set(ct, ATTR_HELPER_NAME) > 0 ?
		 nfct_get_attr(ct, ATTR_HELPER_NAME) : NULL;
	if (!helper || strcmp(helper, FTP_PORTMAP_HELPER_NAME))
		goto out;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct pm_ct_conn *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			rc = MNL_CB_ERROR;
			goto out;
		}
		l->v = v;
		l->cap = cap;
	}
	c = &l->v[l->n];
	memset(c, 0, sizeof(*c));
	get_tuple(ct, false, &c->orig);
	get_tuple(ct, true, &c->reply);
	c->id = nfct_get_attr_u32(ct, ATTR_ID);
	c->status = nfct_get_attr_u32(ct, ATTR_STATUS);
	c->timeout = nfct_get_attr_u32(ct, ATTR_TIMEOUT);
	c->tcp_state = nfct_get_attr_u8(ct, ATTR_TCP_STATE);
	info = help_info(nlh);
	if (info) {
		if (pm_ct_parse_info(mnl_attr_get_payload(info),
				     mnl_attr_get_payload_len(info), c)) {
			errno = EPROTO;
			rc = MNL_CB_ERROR;
			goto out;
		}
	} else {
		l->without_info++;
	}
	l->n++;
out:
	nfct_destroy(ct);
	return rc;
}

static int exp_cb(const struct nlmsghdr *nlh, void *data)
{
	struct pm_ct_list *l = data;
	struct nf_expect *exp = nfexp_new();
	const struct nf_conntrack *master, *expected;
	struct pm_ct_tuple mt;
	struct pm_ct_expect *e;
	size_t i;

	if (!exp)
		return MNL_CB_ERROR;
	if (nfexp_nlmsg_parse(nlh, exp) < 0 ||
	    nfexp_attr_is_set(exp, ATTR_EXP_MASTER) <= 0 ||
	    nfexp_attr_is_set(exp, ATTR_EXP_EXPECTED) <= 0)
		goto out;
	master = nfexp_get_attr(exp, ATTR_EXP_MASTER);
	expected = nfexp_get_attr(exp, ATTR_EXP_EXPECTED);
	get_tuple(master, false, &mt);
	for (i = 0; i < l->n; i++) {
		struct pm_ct_conn *c = &l->v[i];

		if (!tuple_eq(&c->orig, &mt))
			continue;
		e = realloc(c->exp, (c->nexp + 1) * sizeof(*e));
		if (!e) {
			nfexp_destroy(exp);
			return MNL_CB_ERROR;
		}
		c->exp = e;
		e = &c->exp[c->nexp++];
		memset(e, 0, sizeof(*e));
		get_tuple(expected, false, &e->tuple);
		e->timeout = nfexp_get_attr_u32(exp, ATTR_EXP_TIMEOUT);
		e->nat = nfexp_attr_is_set(exp, ATTR_EXP_NAT_TUPLE) > 0;
		break;
	}
out:
	nfexp_destroy(exp);
	return MNL_CB_OK;
}

static int dump(struct mnl_socket *s, uint16_t type, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE * 2];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nf;
	uint32_t seq = (uint32_t)time(NULL), portid = mnl_socket_get_portid(s);
	ssize_t n;
	int rc;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	nf = mnl_nlmsg_put_extra_header(nlh, sizeof(*nf));
	nf->nfgen_family = AF_UNSPEC;
	nf->version = NFNETLINK_V0;
	nf->res_id = 0;
	if (mnl_socket_sendto(s, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(s, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		rc = mnl_cb_run(buf, (size_t)n, seq, portid, cb, data);
		if (rc == MNL_CB_STOP)
			return 0;
		if (rc == MNL_CB_ERROR)
			return errno ? -errno : -EPROTO;
	}
}

static int tuple_cmp(const struct pm_ct_tuple *a, const struct pm_ct_tuple *b)
{
	size_t n = pm_addr_len(a->family);
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	c = memcmp(&a->dst, &b->dst, n);
	if (c)
		return c;
	if (a->dport != b->dport)
		return a->dport < b->dport ? -1 : 1;
	c = memcmp(&a->src, &b->src, n);
	if (c)
		return c;
	return (int)a->sport - (int)b->sport;
}

/* Stable output: by original destination, then source. */
static int conn_qcmp(const void *a, const void *b)
{
	return tuple_cmp(&((const struct pm_ct_conn *)a)->orig,
			 &((const struct pm_ct_conn *)b)->orig);
}

int pm_ct_dump(struct pm_ct_list *l)
{
	struct mnl_socket *s;
	int err;

	memset(l, 0, sizeof(*l));
	s = mnl_socket_open(NETLINK_NETFILTER);
	if (!s || mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		if (s)
			mnl_socket_close(s);
		pm_lib_set_error(PM_SRC_CT, "ctnetlink: %s", strerror(-err));
		return err;
	}
	err = dump(s, (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET, ct_cb,
		   l);
	if (!err)
		err = dump(s, (NFNL_SUBSYS_CTNETLINK_EXP << 8) |
			   IPCTNL_MSG_EXP_GET, exp_cb, l);
	mnl_socket_close(s);
	if (!err && l->n > 1)
		qsort(l->v, l->n, sizeof(l->v[0]), conn_qcmp);
	if (err) {
		pm_lib_set_error(PM_SRC_CT, "ctnetlink: %s%s", strerror(-err),
				 err == -EPERM ? " (CAP_NET_ADMIN needed)" : "");
		pm_ct_list_free(l);
	}
	return err;
}
