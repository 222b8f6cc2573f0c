// SPDX-License-Identifier: GPL-2.0
/*
 * replicactl: a command's options are a table of struct opt_spec. Each
 * entry names the option, says how to parse its argument and where in the
 * command's argument struct to put it, and gives its --help line; so the
 * parsing and the help of all commands come from the same few functions.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "replicactl.h"

/*
 * A decimal number, or a hexadecimal one with 0x, at most @max. strtoull()
 * alone would take "-1" (as its negation) and " 7"; neither is meant.
 */
int parse_uint(const char *s, uint64_t max, uint64_t *v)
{
	int base = 10;
	char *end;

	if (!strncasecmp(s, "0x", 2)) {
		base = 16;
		s += 2;
	}
	if (base == 10 ? !isdigit((unsigned char)*s) : !isxdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*v = strtoull(s, &end, base);
	return *end || errno || *v > max ? -1 : 0;
}

/* An id given as an argument; a usage error when it is not one. */
int parse_id(const char *s, const char *what, uint64_t max, uint64_t *v)
{
	if (!parse_uint(s, max, v))
		return 0;
	err("%s: '%s' is not a number from 0 to %" PRIu64, what, s, max);
	return -1;
}

/* Append @item to the comma-separated @list, which grows as needed. */
int list_append(char **list, const char *item)
{
	size_t len = *list ? strlen(*list) + 1 : 0;
	char *p = realloc(*list, len + strlen(item) + 1);

	if (!p) {
		err("out of memory");
		return -1;
	}
	if (len)
		p[len - 1] = ',';
	strcpy(p + len, item);
	*list = p;
	return 0;
}

int opt_flag(const struct opt_spec *s, const char *arg, void *field)
{
	(void)s;
	(void)arg;
	*(bool *)field = true;
	return 0;
}

int opt_string(const struct opt_spec *s, const char *arg, void *field)
{
	(void)s;
	*(const char **)field = arg;
	return 0;
}

/* A name field of the ABI: DM_REPLICA_NAME_LEN bytes, NUL included. */
int opt_name(const struct opt_spec *s, const char *arg, void *field)
{
	if (strlen(arg) >= DM_REPLICA_NAME_LEN) {
		err("--%s: %zu characters, at most %d fit", s->name, strlen(arg),
		    DM_REPLICA_NAME_LEN - 1);
		return -1;
	}
	strcpy(field, arg);
	return 0;
}

/*
 * A list option that may be repeated: the values add up, so that
 * "--source-elements a --source-elements b" means "a,b".
 */
int opt_list(const struct opt_spec *s, const char *arg, void *field)
{
	(void)s;
	return list_append(field, arg);
}

/* A __u16 value of the standard: a word of s->values, or a number. */
int opt_value(const struct opt_spec *s, const char *arg, void *field)
{
	char words[512];
	unsigned int v;

	if (parse_value(s->values, arg, &v)) {
		value_words(s->values, ", ", words, sizeof(words));
		err("--%s: '%s' is no %s: %s (0 to 65535)", s->name, arg, s->values->what, words);
		return -1;
	}
	*(uint16_t *)field = (uint16_t)v;
	return 0;
}

/* Seconds, fractions allowed, into a long long of milliseconds. */
int opt_seconds(const struct opt_spec *s, const char *arg, void *field)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || *end || errno || !isfinite(v) || v < 0 || v > 1e9) {
		err("--%s: '%s' is not a number of seconds", s->name, arg);
		return -1;
	}
	*(long long *)field = (long long)(v * 1000 + 0.5);
	return 0;
}

/*
 * A chunk size into a uint32_t of sectors: a number of 512-byte sectors,
 * or of KiB or MiB with a k or m suffix. The pool's chunks are a power of
 * two of at least 4 KiB, the page size a copy is made of.
 */
int opt_chunk_size(const struct opt_spec *s, const char *arg, void *field)
{
	static const struct { const char *suffix; unsigned int shift; } units[] = {
		{ "", 0 }, { "s", 0 }, { "k", 1 }, { "m", 11 },
	};
	uint64_t v = 0;
	size_t i, len = strspn(arg, "0123456789");
	char num[24];

	for (i = 0; i < ARRAY_SIZE(units); i++)
		if (!strcasecmp(arg + len, units[i].suffix))
			break;
	if (len && len < sizeof(num) && i < ARRAY_SIZE(units)) {
		memcpy(num, arg, len);
		num[len] = '\0';
		if (!parse_uint(num, UINT32_MAX >> units[i].shift, &v))
			v <<= units[i].shift;
	}
	if (v < 8 || v > UINT32_MAX || (v & (v - 1))) {
		err("--%s: '%s' is not a power of two of at least 4k (sectors, or k or m)",
		    s->name, arg);
		return -1;
	}
	*(uint32_t *)field = (uint32_t)v;
	return 0;
}

/* Print @text from column @col, wrapped at spaces before column 79. */
void print_wrapped(const char *text, int col)
{
	const char *p = text;
	int room = 79 - col;

	while (*p) {
		int len = (int)strlen(p);

		if (len > room) {
			len = room;
			while (len > 0 && p[len] != ' ')
				len--;
			if (!len)
				len = (int)strcspn(p, " ");
		}
		printf("%*s%.*s\n", col, "", len, p);
		p += len;
		p += strspn(p, " ");
	}
}

/* Help lines longer than this list the words of a value on a line of their own. */
#define HELP_ARG_MAX	40

/* The --help lines of @opts: the option and its argument, then its use. */
void opt_help(const struct opt_spec *opts, size_t n)
{
	char words[512], line[600];
	size_t i;

	for (i = 0; i < n; i++) {
		const struct opt_spec *s = &opts[i];
		const char *arg = s->arg;

		words[0] = '\0';
		if (s->values) {
			value_words(s->values, "|", words, sizeof(words));
			if (strlen(words) <= HELP_ARG_MAX)
				arg = words;
			else
				value_words(s->values, ", ", words, sizeof(words));
		}
		printf("  --%s%s%s\n", s->name, arg ? " " : "", arg ? arg : "");
		print_wrapped(s->help, 8);
		if (arg != words && words[0]) {
			snprintf(line, sizeof(line), "%s: %s.", s->arg, words);
			print_wrapped(line, 8);
		}
	}
}
