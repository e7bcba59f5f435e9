/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cases of the config-write revoke predicate (vpd_cfg_write_peeks() and
 * vpd_cfg_peek_revokes()): which config writes may make BAR memory
 * unusable, on a device with PM at 0x40, PCIe at 0x70 and AF at 0xc0.
 */
#ifndef VPD_TEST_CFG_H
#define VPD_TEST_CFG_H

#include "case_types.h"

#define VPDT_CAPS { 0x40, 0x70, 0xc0 }
#define VPDT_NO_CAPS { 0, 0, 0 }

static const struct vpd_cfg_write_case vpd_cfg_write_cases[] = {
	{ "command_mem_off", VPDT_CAPS, 0x04, 2, { 0x04, 0x00 }, 1 },
	{ "command_mem_on_bus_master", VPDT_CAPS, 0x04, 2, { 0x06, 0x00 }, 0 },
	{ "command_low_byte_mem_off", VPDT_CAPS, 0x04, 1, { 0x00 }, 1 },
	{ "command_high_byte_only", VPDT_CAPS, 0x05, 1, { 0x00 }, 0 },
	{ "command_and_status_dword", VPDT_CAPS, 0x04, 4, { 0x00, 0x00, 0xff, 0xff }, 1 },
	{ "vendor_id_dword", VPDT_CAPS, 0x00, 4, { 0x00, 0x00, 0x00, 0x00 }, 0 },
	{ "dword_from_0_reaches_command", VPDT_CAPS, 0x00, 8,
	  { 0, 0, 0, 0, 0x04, 0x00, 0, 0 }, 1 },
	{ "bar0_write", VPDT_CAPS, 0x10, 4, { 0xff, 0xff, 0xff, 0xff }, 0 },
	{ "pmcsr_d3hot", VPDT_CAPS, 0x44, 2, { 0x03, 0x00 }, 1 },
	{ "pmcsr_d1", VPDT_CAPS, 0x44, 1, { 0x01 }, 1 },
	{ "pmcsr_d0_pme_enable", VPDT_CAPS, 0x44, 2, { 0x00, 0x01 }, 0 },
	{ "pmcsr_without_pm_cap", VPDT_NO_CAPS, 0x44, 2, { 0x03, 0x00 }, 0 },
	{ "devctl_flr", VPDT_CAPS, 0x78, 2, { 0x00, 0x80 }, 1 },
	{ "devctl_flr_high_byte", VPDT_CAPS, 0x79, 1, { 0x80 }, 1 },
	{ "devctl_other_bits", VPDT_CAPS, 0x78, 2, { 0xff, 0x7f }, 0 },
	{ "devctl_without_pcie", VPDT_NO_CAPS, 0x78, 2, { 0x00, 0x80 }, 0 },
	{ "af_flr", VPDT_CAPS, 0xc5, 1, { 0x01 }, 1 },
	{ "af_ctrl_other_bits", VPDT_CAPS, 0xc5, 1, { 0xfe }, 0 },
	{ "af_cap_byte", VPDT_CAPS, 0xc4, 1, { 0xff }, 0 },
	{ "af_dword", VPDT_CAPS, 0xc4, 4, { 0x00, 0x01, 0x00, 0x00 }, 1 },
	{ "extended_config", VPDT_CAPS, 0x100, 4, { 0xff, 0xff, 0xff, 0xff }, 0 },
	/* Registers at the end of config space, and past it (never written). */
	{ "pmcsr_last_byte", { 0xffb, 0, 0 }, 0xffc, 4, { 0, 0, 0, 0x03 }, 1 },
	{ "pmcsr_past_config_space", { 0xffc, 0, 0 }, 0x1000, 1, { 0x03 }, 0 },
	{ "devctl_past_config_space", { 0, 0xff8, 0 }, 0xffc, 8, { 0, 0, 0, 0, 0, 0x80, 0, 0 }, 0 },
	{ "af_past_config_space", { 0, 0, 0xffb }, 0xffc, 8, { 0, 0, 0, 0, 0x01, 0, 0, 0 }, 0 },
	{ "command_with_caps_past_config_space", { 0xffc, 0xff8, 0xffb }, 0x04, 1, { 0x00 }, 1 },
};

#endif /* VPD_TEST_CFG_H */
