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
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "ftp_portmap.h"

unsigned int fpm_net_id __read_mostly;

unsigned int fpm_max_mappings __read_mostly = 262144;
module_param_named(max_mappings, fpm_max_mappings, uint, 0444);
MODULE_PARM_DESC(max_mappings,
		 "most port mappings one network namespace may hold (default 262144)");

static int __net_init fpm_net_init(struct net *net)
{
	struct fpm_net *fn = fpm_pernet(net);

	fn->net = net;
	mutex_init(&fn->lock);
	fn->strict = FPM_DEFAULT_STRICT;
	fn->max_expect = FPM_DEFAULT_MAX_EXPECT;

	return fpm_table_init(fn);
}

static void __net_exit fpm_net_exit(struct net *net)
{
	struct fpm_net *fn = fpm_pernet(net);

	fpm_table_exit(fn);
}

static struct pernet_operations fpm_net_ops = {
	.init = fpm_net_init,
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

	err = fpm_helper_init();
	if (err)
		return err;
	err = register_pernet_subsys(&fpm_net_ops);
	if (err)
		goto err_helper;
	err = fpm_genl_init();
	if (err)
		goto err_pernet;

	pr_info("version %s loaded\n", FPM_VERSION);
	return 0;

err_pernet:
	unregister_pernet_subsys(&fpm_net_ops);
err_helper:
	fpm_helper_exit();
	return err;
}

static void __exit fpm_exit(void)
{
	fpm_genl_exit();
	/* Connections stay; their helper stops using what goes next. */
	fpm_helper_quiesce();
	unregister_pernet_subsys(&fpm_net_ops);
	fpm_helper_exit();
	pr_info("unloaded\n");
}

module_init(fpm_init);
module_exit(fpm_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("FTP ALG with a runtime per-namespace port-mapping table");
MODULE_VERSION(FPM_VERSION);
MODULE_ALIAS("nfct-helper-" FTP_PORTMAP_HELPER_NAME);
MODULE_ALIAS_GENL_FAMILY(FTP_PORTMAP_GENL_NAME);
