// SPDX-License-Identifier: GPL-2.0
/*
 * ftp_portmap - the "ftp_portmap" generic netlink family.
 *
 * Userspace (portmapctl) manages the per-netns port-mapping table and
 * the per-netns settings, and reads the counters, through this family.
 * The protocol is described in include/uapi/ftp_portmap.h.
 *
 * Locking: the table functions take fn->lock themselves; lookups and
 * dumps run under rcu_read_lock.  The settings are written under fn->lock
 * with WRITE_ONCE and read with READ_ONCE, so the family runs its
 * operations in parallel (no genl_mutex).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/socket.h>
#include <linux/string.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/netns/generic.h>
#include <net/sock.h>
#include <net/ipv6.h>
#include <linux/in.h>

#include "ftp_portmap.h"

static struct genl_family fpm_genl_family;

/* Set @msg unless a callee (the table code) already explained itself. */
#define FPM_ERR_MSG_DEFAULT(extack, msg) do {			\
	struct netlink_ext_ack *__ea = (extack);		\
								\
	if (__ea && !__ea->_msg)				\
		NL_SET_ERR_MSG(__ea, msg);			\
} while (0)

/*
 * Ranges live in the policies, so that they are checked before any op
 * runs and can be read back (CTRL_CMD_GETPOLICY, and the extended ack of
 * a refused attribute carries its policy: portmapctl turns that into
 * "max-expect out of range (1..64)").  No NLA_POLICY_VALIDATE_FN on
 * integers: on 6.1 its function pointer aliases min/max and dumping such
 * a policy into an extack WARNs in nla_get_range_unsigned().
 */

/* MAP_ADD, MAP_DEL, MAP_GET: a mapping key. */
static const struct nla_policy fpm_map_policy[FPM_A_HOST6 + 1] = {
	[FPM_A_PORT]	= NLA_POLICY_MIN(NLA_U16, 1),
	/* AF_INET..AF_INET6; fpm_parse_key() refuses what lies between */
	[FPM_A_FAMILY]	= NLA_POLICY_RANGE(NLA_U8, AF_INET, AF_INET6),
	[FPM_A_HOST4]	= NLA_POLICY_EXACT_LEN(sizeof(struct in_addr)),
	[FPM_A_HOST6]	= NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
};

/* CONFIG_SET: the settings. */
static const struct nla_policy fpm_config_policy[FPM_A_MAX_EXPECT + 1] = {
	[FPM_A_STRICT]		= NLA_POLICY_MAX(NLA_U8, 1),
	[FPM_A_MAX_EXPECT]	= NLA_POLICY_RANGE(NLA_U32, 1,
						   FPM_MAX_EXPECT_LIMIT),
};

/*
 * Build a mapping key from PORT [FAMILY HOST4|HOST6]; the policy has
 * checked each attribute alone, this checks that they agree.
 */
static int fpm_parse_key(struct nlattr **attrs, struct fpm_key *key,
			 struct netlink_ext_ack *extack)
{
	struct nlattr *h4 = attrs[FPM_A_HOST4];
	struct nlattr *h6 = attrs[FPM_A_HOST6];
	struct nlattr *fam = attrs[FPM_A_FAMILY];

	memset(key, 0, sizeof(*key));

	if (NL_REQ_ATTR_CHECK(extack, NULL, attrs, FPM_A_PORT)) {
		NL_SET_ERR_MSG(extack, "missing port");
		return -EINVAL;
	}
	key->port = nla_get_u16(attrs[FPM_A_PORT]);

	if (!fam) {
		if (h4 || h6) {
			NL_SET_ERR_MSG_ATTR(extack, h4 ? h4 : h6,
					    "host address without family");
			return -EINVAL;
		}
		return 0;
	}

	key->family = nla_get_u8(fam);
	if (key->family != AF_INET && key->family != AF_INET6) {
		NL_SET_ERR_MSG_ATTR(extack, fam,
				    "address family must be AF_INET or AF_INET6");
		return -EAFNOSUPPORT;
	}
	if (h4 && h6) {
		NL_SET_ERR_MSG_ATTR(extack, h6,
				    "host address family mismatch");
		return -EINVAL;
	}
	if (key->family == AF_INET) {
		if (h6) {
			NL_SET_ERR_MSG_ATTR(extack, h6,
					    "host address family mismatch");
			return -EINVAL;
		}
		if (NL_REQ_ATTR_CHECK(extack, NULL, attrs, FPM_A_HOST4)) {
			NL_SET_ERR_MSG(extack, "missing host address");
			return -EINVAL;
		}
		key->addr.ip = nla_get_in_addr(h4);
	} else {
		if (h4) {
			NL_SET_ERR_MSG_ATTR(extack, h4,
					    "host address family mismatch");
			return -EINVAL;
		}
		if (NL_REQ_ATTR_CHECK(extack, NULL, attrs, FPM_A_HOST6)) {
			NL_SET_ERR_MSG(extack, "missing host address");
			return -EINVAL;
		}
		key->addr.in6 = nla_get_in6_addr(h6);
	}
	return 0;
}

static size_t fpm_map_msg_size(void)
{
	return nla_total_size(sizeof(u16))		/* PORT */
	     + nla_total_size(sizeof(u8))		/* FAMILY */
	     + nla_total_size(16)			/* HOST6 */
	     + nla_total_size(0)			/* COUNTERS */
	     + FPM_CTR_MAX * nla_total_size_64bit(sizeof(u64));
}

/* Called under rcu_read_lock (or fn->lock): @m stays valid meanwhile. */
static int fpm_put_map(struct sk_buff *skb, const struct fpm_map *m)
{
	struct nlattr *nest;
	int i;

	if (nla_put_u16(skb, FPM_A_PORT, m->key.port))
		return -EMSGSIZE;
	if (m->key.family) {
		if (nla_put_u8(skb, FPM_A_FAMILY, m->key.family))
			return -EMSGSIZE;
		if (m->key.family == AF_INET) {
			if (nla_put_in_addr(skb, FPM_A_HOST4, m->key.addr.ip))
				return -EMSGSIZE;
		} else if (nla_put_in6_addr(skb, FPM_A_HOST6,
					    &m->key.addr.in6)) {
			return -EMSGSIZE;
		}
	}

	nest = nla_nest_start(skb, FPM_A_COUNTERS);
	if (!nest)
		return -EMSGSIZE;
	for (i = FPM_CTR_PAD + 1; i <= FPM_CTR_MAX; i++) {
		if (nla_put_u64_64bit(skb, i, atomic64_read(&m->ctr[i]),
				      FPM_CTR_PAD)) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* Ways a host address can never be an FTP server's address. */
enum fpm_unusable {
	FPM_HOST_OK,
	FPM_HOST_MULTICAST,
	FPM_HOST_LOOPBACK,
	FPM_HOST_UNSPEC,
	FPM_HOST_BROADCAST,
	FPM_HOST_MAPPED,
	FPM_HOST_LINKLOCAL,	/* a mapping has no interface: no zone */
};

static enum fpm_unusable fpm_host_unusable(const struct fpm_key *key)
{
	if (key->family == AF_INET) {
		__be32 a = key->addr.ip;

		if (ipv4_is_multicast(a))
			return FPM_HOST_MULTICAST;
		if (ipv4_is_loopback(a))
			return FPM_HOST_LOOPBACK;
		if (!a)
			return FPM_HOST_UNSPEC;
		if (ipv4_is_lbcast(a))
			return FPM_HOST_BROADCAST;
		if (ipv4_is_linklocal_169(a))
			return FPM_HOST_LINKLOCAL;
	} else if (key->family == AF_INET6) {
		int t = ipv6_addr_type(&key->addr.in6);

		if (t & IPV6_ADDR_MULTICAST)
			return FPM_HOST_MULTICAST;
		if (t & IPV6_ADDR_LOOPBACK)
			return FPM_HOST_LOOPBACK;
		if (t == IPV6_ADDR_ANY)
			return FPM_HOST_UNSPEC;
		if (t & IPV6_ADDR_MAPPED)
			return FPM_HOST_MAPPED;
		if (t & IPV6_ADDR_LINKLOCAL)
			return FPM_HOST_LINKLOCAL;
	}
	return FPM_HOST_OK;
}

/* MAP_ADD: refuse a host that can never work, pointing at it. */
static int fpm_host_check(const struct fpm_key *key, struct nlattr **attrs,
			  struct netlink_ext_ack *extack)
{
	const struct nlattr *a = attrs[key->family == AF_INET ? FPM_A_HOST4 :
				       FPM_A_HOST6];

	switch (fpm_host_unusable(key)) {
	case FPM_HOST_OK:
		return 0;
	case FPM_HOST_MULTICAST:
		NL_SET_ERR_MSG_ATTR(extack, a, "host address is multicast");
		break;
	case FPM_HOST_LOOPBACK:
		NL_SET_ERR_MSG_ATTR(extack, a, "host address is loopback");
		break;
	case FPM_HOST_UNSPEC:
		NL_SET_ERR_MSG_ATTR(extack, a, "host address is unspecified");
		break;
	case FPM_HOST_BROADCAST:
		NL_SET_ERR_MSG_ATTR(extack, a, "host address is broadcast");
		break;
	case FPM_HOST_MAPPED:
		NL_SET_ERR_MSG_ATTR(extack, a,
				    "host address is IPv4-mapped IPv6");
		break;
	case FPM_HOST_LINKLOCAL:
		NL_SET_ERR_MSG_ATTR(extack, a, "host address is link-local");
		break;
	}
	return -EINVAL;
}

static int fpm_nl_map_add(struct sk_buff *skb, struct genl_info *info)
{
	struct fpm_net *fn = fpm_pernet(genl_info_net(info));
	struct fpm_key key;
	int err;

	err = fpm_parse_key(info->attrs, &key, info->extack);
	if (err)
		return err;
	err = fpm_host_check(&key, info->attrs, info->extack);
	if (err)
		return err;

	err = fpm_map_add(fn, &key, info->extack);
	switch (err) {
	case 0:
		break;
	case -EEXIST:
		FPM_ERR_MSG_DEFAULT(info->extack, "mapping exists");
		break;
	case -ENOSPC:
	case -E2BIG:
		FPM_ERR_MSG_DEFAULT(info->extack, "mapping table full");
		break;
	case -ENOMEM:
		FPM_ERR_MSG_DEFAULT(info->extack, "out of memory");
		break;
	default:
		FPM_ERR_MSG_DEFAULT(info->extack, "cannot add mapping");
		break;
	}
	return err;
}

static int fpm_nl_map_del(struct sk_buff *skb, struct genl_info *info)
{
	struct fpm_net *fn = fpm_pernet(genl_info_net(info));
	struct fpm_key key;
	int err;

	err = fpm_parse_key(info->attrs, &key, info->extack);
	if (err)
		return err;

	err = fpm_map_del(fn, &key, info->extack);
	if (err == -ENOENT)
		FPM_ERR_MSG_DEFAULT(info->extack, "no such mapping");
	else if (err)
		FPM_ERR_MSG_DEFAULT(info->extack, "cannot delete mapping");
	return err;
}

static int fpm_nl_map_get(struct sk_buff *skb, struct genl_info *info)
{
	struct fpm_net *fn = fpm_pernet(genl_info_net(info));
	struct fpm_map *m;
	struct fpm_key key;
	struct sk_buff *msg;
	void *hdr;
	int err;

	err = fpm_parse_key(info->attrs, &key, info->extack);
	if (err)
		return err;

	msg = genlmsg_new(fpm_map_msg_size(), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &fpm_genl_family, 0,
				FPM_CMD_MAP_GET);
	if (!hdr) {
		err = -EMSGSIZE;
		goto err_free;
	}

	rcu_read_lock();
	m = fpm_map_find(fn, &key);
	if (m)
		err = fpm_put_map(msg, m);
	rcu_read_unlock();
	if (!m) {
		NL_SET_ERR_MSG(info->extack, "no such mapping");
		err = -ENOENT;
		goto err_free;
	}
	if (err)
		goto err_free;

	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return err;
}

/*
 * The dump cursor is (port, position in the port's chain) in cb->args[0]
 * and cb->args[1]; a mapping that does not fit is sent in the next part.
 */
static int fpm_nl_map_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct fpm_net *fn = fpm_pernet(sock_net(skb->sk));
	u32 port = cb->args[0];
	u32 idx = cb->args[1];
	struct fpm_map *m = NULL;
	int sent = 0;
	int err = 0;

	/* A dump that saw the table change is flagged NLM_F_DUMP_INTR. */
	cb->seq = READ_ONCE(fn->gen) + 1;
	rcu_read_lock();
	for (;;) {
		u32 cur_port = port, cur_idx = idx;
		void *hdr;

		m = fpm_map_next(fn, &port, &idx, m);
		if (!m)
			break;

		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &fpm_genl_family,
				  NLM_F_MULTI, FPM_CMD_MAP_GET);
		if (hdr)
			genl_dump_check_consistent(cb, hdr);
		if (!hdr || fpm_put_map(skb, m)) {
			genlmsg_cancel(skb, hdr);
			port = cur_port;
			idx = cur_idx;
			/* Not even one mapping fits an empty buffer. */
			if (!sent)
				err = -EMSGSIZE;
			break;
		}
		genlmsg_end(skb, hdr);
		sent++;
	}
	rcu_read_unlock();

	cb->args[0] = port;
	cb->args[1] = idx;
	return err ? err : skb->len;
}

static int fpm_nl_map_flush(struct sk_buff *skb, struct genl_info *info)
{
	fpm_map_flush(fpm_pernet(genl_info_net(info)));
	return 0;
}

static int fpm_nl_stats_reset(struct sk_buff *skb, struct genl_info *info)
{
	fpm_stats_reset(fpm_pernet(genl_info_net(info)));
	return 0;
}

static u32 fpm_map_count(struct fpm_net *fn)
{
	u32 count;

	mutex_lock(&fn->lock);
	count = fn->count;
	mutex_unlock(&fn->lock);
	return count;
}

static int fpm_nl_stats_get(struct sk_buff *skb, struct genl_info *info)
{
	struct fpm_net *fn = fpm_pernet(genl_info_net(info));
	struct nlattr *nest;
	struct sk_buff *msg;
	void *hdr;
	int i;

	msg = genlmsg_new(nla_total_size(0) +
			  FPM_STAT_MAX * nla_total_size_64bit(sizeof(u64)) +
			  nla_total_size(sizeof(u32)), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &fpm_genl_family, 0,
				FPM_CMD_STATS_GET);
	if (!hdr)
		goto nla_put_failure;

	nest = nla_nest_start(msg, FPM_A_STATS);
	if (!nest)
		goto nla_put_failure;
	for (i = FPM_STAT_PAD + 1; i <= FPM_STAT_MAX; i++) {
		if (nla_put_u64_64bit(msg, i, fpm_stat_read(fn, i),
				      FPM_STAT_PAD))
			goto nla_put_failure;
	}
	nla_nest_end(msg, nest);

	if (nla_put_u32(msg, FPM_A_MAP_COUNT, fpm_map_count(fn)))
		goto nla_put_failure;

	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

nla_put_failure:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int fpm_nl_config_get(struct sk_buff *skb, struct genl_info *info)
{
	struct fpm_net *fn = fpm_pernet(genl_info_net(info));
	struct sk_buff *msg;
	u32 max_expect, count;
	bool strict;
	void *hdr;

	mutex_lock(&fn->lock);
	strict = READ_ONCE(fn->strict);
	max_expect = READ_ONCE(fn->max_expect);
	count = fn->count;
	mutex_unlock(&fn->lock);

	msg = genlmsg_new(nla_total_size(sizeof(u8)) +
			  3 * nla_total_size(sizeof(u32)) +
			  nla_total_size(sizeof(FPM_VERSION)), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &fpm_genl_family, 0,
				FPM_CMD_CONFIG_GET);
	if (!hdr ||
	    nla_put_u8(msg, FPM_A_STRICT, strict) ||
	    nla_put_u32(msg, FPM_A_MAX_EXPECT, max_expect) ||
	    nla_put_u32(msg, FPM_A_MAP_COUNT, count) ||
	    nla_put_u32(msg, FPM_A_MAP_MAX, fpm_max_mappings) ||
	    nla_put_string(msg, FPM_A_VERSION, FPM_VERSION)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}

	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int fpm_nl_config_set(struct sk_buff *skb, struct genl_info *info)
{
	struct fpm_net *fn = fpm_pernet(genl_info_net(info));
	struct nlattr *strict = info->attrs[FPM_A_STRICT];
	struct nlattr *max_expect = info->attrs[FPM_A_MAX_EXPECT];

	if (!strict && !max_expect) {
		NL_SET_ERR_MSG(info->extack, "nothing to set");
		return -EINVAL;
	}

	mutex_lock(&fn->lock);
	if (strict)
		WRITE_ONCE(fn->strict, !!nla_get_u8(strict));
	if (max_expect)
		WRITE_ONCE(fn->max_expect, nla_get_u32(max_expect));
	mutex_unlock(&fn->lock);
	return 0;
}

/*
 * Every command, reads included, needs CAP_NET_ADMIN over the socket's
 * network namespace: the table describes the administrator's servers.
 * Commands without a policy get the core's reject-everything policy
 * (resv_start_op is 0, so every command is validated strictly).
 */
static const struct genl_ops fpm_genl_ops[] = {
	{
		.cmd	= FPM_CMD_MAP_ADD,
		.flags	= GENL_UNS_ADMIN_PERM,
		.policy	= fpm_map_policy,
		.maxattr = ARRAY_SIZE(fpm_map_policy) - 1,
		.doit	= fpm_nl_map_add,
	},
	{
		.cmd	= FPM_CMD_MAP_DEL,
		.flags	= GENL_UNS_ADMIN_PERM,
		.policy	= fpm_map_policy,
		.maxattr = ARRAY_SIZE(fpm_map_policy) - 1,
		.doit	= fpm_nl_map_del,
	},
	{
		.cmd	= FPM_CMD_MAP_GET,
		.flags	= GENL_UNS_ADMIN_PERM,
		.policy	= fpm_map_policy,
		.maxattr = ARRAY_SIZE(fpm_map_policy) - 1,
		.doit	= fpm_nl_map_get,
		.dumpit	= fpm_nl_map_dump,
	},
	{
		.cmd	= FPM_CMD_MAP_FLUSH,
		.flags	= GENL_UNS_ADMIN_PERM,
		.doit	= fpm_nl_map_flush,
	},
	{
		.cmd	= FPM_CMD_STATS_RESET,
		.flags	= GENL_UNS_ADMIN_PERM,
		.doit	= fpm_nl_stats_reset,
	},
	{
		.cmd	= FPM_CMD_STATS_GET,
		.flags	= GENL_UNS_ADMIN_PERM,
		.doit	= fpm_nl_stats_get,
	},
	{
		.cmd	= FPM_CMD_CONFIG_GET,
		.flags	= GENL_UNS_ADMIN_PERM,
		.doit	= fpm_nl_config_get,
	},
	{
		.cmd	= FPM_CMD_CONFIG_SET,
		.flags	= GENL_UNS_ADMIN_PERM,
		.policy	= fpm_config_policy,
		.maxattr = ARRAY_SIZE(fpm_config_policy) - 1,
		.doit	= fpm_nl_config_set,
	},
};

static struct genl_family fpm_genl_family __ro_after_init = {
	.name		= FTP_PORTMAP_GENL_NAME,
	.version	= FTP_PORTMAP_GENL_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.ops		= fpm_genl_ops,
	.n_ops		= ARRAY_SIZE(fpm_genl_ops),
	/* .resv_start_op left 0: strict header and policy checks for all */
};

int __init fpm_genl_init(void)
{
	int err;

	err = genl_register_family(&fpm_genl_family);
	if (err)
		pr_err("cannot register generic netlink family: %d\n", err);
	return err;
}

void fpm_genl_exit(void)
{
	genl_unregister_family(&fpm_genl_family);
}
