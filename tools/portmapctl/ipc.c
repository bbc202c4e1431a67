// SPDX-License-Identifier: GPL-2.0
/*
 * portmapctl library: the ftp_portmap generic netlink family over libmnl.
 *
 * One socket per process, opened on first use and kept until exit (a
 * batch of thousands of commands uses it too).  Every request is acked;
 * a refusal keeps the kernel's extack message (or a range from the
 * policy) as the reason, see pm_lib_error().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <libmnl/libmnl.h>

#include "lib.h"

extern bool pm_lib_not_loaded_flag;

/* Large enough for the biggest dump part the kernel builds for us. */
#define RXBUF	32768
#define TXBUF	32768

static struct {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	uint16_t family_id;
	bool broken;		/* a reply was left unread: reopen */
	char tx[TXBUF];
	char rx[RXBUF];
} S;

/* What the last error carried besides its errno. */
static struct x_err {
	bool has_msg, has_miss, has_offs, has_policy, has_range;
	uint32_t miss_type, offs;
	int bad_type;
	uint64_t min, max;
	char msg[256];
} X;

static void x_clear(void)
{
	memset(&X, 0, sizeof(X));
	X.bad_type = -1;
}

static const char *attr_name(int type)
{
	switch (type) {
	case FPM_A_PORT:
		return "port";
	case FPM_A_FAMILY:
		return "address family";
	case FPM_A_HOST4:
	case FPM_A_HOST6:
		return "host address";
	case FPM_A_STRICT:
		return "strict";
	case FPM_A_MAX_EXPECT:
		return "max-expect";
	default:
		return NULL;
	}
}

/* Turn errno + extack into the reason text. */
static int fail(int err)
{
	char buf[320];

	if (err > 0)
		err = -err;
	if (pm_lib_not_loaded_flag) {
		pm_lib_set_error(PM_SRC_NETLINK,
				 "module ftp_portmap not loaded (try 'modprobe ftp_portmap')");
	} else if (err == -EPERM && !X.has_msg) {
		pm_lib_set_error(PM_SRC_NETLINK,
				 "permission denied (CAP_NET_ADMIN needed in this network namespace)");
	} else if (err == -ERANGE && X.has_range && attr_name(X.bad_type)) {
		snprintf(buf, sizeof(buf), "%s out of range (%llu..%llu)",
			 attr_name(X.bad_type), (unsigned long long)X.min,
			 (unsigned long long)X.max);
		pm_lib_set_error(PM_SRC_NETLINK, "%s", buf);
	} else if (X.has_msg && X.has_policy && attr_name(X.bad_type)) {
		pm_lib_set_error(PM_SRC_NETLINK, "%s (%s)", X.msg,
				 attr_name(X.bad_type));
	} else if (X.has_msg) {
		pm_lib_set_error(PM_SRC_NETLINK, "%s", X.msg);
	} else if (X.has_miss) {
		pm_lib_set_error(PM_SRC_NETLINK, "missing attribute %u",
				 X.miss_type);
	} else {
		pm_lib_set_error(PM_SRC_NETLINK, "%s", strerror(-err));
	}
	return err;
}

static int policy_attr_cb(const struct nlattr *attr, void *data)
{
	unsigned int *have = data;

	if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
		return MNL_CB_OK;
	switch (mnl_attr_get_type(attr)) {
	case NL_POLICY_TYPE_ATTR_MIN_VALUE_U:
		X.min = mnl_attr_get_u64(attr);
		*have |= 1;
		break;
	case NL_POLICY_TYPE_ATTR_MAX_VALUE_U:
		X.max = mnl_attr_get_u64(attr);
		*have |= 2;
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

static int extack_attr_cb(const struct nlattr *attr, void *data)
{
	unsigned int have = 0;

	(void)data;
	switch (mnl_attr_get_type(attr)) {
	case NLMSGERR_ATTR_OFFS:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0) {
			X.offs = mnl_attr_get_u32(attr);
			X.has_offs = true;
		}
		break;
	case NLMSGERR_ATTR_POLICY:
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
			break;
		mnl_attr_parse_nested(attr, policy_attr_cb, &have);
		X.has_policy = true;
		X.has_range = have == 3;
		break;
	case NLMSGERR_ATTR_MSG:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			break;
		snprintf(X.msg, sizeof(X.msg), "%s", mnl_attr_get_str(attr));
		X.msg[strcspn(X.msg, "\n")] = '\0';
		X.has_msg = X.msg[0] != '\0';
		break;
	case NLMSGERR_ATTR_MISS_TYPE:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0) {
			X.miss_type = mnl_attr_get_u32(attr);
			X.has_miss = true;
		}
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

typedef int (*data_cb_t)(const struct nlmsghdr *nlh, void *data);

/*
 * Replies to the requests with sequence numbers first..last (each acked);
 * res[seq - first] gets each one's status when res is given.
 */
struct talk {
	data_cb_t cb;
	void *data;
	uint32_t first, last;
	int *res;
	size_t pending;		/* acks still to come */
	int err;		/* the first failure */
	bool cb_failed;
	const struct nlmsghdr *req;	/* for the refused attribute */
};

static int on_data(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	int err;

	if (!t->cb || t->cb_failed)
		return MNL_CB_OK;
	err = t->cb(nlh, t->data);
	if (err < 0) {
		t->cb_failed = true;
		if (!t->err)
			t->err = err;
	}
	return MNL_CB_OK;
}

static void note_error(struct talk *t, int err, const struct nlmsghdr *nlh,
		       size_t off)
{
	if (t->err)
		return;		/* keep the first reason */
	t->err = err;
	x_clear();
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) &&
	    mnl_nlmsg_size(off) < nlh->nlmsg_len)
		mnl_attr_parse(nlh, off, extack_attr_cb, NULL);
}

static int on_error(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	struct talk *t = data;
	unsigned int off = sizeof(*e);
	int err;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		t->err = t->err ? t->err : -EBADMSG;
		t->pending = 0;
		return MNL_CB_STOP;
	}
	err = e->error < 0 ? e->error : -e->error;
	if (t->res && nlh->nlmsg_seq >= t->first && nlh->nlmsg_seq <= t->last)
		t->res[nlh->nlmsg_seq - t->first] = err;
	if (err) {
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
		note_error(t, err, nlh, off);
	}
	if (t->pending)
		t->pending--;
	return t->pending ? MNL_CB_OK : MNL_CB_STOP;
}

/* End of a dump: an int, an error when negative; the ack follows. */
static int on_done(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	int err;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(int)))
		return MNL_CB_OK;
	memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err < 0)
		note_error(t, err, nlh, sizeof(int));
	/* A dump without NLM_F_ACK ends here. */
	if (!(t->req->nlmsg_flags & NLM_F_ACK) || err < 0) {
		t->pending = 0;
		return MNL_CB_STOP;
	}
	return MNL_CB_OK;
}

static int sock_open(void);

/* Send @len bytes of requests (seq first..last) and read every answer. */
static int exchange(const void *buf, size_t len, struct talk *t)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = { 0 };
	int ret;

	ctl[NLMSG_ERROR] = on_error;
	ctl[NLMSG_DONE] = on_done;
	t->pending = t->last - t->first + 1;
	x_clear();
	if (mnl_socket_sendto(S.sock, buf, len) < 0)
		return fail(-errno);
	while (t->pending) {
		ssize_t n = mnl_socket_recvfrom(S.sock, S.rx, sizeof(S.rx));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			S.broken = true;
			return fail(-errno);
		}
		ret = mnl_cb_run2(S.rx, (size_t)n, 0, S.portid, on_data, t,
				  ctl, NLMSG_MIN_TYPE);
		if (ret == MNL_CB_ERROR) {
			S.broken = true;
			if (!t->err)
				t->err = errno ? -errno : -EPROTO;
			break;
		}
	}
	if (!t->err)
		return 0;
	/* Which of our attributes was refused (single requests). */
	if (t->first == t->last && X.has_offs && X.offs >= NLMSG_HDRLEN &&
	    (uint64_t)X.offs + sizeof(struct nlattr) <= t->req->nlmsg_len) {
		struct nlattr a;

		memcpy(&a, (const char *)t->req + X.offs, sizeof(a));
		X.bad_type = a.nla_type & NLA_TYPE_MASK;
	}
	return fail(t->err);
}

static struct nlmsghdr *put_header(void *buf, uint16_t type, uint8_t cmd,
				   uint8_t version, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	/* Every request is acked but a dump, which ends with NLMSG_DONE. */
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	if (!(flags & NLM_F_DUMP))
		nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = ++S.seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

/* One request, its replies to @cb. */
static int request(struct nlmsghdr *nlh, data_cb_t cb, void *data)
{
	struct talk t = { .cb = cb, .data = data, .first = nlh->nlmsg_seq,
			  .last = nlh->nlmsg_seq, .req = nlh };

	return exchange(nlh, nlh->nlmsg_len, &t);
}

static int family_attr_cb(const struct nlattr *attr, void *data)
{
	uint16_t *id = data;

	if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID &&
	    mnl_attr_validate(attr, MNL_TYPE_U16) >= 0)
		*id = mnl_attr_get_u16(attr);
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr_cb, data);
	return 0;
}

static int sock_open(void)
{
	struct nlmsghdr *nlh;
	uint16_t id = 0;
	int one = 1, err;

	if (S.sock && !S.broken && S.family_id)
		return 0;
	pm_ipc_close();
	pm_lib_not_loaded_flag = false;
	S.sock = mnl_socket_open(NETLINK_GENERIC);
	if (!S.sock)
		return fail(-errno);
	/* Best effort: old kernels lack them. */
	mnl_socket_setsockopt(S.sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(S.sock, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(S.sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		pm_ipc_close();
		return fail(err);
	}
	S.portid = mnl_socket_get_portid(S.sock);
	S.seq = (uint32_t)time(NULL);

	nlh = put_header(S.tx, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, FTP_PORTMAP_GENL_NAME);
	err = request(nlh, family_cb, &id);
	if (err == -ENOENT) {
		pm_lib_not_loaded_flag = true;
		pm_ipc_close();
		return fail(err);
	}
	if (!err && !id)
		err = fail(-EPROTO);
	if (err) {
		pm_ipc_close();
		return err;
	}
	S.family_id = id;
	return 0;
}

int pm_ipc_open(void)
{
	return sock_open();
}

void pm_ipc_close(void)
{
	if (S.sock)
		mnl_socket_close(S.sock);
	S.sock = NULL;
	S.family_id = 0;
	S.broken = false;
}

static struct nlmsghdr *msg(void *buf, uint8_t cmd, uint16_t flags)
{
	return put_header(buf, S.family_id, cmd, FTP_PORTMAP_GENL_VERSION,
			  flags);
}

static void put_key(struct nlmsghdr *nlh, const struct pm_map_key *k)
{
	mnl_attr_put_u16(nlh, FPM_A_PORT, k->port);
	if (k->family == AF_INET || k->family == AF_INET6) {
		mnl_attr_put_u8(nlh, FPM_A_FAMILY, (uint8_t)k->family);
		if (k->family == AF_INET)
			mnl_attr_put(nlh, FPM_A_HOST4, 4, &k->host.v4);
		else
			mnl_attr_put(nlh, FPM_A_HOST6, 16, &k->host.v6);
	}
}

/* ---- mappings -------------------------------------------------------- */

static int ctr_attr_cb(const struct nlattr *attr, void *data)
{
	struct pm_mapping *m = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type <= FPM_CTR_PAD || type > FPM_CTR_MAX)
		return MNL_CB_OK;	/* newer module: ignore */
	if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
		return MNL_CB_ERROR;
	m->ctr[type] = mnl_attr_get_u64(attr);
	return MNL_CB_OK;
}

static int map_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(attr);
	int bad = 0;

	if (mnl_attr_type_valid(attr, FPM_A_MAX) < 0)
		return MNL_CB_OK;
	switch (type) {
	case FPM_A_PORT:
		bad = mnl_attr_validate(attr, MNL_TYPE_U16) < 0;
		break;
	case FPM_A_FAMILY:
		bad = mnl_attr_validate(attr, MNL_TYPE_U8) < 0;
		break;
	case FPM_A_HOST4:
		bad = mnl_attr_validate2(attr, MNL_TYPE_BINARY, 4) < 0;
		break;
	case FPM_A_HOST6:
		bad = mnl_attr_validate2(attr, MNL_TYPE_BINARY, 16) < 0;
		break;
	case FPM_A_COUNTERS:
		bad = mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0;
		break;
	default:
		break;
	}
	if (bad)
		return MNL_CB_ERROR;
	tb[type] = attr;
	return MNL_CB_OK;
}

static int parse_mapping(const struct nlmsghdr *nlh, struct pm_mapping *m)
{
	const struct nlattr *tb[FPM_A_MAX + 1] = { 0 };

	memset(m, 0, sizeof(*m));
	if (mnl_attr_parse(nlh, sizeof(struct genlmsghdr), map_attr_cb,
			   tb) < 0 || !tb[FPM_A_PORT])
		return -EPROTO;
	m->key.port = mnl_attr_get_u16(tb[FPM_A_PORT]);
	if (tb[FPM_A_FAMILY]) {
		m->key.family = mnl_attr_get_u8(tb[FPM_A_FAMILY]);
		if (m->key.family == AF_INET && tb[FPM_A_HOST4])
			memcpy(&m->key.host.v4,
			       mnl_attr_get_payload(tb[FPM_A_HOST4]), 4);
		else if (m->key.family == AF_INET6 && tb[FPM_A_HOST6])
			memcpy(&m->key.host.v6,
			       mnl_attr_get_payload(tb[FPM_A_HOST6]), 16);
		else
			return -EPROTO;
	}
	if (tb[FPM_A_COUNTERS] &&
	    mnl_attr_parse_nested(tb[FPM_A_COUNTERS], ctr_attr_cb, m) < 0)
		return -EPROTO;
	return 0;
}

void pm_map_list_free(struct pm_map_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static struct pm_mapping *list_grow(struct pm_map_list *l)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct pm_mapping *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	return &l->v[l->n++];
}

int pm_map_list_push(struct pm_map_list *l, const struct pm_map_key *k)
{
	struct pm_mapping *m = list_grow(l);

	if (!m)
		return -ENOMEM;
	m->key = *k;
	return 0;
}

int pm_map_cmp(const struct pm_map_key *a, const struct pm_map_key *b)
{
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	if (a->family != b->family) {
		/* 0 (any host), then AF_INET (2), then AF_INET6 (10) */
		return a->family < b->family ? -1 : 1;
	}
	if (!a->family)
		return 0;
	return memcmp(&a->host, &b->host, pm_addr_len(a->family));
}

bool pm_map_has(const struct pm_map_list *l, const struct pm_map_key *k)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!pm_map_cmp(&l->v[i].key, k))
			return true;
	return false;
}

static int mapping_qcmp(const void *a, const void *b)
{
	return pm_map_cmp(&((const struct pm_mapping *)a)->key,
			  &((const struct pm_mapping *)b)->key);
}

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct pm_map_list *l = data;
	struct pm_mapping *m = list_grow(l);

	if (!m)
		return -ENOMEM;
	if (parse_mapping(nlh, m)) {
		l->n--;
		return -EPROTO;
	}
	return 0;
}

/*
 * A dump that the table changed under (NLM_F_DUMP_INTR: libmnl says EINTR)
 * is asked again, a few times, rather than failing: on a busy router
 * writers may churn the table while "map list" reads it.
 */
#define PM_DUMP_TRIES 10

int pm_map_dump(struct pm_map_list *l)
{
	int err, tries = 0;

again:
	memset(l, 0, sizeof(*l));
	err = sock_open();
	if (err)
		return err;
	err = request(msg(S.tx, FPM_CMD_MAP_GET, NLM_F_DUMP), dump_cb, l);
	if (err) {
		pm_map_list_free(l);
		if (err == -EINTR && ++tries < PM_DUMP_TRIES)
			goto again;
		return err;
	}
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(l->v[0]), mapping_qcmp);
	return 0;
}

static int get_cb(const struct nlmsghdr *nlh, void *data)
{
	return parse_mapping(nlh, data);
}

int pm_map_get(const struct pm_map_key *k, struct pm_mapping *out)
{
	struct nlmsghdr *nlh;
	int err = sock_open();

	if (err)
		return err;
	nlh = msg(S.tx, FPM_CMD_MAP_GET, 0);
	put_key(nlh, k);
	return request(nlh, get_cb, out);
}

static int key_cmd(uint8_t cmd, const struct pm_map_key *k)
{
	struct nlmsghdr *nlh;
	int err = sock_open();

	if (err)
		return err;
	nlh = msg(S.tx, cmd, 0);
	put_key(nlh, k);
	return request(nlh, NULL, NULL);
}

int pm_map_add(const struct pm_map_key *k)
{
	return key_cmd(FPM_CMD_MAP_ADD, k);
}

int pm_map_del(const struct pm_map_key *k)
{
	return key_cmd(FPM_CMD_MAP_DEL, k);
}

static int plain_cmd(uint8_t cmd)
{
	int err = sock_open();

	if (err)
		return err;
	return request(msg(S.tx, cmd, 0), NULL, NULL);
}

int pm_map_flush(void)
{
	return plain_cmd(FPM_CMD_MAP_FLUSH);
}

/*
 * Requests per message: each is acked by an skb of its own, and the acks
 * of one message must fit the socket's receive buffer (rmem_default,
 * about 200 KiB, and an ack with an extack message costs about 1 KiB of
 * it), else they are dropped (ENOBUFS).
 */
#define BATCH_MSGS	64

/* Room for one map request, with its padding: port, family, host6. */
#define MAP_MSG_MAX	(NLMSG_HDRLEN + 4 + 8 + 8 + 20)

int pm_map_batch(const struct pm_map_op *ops, size_t n, size_t *done)
{
	int *res;
	size_t i = 0, k;
	int err = sock_open(), first_err = 0;

	*done = 0;
	if (err)
		return err;
	if (!n)
		return 0;
	res = calloc(n, sizeof(*res));
	if (!res)
		return fail(-ENOMEM);
	while (i < n && !first_err) {
		struct mnl_nlmsg_batch *b;
		struct talk t = { 0 };
		size_t start = i;

		b = mnl_nlmsg_batch_start(S.tx, sizeof(S.tx) - MAP_MSG_MAX);
		if (!b) {
			first_err = fail(-ENOMEM);
			break;
		}
		for (; i < n && i - start < BATCH_MSGS; i++) {
			struct nlmsghdr *nlh;

			nlh = msg(mnl_nlmsg_batch_current(b),
				  ops[i].add ? FPM_CMD_MAP_ADD : FPM_CMD_MAP_DEL,
				  0);
			put_key(nlh, &ops[i].key);
			/* One that does not fit goes in the next round. */
			if (!mnl_nlmsg_batch_next(b))
				break;
			if (i == start)
				t.first = nlh->nlmsg_seq;
			t.last = nlh->nlmsg_seq;
			t.req = nlh;
		}
		t.res = res + start;
		err = exchange(mnl_nlmsg_batch_head(b),
			       mnl_nlmsg_batch_size(b), &t);
		mnl_nlmsg_batch_stop(b);
		if (err)
			first_err = err;
		/* Counted in order: the first refused one ends "done". */
		for (k = start; k < i; k++) {
			if (res[k])
				break;
			if (k == *done)
				(*done)++;
		}
		/* Later ones of the same message went in: undo them. */
		if (err) {
			/* The undo's own exchanges clear the refusal's extack. */
			struct x_err refused = X;

			for (k = *done + 1; k < i; k++) {
				struct pm_map_key key = ops[k].key;

				if (res[k])
					continue;
				(void)key_cmd(ops[k].add ? FPM_CMD_MAP_DEL :
					      FPM_CMD_MAP_ADD, &key);
			}
			X = refused;
			fail(err);
		}
	}
	free(res);
	return first_err;
}

/* ---- statistics and settings ----------------------------------------- */

struct stats_reply {
	struct pm_stats *s;
	bool have_stats, have_count;
};

static int stat_attr_cb(const struct nlattr *attr, void *data)
{
	struct pm_stats *s = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type <= FPM_STAT_PAD || type > FPM_STAT_MAX)
		return MNL_CB_OK;	/* newer module: ignore */
	if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
		return MNL_CB_ERROR;
	s->v[type] = mnl_attr_get_u64(attr);
	return MNL_CB_OK;
}

static int stats_attr_cb(const struct nlattr *attr, void *data)
{
	struct stats_reply *r = data;

	switch (mnl_attr_get_type(attr)) {
	case FPM_A_STATS:
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0 ||
		    mnl_attr_parse_nested(attr, stat_attr_cb, r->s) < 0)
			return MNL_CB_ERROR;
		r->have_stats = true;
		break;
	case FPM_A_MAP_COUNT:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		r->s->mappings = mnl_attr_get_u32(attr);
		r->have_count = true;
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	if (mnl_attr_parse(nlh, sizeof(struct genlmsghdr), stats_attr_cb,
			   data) < 0)
		return -EPROTO;
	return 0;
}

int pm_stats_get(struct pm_stats *s)
{
	struct stats_reply r = { .s = s };
	int err = sock_open();

	memset(s, 0, sizeof(*s));
	if (err)
		return err;
	err = request(msg(S.tx, FPM_CMD_STATS_GET, 0), stats_cb, &r);
	if (!err && (!r.have_stats || !r.have_count))
		err = fail(-EPROTO);
	return err;
}

int pm_stats_reset(void)
{
	int err = plain_cmd(FPM_CMD_STATS_RESET);

	/* genl answers an unknown command with EOPNOTSUPP. */
	if (err == -EOPNOTSUPP)
		pm_lib_set_error(PM_SRC_NETLINK,
				 "the loaded module has no STATS_RESET command (too old)");
	return err;
}

#define HAVE_STRICT	(1u << 0)
#define HAVE_MAX_EXPECT	(1u << 1)
#define HAVE_COUNT	(1u << 2)
#define HAVE_MAX	(1u << 3)
#define HAVE_VERSION	(1u << 4)
#define HAVE_ALL	0x1fu

struct config_reply {
	struct pm_config *c;
	unsigned int have;
};

static int config_attr_cb(const struct nlattr *attr, void *data)
{
	struct config_reply *r = data;
	struct pm_config *c = r->c;

	switch (mnl_attr_get_type(attr)) {
	case FPM_A_STRICT:
		if (mnl_attr_validate(attr, MNL_TYPE_U8) < 0)
			return MNL_CB_ERROR;
		c->strict = mnl_attr_get_u8(attr) != 0;
		r->have |= HAVE_STRICT;
		break;
	case FPM_A_MAX_EXPECT:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		c->max_expect = mnl_attr_get_u32(attr);
		r->have |= HAVE_MAX_EXPECT;
		break;
	case FPM_A_MAP_COUNT:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		c->map_count = mnl_attr_get_u32(attr);
		r->have |= HAVE_COUNT;
		break;
	case FPM_A_MAP_MAX:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		c->map_max = mnl_attr_get_u32(attr);
		r->have |= HAVE_MAX;
		break;
	case FPM_A_VERSION:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		snprintf(c->version, sizeof(c->version), "%s",
			 mnl_attr_get_str(attr));
		r->have |= HAVE_VERSION;
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

static int config_cb(const struct nlmsghdr *nlh, void *data)
{
	if (mnl_attr_parse(nlh, sizeof(struct genlmsghdr), config_attr_cb,
			   data) < 0)
		return -EPROTO;
	return 0;
}

int pm_config_get(struct pm_config *c)
{
	struct config_reply r = { .c = c };
	int err = sock_open();

	memset(c, 0, sizeof(*c));
	if (err)
		return err;
	err = request(msg(S.tx, FPM_CMD_CONFIG_GET, 0), config_cb, &r);
	if (!err && r.have != HAVE_ALL)
		err = fail(-EPROTO);
	return err;
}

int pm_config_set(const struct pm_config_set *c)
{
	struct nlmsghdr *nlh;
	int err = sock_open();

	if (err)
		return err;
	nlh = msg(S.tx, FPM_CMD_CONFIG_SET, 0);
	if (c->have_strict)
		mnl_attr_put_u8(nlh, FPM_A_STRICT, c->strict ? 1 : 0);
	if (c->have_max_expect)
		mnl_attr_put_u32(nlh, FPM_A_MAX_EXPECT, c->max_expect);
	return request(nlh, NULL, NULL);
}
