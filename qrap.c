// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * qrap.c - Connect to passt's socket and run qemu on it (placeholder)
 */

#include <stdio.h>
#include <stdlib.h>

/**
 * main() - Entry point
 * @argc:	Argument count
 * @argv:	Arguments
 *
 * Return: 1
 */
int main(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "Usage: %s FDNUM QEMU_CMD ...\n", argv[0]);
	return EXIT_FAILURE;
}
