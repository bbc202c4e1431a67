// SPDX-License-Identifier: GPL-2.0
/*
 * ftp_portmap - FTP ALG with a runtime per-namespace port-mapping table.
 *
 * main.c: module parameters, per-namespace state and the order in which
 * the subsystems come up and go down.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/memcontrol.h>
#include <linux/sched/mm.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "ftp_portmap.h"

unsigned int fpm_net_id __read_mostly;

unsigned int fpm_max_mappings __read_mostly = 262144;
module_param_named(max_mappings, fpm_max_mappings, uint, 0444);
MODULE_PARM_DESC(max_mappings,
		 "most port mappings one network namespace may hold (default 262144)");

u64 fpm_stat_read(struct fpm_net *fn, enum fpm_stat s)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		const struct fpm_pcpu *p = per_cpu_ptr(fn->pcpu, cpu);
		unsigned int start;
		u64 v;

		do {
			start = u64_stats_fetch_begin(&p->syncp);
			v = u64_stats_read(&p->stat[s]);
		} while (u64_stats_fetch_retry(&p->syncp, start));
		sum += v;
	}
	return sum;
}

/*
 * Counters of the namespace and of its mappings back to zero.  An
 * increment racing with this may survive it; nothing else.
 */
void fpm_stats_reset(struct fpm_net *fn)
{
	unsigned int i, cpu;

	for_each_possible_cpu(cpu) {
		struct fpm_pcpu *p = per_cpu_ptr(fn->pcpu, cpu);

		for (i = 0; i < __FPM_STAT_MAX; i++)
			u64_stats_set(&p->stat[i], 0);
	}
	fpm_map_ctr_reset(fn);
}

static int __net_init fpm_net_init(struct net *net)
{
	struct fpm_net *fn = fpm_pernet(net);
	int cpu;

	fn->net = net;
	mutex_init(&fn->lock);
	fn->strict = FPM_DEFAULT_STRICT;
	fn->max_expect = FPM_DEFAULT_MAX_EXPECT;
	fn->pcpu = alloc_percpu_gfp(struct fpm_pcpu, GFP_KERNEL_ACCOUNT);
	if (!fn->pcpu)
		return -ENOMEM;
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(fn->pcpu, cpu)->syncp);
	/*
	 * Per-connection state is allocated in softirq context: charge it to
	 * the memory cgroup of whoever made the namespace (for namespaces
	 * that exist when the module loads: of the loader).
	 */
	fn->memcg = get_mem_cgroup_from_mm(current->mm);
	fpm_table_init(fn);
	fpm_conns_init(fn);
	return 0;
}

/* From here on help() and destroy() leave this namespace's states alone. */
static void __net_exit fpm_net_pre_exit(struct net *net)
{
	struct fpm_net *fn = fpm_pernet(net);

	WRITE_ONCE(fn->dead, true);
	fpm_conns_pre_exit(fn);
}

static void __net_exit fpm_net_exit(struct net *net)
{
	struct fpm_net *fn = fpm_pernet(net);

	fpm_table_exit(fn);
	fpm_conns_exit(fn);
	mem_cgroup_put(fn->memcg);
	free_percpu(fn->pcpu);
}

static struct pernet_operations fpm_net_ops = {
	.init = fpm_net_init,
	.pre_exit = fpm_net_pre_exit,
	.exit = fpm_net_exit,
	.id = &fpm_net_id,
	.size = sizeof(struct fpm_net),
};

static int __init fpm_init(void)
{
	int err;

	if (!fpm_max_mappings) {
		pr_err("max_mappings must be at least 1\n");
		return -EINVAL;
	}

	/* Per-namespace state first: the helper and netlink use it. */
	err = register_pernet_subsys(&fpm_net_ops);
	if (err)
		return err;
	err = fpm_helper_init();
	if (err)
		goto err_pernet;
	err = fpm_genl_init();
	if (err)
		goto err_helper;

	pr_info("version %s loaded\n", FPM_VERSION);
	return 0;

err_helper:
	fpm_helper_exit();
err_pernet:
	unregister_pernet_subsys(&fpm_net_ops);
	rcu_barrier();
	return err;
}

static void __exit fpm_exit(void)
{
	fpm_genl_exit();
	/* No new state or expectation; ours are removed. */
	fpm_helper_quiesce();
	/* Connections stay, without the helper (their seqadj goes on). */
	fpm_helper_exit();
	/* Then what is left of each namespace's state and table. */
	unregister_pernet_subsys(&fpm_net_ops);
	/* No RCU callback of ours may run after the module is gone. */
	rcu_barrier();
	pr_info("unloaded\n");
}

module_init(fpm_init);
module_exit(fpm_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("FTP ALG with a runtime per-namespace port-mapping table");
MODULE_VERSION(FPM_VERSION);
MODULE_ALIAS("nfct-helper-" FTP_PORTMAP_HELPER_NAME);
MODULE_ALIAS_GENL_FAMILY(FTP_PORTMAP_GENL_NAME);
