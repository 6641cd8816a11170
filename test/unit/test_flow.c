// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * test/unit/test_flow.c - The flow table: a freed entry isn't handed out
 * again before the batch of events it was freed in is over
 */

#include "flow.h"
#include "flow_table.h"
#include "unit.h"

/**
 * main() - Run the checks
 *
 * Return: 0 if all passed
 */
int main(void)
{
	union flow *a, *b, *c;

	flow_init(FLOW_MAX);

	a = flow_alloc();
	CHECK("flow_alloc_first", a && flow_count() == 1);
	a->f.type = FLOW_TCP;
	flow_free(a);
	CHECK("flow_free_counts_at_once", !flow_count());
	CHECK("flow_free_type_none_at_once", a->f.type == FLOW_TYPE_NONE);

	b = flow_alloc();
	CHECK("flow_freed_not_reused_in_batch", b && b != a);

	flow_free_release();
	c = flow_alloc();
	CHECK("flow_freed_reused_after_batch", c == a);

	return unit_exit();
}
