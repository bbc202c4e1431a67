// SPDX-License-Identifier: GPL-2.0
/*
 * portmapctl - generic netlink plumbing on top of libmnl: family lookup,
 * request/reply/ack with extended-ack error messages, dumps.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <libmnl/libmnl.h>

#include "portmapctl.h"

/* Large enough for the biggest dump part the kernel builds for us. */
#define PM_NL_RXBUF	32768

struct pm_nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	uint16_t family_id;
	bool clean;		/* the last exchange was read to its end */
	char txbuf[8192];
	char rxbuf[PM_NL_RXBUF];
};

/* Why the last request failed, beyond its errno. */
static struct {
	bool not_loaded;	/* the family is not registered */
	bool has_msg;
	bool has_miss;
	uint32_t miss_type;
	bool has_offs;		/* offset of the refused attribute */
	uint32_t offs;
	int bad_type;		/* its type in our request, or -1 */
	bool has_policy;	/* the core refused it by policy */
	bool has_range;		/* the policy's range */
	uint64_t min, max;
	char msg[256];
} last;

static void last_clear(void)
{
	memset(&last, 0, sizeof(last));
	last.bad_type = -1;
}

/* Our names of the attributes whose values users type. */
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

const char *pm_nl_errmsg(void)
{
	return last.has_msg ? last.msg : NULL;
}

bool pm_nl_not_loaded(void)
{
	return last.not_loaded;
}

int pm_nl_report(int err, const char *what)
{
	const char *reason;
	char buf[320];

	if (last.not_loaded) {
		pm_err("module ftp_portmap not loaded (try 'modprobe ftp_portmap')");
		return PM_EXIT_FAIL;
	}
	if (err == -EPERM && !last.has_msg) {
		reason = "permission denied (CAP_NET_ADMIN needed in this network namespace)";
	} else if (err == -ERANGE && last.has_range &&
		   attr_name(last.bad_type)) {
		/* The core's "integer out of range", with the policy's range. */
		snprintf(buf, sizeof(buf), "%s out of range (%llu..%llu)",
			 attr_name(last.bad_type),
			 (unsigned long long)last.min,
			 (unsigned long long)last.max);
		reason = buf;
	} else if (last.has_msg && last.has_policy &&
		   attr_name(last.bad_type)) {
		/* A generic policy message: say which value it was about. */
		snprintf(buf, sizeof(buf), "%s (%s)", last.msg,
			 attr_name(last.bad_type));
		reason = buf;
	} else if (last.has_msg) {
		reason = last.msg;
	} else if (last.has_miss) {
		snprintf(buf, sizeof(buf), "missing attribute %u",
			 last.miss_type);
		reason = buf;
	} else {
		reason = strerror(err < 0 ? -err : err);
	}
	if (what && *what)
		pm_err("%s: %s", what, reason);
	else
		pm_err("%s", reason);
	return PM_EXIT_FAIL;
}

static int policy_attr_cb(const struct nlattr *attr, void *data)
{
	unsigned int *have = data;

	if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
		return MNL_CB_OK;
	switch (mnl_attr_get_type(attr)) {
	case NL_POLICY_TYPE_ATTR_MIN_VALUE_U:
		last.min = mnl_attr_get_u64(attr);
		*have |= 1;
		break;
	case NL_POLICY_TYPE_ATTR_MAX_VALUE_U:
		last.max = mnl_attr_get_u64(attr);
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
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			break;
		last.offs = mnl_attr_get_u32(attr);
		last.has_offs = true;
		break;
	case NLMSGERR_ATTR_POLICY:
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
			break;
		mnl_attr_parse_nested(attr, policy_attr_cb, &have);
		last.has_policy = true;
		last.has_range = have == 3;
		break;
	case NLMSGERR_ATTR_MSG:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			break;
		snprintf(last.msg, sizeof(last.msg), "%s",
			 mnl_attr_get_str(attr));
		last.msg[strcspn(last.msg, "\n")] = '\0';
		last.has_msg = last.msg[0] != '\0';
		break;
	case NLMSGERR_ATTR_MISS_TYPE:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			break;
		last.miss_type = mnl_attr_get_u32(attr);
		last.has_miss = true;
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

struct talk_ctx {
	pm_nl_cb_t cb;
	void *data;
	int err;
	bool finished;		/* the ack, error or NLMSG_DONE was seen */
};

static int on_data(const struct nlmsghdr *nlh, void *data)
{
	struct talk_ctx *ctx = data;
	int err;

	if (!ctx->cb)
		return MNL_CB_OK;
	err = ctx->cb(nlh, ctx->data);
	if (err < 0) {
		ctx->err = err;
		return MNL_CB_STOP;
	}
	return MNL_CB_OK;
}

static int on_error(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	struct talk_ctx *ctx = data;
	unsigned int off = sizeof(*e);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		ctx->err = -EBADMSG;
		return MNL_CB_STOP;
	}
	ctx->finished = true;
	if (e->error == 0)		/* the ack */
		return MNL_CB_STOP;
	ctx->err = e->error < 0 ? e->error : -e->error;

	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
		if (mnl_nlmsg_size(off) < nlh->nlmsg_len)
			mnl_attr_parse(nlh, off, extack_attr_cb, NULL);
	}
	return MNL_CB_STOP;
}

/* End of a dump: the payload is an int, an error if negative. */
static int on_done(const struct nlmsghdr *nlh, void *data)
{
	struct talk_ctx *ctx = data;
	int err;

	ctx->finished = true;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(int)))
		return MNL_CB_STOP;
	memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err < 0) {
		ctx->err = err;
		if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) &&
		    mnl_nlmsg_size(sizeof(int)) < nlh->nlmsg_len)
			mnl_attr_parse(nlh, sizeof(int), extack_attr_cb, NULL);
	}
	return MNL_CB_STOP;
}

int pm_nl_talk(struct pm_nl *h, struct nlmsghdr *nlh, pm_nl_cb_t cb,
	       void *data)
{
	struct talk_ctx ctx = { .cb = cb, .data = data, .err = 0 };
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = { 0 };
	uint32_t seq = nlh->nlmsg_seq;
	int ret;

	last_clear();
	h->clean = false;
	ctl[NLMSG_ERROR] = on_error;
	ctl[NLMSG_DONE] = on_done;

	if (mnl_socket_sendto(h->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;

	for (;;) {
		ssize_t n;

		n = mnl_socket_recvfrom(h->sock, h->rxbuf, sizeof(h->rxbuf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		ret = mnl_cb_run2(h->rxbuf, (size_t)n, seq, h->portid,
				  on_data, &ctx, ctl, NLMSG_MIN_TYPE);
		if (ret == MNL_CB_ERROR) {
			ret = ctx.err ? ctx.err : (errno ? -errno : -EPROTO);
			break;
		}
		if (ret == MNL_CB_STOP) {
			ret = ctx.err;
			/* Stopped by a callback: replies may still be queued. */
			h->clean = ctx.finished;
			break;
		}
	}
	/* Which of our attributes the kernel refused. */
	if (ret && last.has_offs && last.offs >= NLMSG_HDRLEN &&
	    (uint64_t)last.offs + sizeof(struct nlattr) <= nlh->nlmsg_len) {
		struct nlattr a;

		memcpy(&a, (const char *)nlh + last.offs, sizeof(a));
		last.bad_type = a.nla_type & NLA_TYPE_MASK;
	}
	return ret;
}

static struct nlmsghdr *put_genl_header(struct pm_nl *h, uint16_t type,
					uint8_t cmd, uint8_t version,
					uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(h->txbuf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++h->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

struct nlmsghdr *pm_nl_msg(struct pm_nl *h, uint8_t cmd, uint16_t flags)
{
	return put_genl_header(h, h->family_id, cmd, FTP_PORTMAP_GENL_VERSION,
			       flags);
}

struct nlmsghdr *pm_nl_key_msg(struct pm_nl *h, uint8_t cmd, uint16_t port,
			       int family, const void *host)
{
	struct nlmsghdr *nlh = pm_nl_msg(h, cmd, NLM_F_ACK);

	mnl_attr_put_u16(nlh, FPM_A_PORT, port);
	if (family == AF_INET || family == AF_INET6) {
		mnl_attr_put_u8(nlh, FPM_A_FAMILY, (uint8_t)family);
		if (family == AF_INET)
			mnl_attr_put(nlh, FPM_A_HOST4, 4, host);
		else
			mnl_attr_put(nlh, FPM_A_HOST6, 16, host);
	}
	return nlh;
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

static int resolve_family(struct pm_nl *h)
{
	struct nlmsghdr *nlh;
	uint16_t id = 0;
	int err;

	nlh = put_genl_header(h, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1,
			      NLM_F_ACK);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, FTP_PORTMAP_GENL_NAME);
	err = pm_nl_talk(h, nlh, family_cb, &id);
	if (err == -ENOENT) {
		last.not_loaded = true;
		return err;
	}
	if (err)
		return err;
	if (!id)
		return -EPROTO;
	h->family_id = id;
	return 0;
}

/*
 * One socket serves a whole run (a --batch file runs thousands of
 * commands): pm_nl_close() keeps a handle whose last exchange ended
 * cleanly and pm_nl_open() hands it out again.
 */
static struct pm_nl *spare;

struct pm_nl *pm_nl_open(void)
{
	struct pm_nl *h;
	int one = 1;
	int err;

	last_clear();
	if (spare) {
		h = spare;
		spare = NULL;
		return h;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		errno = ENOMEM;
		return NULL;
	}
	h->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!h->sock)
		goto fail;
	/* Both are best effort: old kernels lack them. */
	mnl_socket_setsockopt(h->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(h->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(h->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	h->portid = mnl_socket_get_portid(h->sock);
	h->seq = (uint32_t)time(NULL);

	err = resolve_family(h);
	if (err) {
		h->clean = false;
		pm_nl_close(h);
		errno = -err;
		return NULL;
	}
	return h;

fail:
	err = errno;
	pm_nl_close(h);
	errno = err;
	return NULL;
}

void pm_nl_close(struct pm_nl *h)
{
	if (!h)
		return;
	if (h->clean && h->family_id && !spare) {
		spare = h;
		return;
	}
	if (h->sock)
		mnl_socket_close(h->sock);
	free(h);
}
