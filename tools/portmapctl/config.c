// SPDX-License-Identifier: GPL-2.0
/*
 * portmapctl config show|set: the settings of the caller's namespace.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <linux/genetlink.h>
#include <libmnl/libmnl.h>

#include "portmapctl.h"

#define HAVE_STRICT	(1u << 0)
#define HAVE_MAX_EXPECT	(1u << 1)
#define HAVE_COUNT	(1u << 2)
#define HAVE_MAX	(1u << 3)
#define HAVE_VERSION	(1u << 4)
#define HAVE_ALL	0x1fu

struct config_reply {
	struct pm_config *cfg;
	unsigned int have;
};

static int config_attr_cb(const struct nlattr *attr, void *data)
{
	struct config_reply *r = data;
	struct pm_config *c = r->cfg;

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

int pm_config_get(struct pm_config *cfg)
{
	struct config_reply r = { .cfg = cfg, .have = 0 };
	struct pm_nl *h;
	int err;

	memset(cfg, 0, sizeof(*cfg));
	h = pm_nl_open();
	if (!h)
		return -errno;
	err = pm_nl_talk(h, pm_nl_msg(h, FPM_CMD_CONFIG_GET, NLM_F_ACK),
			 config_cb, &r);
	pm_nl_close(h);
	if (!err && r.have != HAVE_ALL)
		err = -EPROTO;
	return err;
}

int pm_config_map_max(uint32_t *max)
{
	struct pm_config cfg;
	int err;

	err = pm_config_get(&cfg);
	if (!err)
		*max = cfg.map_max;
	return err;
}

static int config_show(int argc, char **argv)
{
	struct pm_config cfg;
	int err;

	if (argc > 0)
		return pm_usage_err("config show: unexpected argument '%s'",
				    argv[0]);
	err = pm_config_get(&cfg);
	if (err)
		return pm_nl_report(err, "config show");

	if (pm_json) {
		printf("{\"strict\":%s,\"max_expect\":%" PRIu32
		       ",\"mappings\":%" PRIu32 ",\"max_mappings\":%" PRIu32
		       ",\"version\":", cfg.strict ? "true" : "false",
		       cfg.max_expect, cfg.map_count, cfg.map_max);
		json_str(stdout, cfg.version);
		puts("}");
	} else {
		printf("strict          %s\n", cfg.strict ? "on" : "off");
		printf("max-expect      %" PRIu32 "\n", cfg.max_expect);
		printf("mappings        %" PRIu32 "\n", cfg.map_count);
		printf("max-mappings    %" PRIu32 "\n", cfg.map_max);
		printf("module-version  %s\n", cfg.version);
	}
	return PM_EXIT_OK;
}

static int config_set(int argc, char **argv)
{
	bool have_strict = false, have_max = false, strict = false;
	uint32_t max_expect = 0;
	struct nlmsghdr *nlh;
	struct pm_nl *h;
	int i, err;

	for (i = 0; i < argc; i += 2) {
		const char *kw = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(kw, "strict")) {
			if (have_strict)
				return pm_usage_err("config set: 'strict' given twice");
			if (!val || pm_parse_bool(val, &strict))
				return pm_usage_err("config set: strict needs 'on' or 'off'");
			have_strict = true;
		} else if (!strcmp(kw, "max-expect") ||
			   !strcmp(kw, "max_expect")) {
			if (have_max)
				return pm_usage_err("config set: 'max-expect' given twice");
			if (!val || pm_parse_u32(val, &max_expect))
				return pm_usage_err("config set: max-expect needs a number");
			have_max = true;
		} else {
			return pm_usage_err("config set: unknown setting '%s'",
					    kw);
		}
	}
	if (!have_strict && !have_max)
		return pm_usage_err("config set: nothing to set (strict on|off, max-expect N)");

	h = pm_nl_open();
	if (!h)
		return pm_nl_report(-errno, "config set");
	nlh = pm_nl_msg(h, FPM_CMD_CONFIG_SET, NLM_F_ACK);
	if (have_strict)
		mnl_attr_put_u8(nlh, FPM_A_STRICT, strict ? 1 : 0);
	if (have_max)
		mnl_attr_put_u32(nlh, FPM_A_MAX_EXPECT, max_expect);
	err = pm_nl_talk(h, nlh, NULL, NULL);
	pm_nl_close(h);
	return err ? pm_nl_report(err, "config set") : PM_EXIT_OK;
}

static const char config_usage[] =
"Usage: portmapctl [--json] config show\n"
"       portmapctl config set [strict on|off] [max-expect N]\n"
"  strict on|off  the module's strict checks of data-channel commands\n"
"                 (e.g. refusing data ports below 1024)\n"
"  max-expect N   pending data-channel expectations per control\n"
"                 connection\n";

int do_config(int argc, char **argv)
{
	if (argc < 1 || !strcmp(argv[0], "show") || !strcmp(argv[0], "list"))
		return config_show(argc < 1 ? 0 : argc - 1, argv + 1);
	if (!strcmp(argv[0], "set"))
		return config_set(argc - 1, argv + 1);
	if (!strcmp(argv[0], "help")) {
		fputs(config_usage, stdout);
		return PM_EXIT_OK;
	}
	return pm_usage_err("config: unknown command '%s'", argv[0]);
}
