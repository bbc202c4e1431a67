// SPDX-License-Identifier: GPL-2.0
/*
 * fpm_splat: a test module that makes one deliberate kernel splat when it
 * is loaded, chosen by the "kind" parameter, so that tests/vm/selftest.sh
 * can check that the test VM (tests/vm/stage2.sh) fails a job on it.
 * Never part of ftp_portmap.ko.
 *
 *   none      nothing (the job must pass)
 *   warn      WARN()
 *   uaf       a read after kfree (KASAN)
 *   leak      an allocation whose only pointer is dropped (kmemleak)
 *   lockdep   two mutexes taken in both orders (lockdep)
 *   rcu       rcu_dereference() outside a read-side section (PROVE_RCU)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/string.h>

static char *kind = "none";
module_param(kind, charp, 0444);
MODULE_PARM_DESC(kind, "none, warn, uaf, leak, lockdep or rcu");

static DEFINE_MUTEX(fpm_splat_a);
static DEFINE_MUTEX(fpm_splat_b);
static int __rcu *fpm_splat_ptr;

static noinline int fpm_splat_uaf(void)
{
	char *p = kmalloc(64, GFP_KERNEL);
	char c;

	if (!p)
		return -ENOMEM;
	memset(p, 0x5a, 64);
	kfree(p);
	c = READ_ONCE(p[17]);
	pr_info("read %d after kfree\n", c);
	return 0;
}

static noinline int fpm_splat_leak(void)
{
	void *p = kmalloc(200, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	memset(p, 0xa5, 200);
	pr_info("dropped the only pointer to a 200-byte object\n");
	return 0;
}

static noinline void fpm_splat_lockdep(void)
{
	mutex_lock(&fpm_splat_a);
	mutex_lock(&fpm_splat_b);
	mutex_unlock(&fpm_splat_b);
	mutex_unlock(&fpm_splat_a);

	mutex_lock(&fpm_splat_b);
	mutex_lock(&fpm_splat_a);
	mutex_unlock(&fpm_splat_a);
	mutex_unlock(&fpm_splat_b);
}

static noinline void fpm_splat_rcu(void)
{
	int *p = rcu_dereference(fpm_splat_ptr);

	pr_info("rcu_dereference outside rcu_read_lock: %p\n", p);
}

static int __init fpm_splat_init(void)
{
	pr_info("kind=%s\n", kind);
	if (!strcmp(kind, "none"))
		return 0;
	if (!strcmp(kind, "warn")) {
		WARN(1, "fpm_splat: deliberate warning\n");
		return 0;
	}
	if (!strcmp(kind, "uaf"))
		return fpm_splat_uaf();
	if (!strcmp(kind, "leak"))
		return fpm_splat_leak();
	if (!strcmp(kind, "lockdep")) {
		fpm_splat_lockdep();
		return 0;
	}
	if (!strcmp(kind, "rcu")) {
		fpm_splat_rcu();
		return 0;
	}
	pr_err("unknown kind %s\n", kind);
	return -EINVAL;
}

static void __exit fpm_splat_exit(void)
{
}

module_init(fpm_splat_init);
module_exit(fpm_splat_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Deliberate splats for the test VM's splat check");
