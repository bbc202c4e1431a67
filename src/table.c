// SPDX-License-Identifier: GPL-2.0
/*
 * table.c - the per-namespace port-mapping table.
 *
 * Readers (the packet path, dumps) walk it under rcu_read_lock(); writers
 * hold fpm_net.lock.  The 65536 ports are split into FPM_TBL_HI chunks of
 * FPM_TBL_LO chains; a chunk is allocated with the first mapping in its
 * range and kept until the namespace goes, so a lookup is two array
 * indexes and a short chain walk.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/rculist.h>
#include <net/netfilter/nf_conntrack.h>

#include "ftp_portmap.h"

static size_t fpm_addr_len(u8 family)
{
	return family == AF_INET6 ? sizeof(struct in6_addr) :
	       family == AF_INET ? sizeof(struct in_addr) : 0;
}

static bool fpm_key_equal(const struct fpm_key *a, const struct fpm_key *b)
{
	return a->port == b->port && a->family == b->family &&
	       !memcmp(&a->addr, &b->addr, fpm_addr_len(a->family));
}

static struct hlist_head *fpm_chain_rcu(struct fpm_net *fn, u16 port)
{
	struct fpm_chunk *c = rcu_dereference_check(fn->chunk[port >>
						    FPM_TBL_BITS_LO],
						    lockdep_is_held(&fn->lock));

	return c ? &c->chain[port & (FPM_TBL_LO - 1)] : NULL;
}

struct fpm_counters *fpm_counters_get(struct fpm_counters *c)
{
	if (c && !refcount_inc_not_zero(&c->ref))
		return NULL;
	return c;
}

void fpm_counters_put(struct fpm_counters *c)
{
	if (c && refcount_dec_and_test(&c->ref))
		kfree_rcu(c, rcu);
}

static void fpm_map_free_rcu(struct rcu_head *head)
{
	struct fpm_map *m = container_of(head, struct fpm_map, rcu);

	fpm_counters_put(m->ctr);
	kfree(m);
}

static void fpm_map_unlink(struct fpm_net *fn, struct fpm_map *m)
{
	lockdep_assert_held(&fn->lock);
	hlist_del_rcu(&m->node);
	fn->count--;
	if (!fn->count)
		fpm_attach_disable(fn);
	call_rcu(&m->rcu, fpm_map_free_rcu);
}

int fpm_table_init(struct fpm_net *fn)
{
	fn->count = 0;
	return 0;
}

void fpm_table_exit(struct fpm_net *fn)
{
	unsigned int i;

	fpm_map_flush(fn);
	/* No reader is left: the hooks are gone and so is netlink access. */
	synchronize_rcu();
	for (i = 0; i < FPM_TBL_HI; i++)
		kfree(rcu_dereference_protected(fn->chunk[i], 1));
}

struct fpm_map *fpm_map_find(struct fpm_net *fn, const struct fpm_key *key)
{
	struct hlist_head *chain = fpm_chain_rcu(fn, key->port);
	struct fpm_map *m;

	if (!chain)
		return NULL;
	hlist_for_each_entry_rcu(m, chain, node, lockdep_is_held(&fn->lock))
		if (fpm_key_equal(&m->key, key))
			return m;
	return NULL;
}

struct fpm_map *fpm_map_lookup(struct fpm_net *fn, u16 port, u8 family,
			       const union nf_inet_addr *addr)
{
	struct hlist_head *chain = fpm_chain_rcu(fn, port);
	struct fpm_map *m, *wild = NULL;

	if (!chain)
		return NULL;
	hlist_for_each_entry_rcu(m, chain, node) {
		if (!m->key.family)
			wild = m;
		else if (m->key.family == family &&
			 !memcmp(&m->key.addr, addr, fpm_addr_len(family)))
			return m;
	}
	return wild;
}

int fpm_map_add(struct fpm_net *fn, const struct fpm_key *key,
		struct netlink_ext_ack *extack)
{
	unsigned int hi = key->port >> FPM_TBL_BITS_LO;
	struct fpm_chunk *chunk;
	struct fpm_map *m;
	int err;

	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	m->ctr = kzalloc(sizeof(*m->ctr), GFP_KERNEL);
	if (!m->ctr) {
		kfree(m);
		return -ENOMEM;
	}
	refcount_set(&m->ctr->ref, 1);
	m->key = *key;

	mutex_lock(&fn->lock);
	if (fpm_map_find(fn, key)) {
		NL_SET_ERR_MSG(extack, "mapping exists");
		err = -EEXIST;
		goto err_unlock;
	}
	if (fn->count >= READ_ONCE(fpm_max_mappings)) {
		NL_SET_ERR_MSG(extack,
			       "mapping table full (module parameter max_mappings)");
		err = -ENOSPC;
		goto err_unlock;
	}
	chunk = rcu_dereference_protected(fn->chunk[hi],
					  lockdep_is_held(&fn->lock));
	if (!chunk) {
		chunk = kzalloc(sizeof(*chunk), GFP_KERNEL);
		if (!chunk) {
			err = -ENOMEM;
			goto err_unlock;
		}
		rcu_assign_pointer(fn->chunk[hi], chunk);
	}
	if (!fn->count) {
		/* Mapped connections need conntrack and our hooks here. */
		err = fpm_attach_enable(fn);
		if (err) {
			NL_SET_ERR_MSG(extack,
				       "cannot enable connection tracking in this namespace");
			goto err_unlock;
		}
	}
	/* Host-specific entries first, so a lookup can stop at the first hit. */
	if (key->family)
		hlist_add_head_rcu(&m->node,
				   &chunk->chain[key->port & (FPM_TBL_LO - 1)]);
	else
		hlist_add_tail_rcu(&m->node,
				   &chunk->chain[key->port & (FPM_TBL_LO - 1)]);
	fn->count++;
	mutex_unlock(&fn->lock);
	return 0;

err_unlock:
	mutex_unlock(&fn->lock);
	kfree(m->ctr);
	kfree(m);
	return err;
}

int fpm_map_del(struct fpm_net *fn, const struct fpm_key *key,
		struct netlink_ext_ack *extack)
{
	struct fpm_map *m;

	mutex_lock(&fn->lock);
	m = fpm_map_find(fn, key);
	if (!m) {
		mutex_unlock(&fn->lock);
		NL_SET_ERR_MSG(extack, "no such mapping");
		return -ENOENT;
	}
	fpm_map_unlink(fn, m);
	mutex_unlock(&fn->lock);
	return 0;
}

void fpm_map_flush(struct fpm_net *fn)
{
	struct hlist_node *tmp;
	struct fpm_chunk *c;
	struct fpm_map *m;
	unsigned int i, j;

	mutex_lock(&fn->lock);
	for (i = 0; i < FPM_TBL_HI && fn->count; i++) {
		c = rcu_dereference_protected(fn->chunk[i],
					      lockdep_is_held(&fn->lock));
		if (!c)
			continue;
		for (j = 0; j < FPM_TBL_LO; j++)
			hlist_for_each_entry_safe(m, tmp, &c->chain[j], node)
				fpm_map_unlink(fn, m);
		cond_resched();
	}
	mutex_unlock(&fn->lock);
}

struct fpm_map *fpm_map_next(struct fpm_net *fn, u32 *port, u32 *idx)
{
	struct hlist_head *chain;
	struct fpm_map *m;
	u32 i;

	for (; *port < 65536; (*port)++, *idx = 0) {
		if (!(*port & (FPM_TBL_LO - 1)) &&
		    !rcu_access_pointer(fn->chunk[*port >> FPM_TBL_BITS_LO])) {
			*port |= FPM_TBL_LO - 1;
			continue;
		}
		chain = fpm_chain_rcu(fn, *port);
		if (!chain)
			continue;
		i = 0;
		hlist_for_each_entry_rcu(m, chain, node) {
			if (i++ == *idx) {
				(*idx)++;
				return m;
			}
		}
	}
	return NULL;
}
