// SPDX-License-Identifier: GPL-2.0
/*
 * table.c - the per-namespace port-mapping table.
 *
 * Readers (the packet path, dumps) walk it under rcu_read_lock(); writers
 * hold fpm_net.lock.  Lookups take constant time:
 * - each port has a list (in chunks of FPM_TBL_LO ports, allocated with
 *   their first mapping): its wildcard mapping first, then its host
 *   mappings, newest first (the dump order);
 * - host mappings are also in a hash on (port, address), which grows by
 *   four times when it holds more entries than buckets.  An entry has one
 *   node per table generation, so readers of the old table keep walking
 *   intact chains while the new one is filled.
 * Every allocation is charged to the caller's memory cgroup.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/jhash.h>
#include <linux/random.h>
#include <linux/rculist.h>
#include <linux/error-injection.h>
#include <net/netfilter/nf_conntrack.h>

#include "ftp_portmap.h"

#define FPM_HTAB_MIN	64

static bool fpm_key_equal(const struct fpm_key *a, const struct fpm_key *b)
{
	return !memcmp(a, b, sizeof(*a));
}

static u32 fpm_key_hash(const struct fpm_net *fn, const struct fpm_key *k)
{
	return jhash(k, sizeof(*k), fn->hseed);
}

static struct hlist_head *fpm_port_list(struct fpm_net *fn, u16 port)
{
	struct fpm_chunk *c = rcu_dereference_check(fn->chunk[port >>
						    FPM_TBL_BITS_LO],
						    lockdep_is_held(&fn->lock));

	return c ? &c->port[port & (FPM_TBL_LO - 1)] : NULL;
}

static noinline __noclone struct fpm_htab *fpm_htab_alloc(u32 size, u8 gen)
{
	struct fpm_htab *t;

	t = kvzalloc(struct_size(t, bucket, size), GFP_KERNEL_ACCOUNT);
	if (!t)
		return NULL;
	t->mask = size - 1;
	t->gen = gen;
	return t;
}
ALLOW_ERROR_INJECTION(fpm_htab_alloc, NULL);

static void fpm_htab_insert(struct fpm_net *fn, struct fpm_htab *t,
			    struct fpm_map *m)
{
	hlist_add_head_rcu(&m->hnode[t->gen],
			   &t->bucket[fpm_key_hash(fn, &m->key) & t->mask]);
}

/* Room for one more host mapping: the hash exists and is not too full. */
static int fpm_htab_reserve(struct fpm_net *fn)
{
	struct fpm_htab *t = rcu_dereference_protected(fn->htab,
					lockdep_is_held(&fn->lock));
	struct fpm_htab *nt;
	struct fpm_map *m;
	unsigned int i, j;

	if (t && fn->hcount < t->mask + 1)
		return 0;
	nt = fpm_htab_alloc(t ? (t->mask + 1) * 4 : FPM_HTAB_MIN,
			    t ? !t->gen : 0);
	if (!nt)
		return -ENOMEM;
	/*
	 * nt links the mappings through the nodes of the hash retired last
	 * time: a reader may still walk that one until its grace period ends.
	 * (The first hash links nothing.)
	 */
	if (t)
		cond_synchronize_rcu(fn->htab_retired);
	/* Every host mapping is in some port list: relink them all. */
	for (i = 0; t && i < FPM_TBL_HI; i++) {
		struct fpm_chunk *c = rcu_dereference_protected(fn->chunk[i],
						lockdep_is_held(&fn->lock));

		for (j = 0; c && j < FPM_TBL_LO; j++)
			hlist_for_each_entry(m, &c->port[j], pnode)
				if (m->key.family)
					fpm_htab_insert(fn, nt, m);
	}
	rcu_assign_pointer(fn->htab, nt);
	if (t) {
		fn->htab_retired = get_state_synchronize_rcu();
		kvfree_rcu(t, rcu);
	}
	return 0;
}

void fpm_table_init(struct fpm_net *fn)
{
	fn->count = 0;
	fn->hcount = 0;
	fn->hseed = get_random_u32();
	fn->htab_retired = get_state_synchronize_rcu();
}

void fpm_table_exit(struct fpm_net *fn)
{
	unsigned int i;

	fpm_map_flush(fn);
	/* No reader is left: the hooks are gone and so is netlink access. */
	synchronize_rcu();
	for (i = 0; i < FPM_TBL_HI; i++)
		kfree(rcu_dereference_protected(fn->chunk[i], 1));
	kvfree(rcu_dereference_protected(fn->htab, 1));
}

struct fpm_map *fpm_map_find(struct fpm_net *fn, const struct fpm_key *key)
{
	struct hlist_head *list;
	struct fpm_htab *t;
	struct fpm_map *m;

	if (!key->family) {
		list = fpm_port_list(fn, key->port);
		if (!list)
			return NULL;
		m = hlist_entry_safe(rcu_dereference_check(hlist_first_rcu(list),
						lockdep_is_held(&fn->lock)),
				     struct fpm_map, pnode);
		return m && !m->key.family ? m : NULL;
	}
	t = rcu_dereference_check(fn->htab, lockdep_is_held(&fn->lock));
	if (!t)
		return NULL;
	hlist_for_each_entry_rcu(m, &t->bucket[fpm_key_hash(fn, key) &
					       t->mask], hnode[t->gen],
				 lockdep_is_held(&fn->lock))
		if (fpm_key_equal(&m->key, key))
			return m;
	return NULL;
}

struct fpm_map *fpm_map_lookup(struct fpm_net *fn, u16 port, u8 family,
			       const union nf_inet_addr *addr)
{
	struct fpm_key key;
	struct fpm_map *m;

	memset(&key, 0, sizeof(key));
	key.port = port;
	if (rcu_access_pointer(fn->htab)) {
		key.family = family;
		if (family == AF_INET)
			key.addr.ip = addr->ip;
		else
			key.addr.in6 = addr->in6;
		m = fpm_map_find(fn, &key);
		if (m)
			return m;
		key.family = 0;
		memset(&key.addr, 0, sizeof(key.addr));
	}
	return fpm_map_find(fn, &key);
}

static noinline __noclone struct fpm_map *fpm_map_alloc(void)
{
	return kzalloc(sizeof(struct fpm_map), GFP_KERNEL_ACCOUNT);
}
ALLOW_ERROR_INJECTION(fpm_map_alloc, NULL);

int fpm_map_add(struct fpm_net *fn, const struct fpm_key *key,
		struct netlink_ext_ack *extack)
{
	unsigned int hi = key->port >> FPM_TBL_BITS_LO;
	struct fpm_chunk *chunk;
	struct hlist_head *list;
	struct fpm_map *m, *first;
	int err;

	m = fpm_map_alloc();
	if (!m)
		return -ENOMEM;
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
		chunk = kzalloc(sizeof(*chunk), GFP_KERNEL_ACCOUNT);
		if (!chunk) {
			err = -ENOMEM;
			goto err_unlock;
		}
		rcu_assign_pointer(fn->chunk[hi], chunk);
	}
	if (key->family) {
		err = fpm_htab_reserve(fn);
		if (err)
			goto err_unlock;
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
	list = &chunk->port[key->port & (FPM_TBL_LO - 1)];
	first = hlist_entry_safe(rcu_dereference_protected(hlist_first_rcu(list),
					lockdep_is_held(&fn->lock)),
				 struct fpm_map, pnode);
	if (key->family && first && !first->key.family) {
		/* Behind the port's wildcard, newest host first. */
		hlist_add_behind_rcu(&m->pnode, &first->pnode);
	} else {
		hlist_add_head_rcu(&m->pnode, list);
	}
	if (key->family) {
		fpm_htab_insert(fn, rcu_dereference_protected(fn->htab,
					lockdep_is_held(&fn->lock)), m);
		fn->hcount++;
	}
	fn->count++;
	fn->gen++;
	mutex_unlock(&fn->lock);
	return 0;

err_unlock:
	mutex_unlock(&fn->lock);
	kfree(m);
	return err;
}

static void fpm_map_unlink(struct fpm_net *fn, struct fpm_map *m)
{
	lockdep_assert_held(&fn->lock);
	hlist_del_rcu(&m->pnode);
	if (m->key.family) {
		struct fpm_htab *t = rcu_dereference_protected(fn->htab,
						lockdep_is_held(&fn->lock));

		hlist_del_rcu(&m->hnode[t->gen]);
		fn->hcount--;
	}
	fn->count--;
	fn->gen++;
	if (!fn->count)
		fpm_attach_disable(fn);
	kfree_rcu(m, rcu);
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
			hlist_for_each_entry_safe(m, tmp, &c->port[j], pnode)
				fpm_map_unlink(fn, m);
		cond_resched();
	}
	mutex_unlock(&fn->lock);
}

void fpm_map_ctr_reset(struct fpm_net *fn)
{
	struct fpm_chunk *c;
	struct fpm_map *m;
	unsigned int i, j, k;

	mutex_lock(&fn->lock);
	for (i = 0; i < FPM_TBL_HI; i++) {
		c = rcu_dereference_protected(fn->chunk[i],
					      lockdep_is_held(&fn->lock));
		for (j = 0; c && j < FPM_TBL_LO; j++)
			hlist_for_each_entry(m, &c->port[j], pnode)
				for (k = 0; k < __FPM_CTR_MAX; k++)
					atomic64_set(&m->ctr[k], 0);
		cond_resched();
	}
	mutex_unlock(&fn->lock);
}

struct fpm_map *fpm_map_next(struct fpm_net *fn, u32 *port, u32 *idx,
			     struct fpm_map *prev)
{
	struct hlist_head *list;
	struct fpm_map *m;
	u32 i;

	/*
	 * Not from the chain's head for every mapping: a dump part of n
	 * mappings on one port costs n steps, not n * n / 2.
	 */
	if (prev) {
		m = prev;
		hlist_for_each_entry_continue_rcu(m, pnode) {
			(*idx)++;
			return m;
		}
		(*port)++;
		*idx = 0;
	}
	for (; *port < 65536; (*port)++, *idx = 0) {
		if (!(*port & (FPM_TBL_LO - 1)) &&
		    !rcu_access_pointer(fn->chunk[*port >> FPM_TBL_BITS_LO])) {
			*port |= FPM_TBL_LO - 1;
			continue;
		}
		list = fpm_port_list(fn, *port);
		if (!list)
			continue;
		i = 0;
		hlist_for_each_entry_rcu(m, list, pnode) {
			if (i++ == *idx) {
				(*idx)++;
				return m;
			}
		}
	}
	return NULL;
}
