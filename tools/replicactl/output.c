// SPDX-License-Identifier: GPL-2.0
/*
 * replicactl: output of fields, as text for people or as one JSON object
 * for scripts.
 *
 * A command describes what it prints once, field by field; each field has
 * a JSON key and a text label. A field without a label is for JSON only,
 * so that a command can print its own text layout (a table, one summary
 * line) beside the same JSON fields. Text fields are "label value" lines,
 * indented by nesting; JSON keeps the keys in the order given, which
 * scripts may rely on (the first "copy_state" of a group is the group's).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "replicactl.h"

#define MAX_DEPTH	8
#define LABEL_WIDTH	20

/* One level of nesting: an object or a list. */
struct level {
	bool first;	/* nothing printed in it yet (JSON) */
	int indent;	/* of its fields, in steps of two spaces (text) */
};

static struct {
	bool json;
	int depth;
	struct level at[MAX_DEPTH];
} out;

void out_init(bool json)
{
	out.json = json;
	out.depth = 0;
	out.at[0] = (struct level){ .first = true };
}

bool out_is_json(void)
{
	return out.json;
}

static void push(int indent)
{
	if (out.depth < MAX_DEPTH - 1)
		out.depth++;
	out.at[out.depth] = (struct level){ .first = true, .indent = indent };
}

static void pop(void)
{
	if (out.depth > 0)
		out.depth--;
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* The separator before a member, then its key when it has one. */
static void json_key(const char *key)
{
	if (!out.at[out.depth].first)
		printf(", ");
	out.at[out.depth].first = false;
	if (key) {
		json_string(key);
		printf(": ");
	}
}

static void json_open(const char *key, char c)
{
	json_key(key);
	putchar(c);
	push(0);
}

/* Close an object or list; the outermost one ends the output line. */
static void json_close(char c)
{
	putchar(c);
	pop();
	if (!out.depth)
		putchar('\n');
}

static void text_indent(void)
{
	printf("%*s", 2 * out.at[out.depth].indent, "");
}

/* "label value", values aligned across levels of nesting. */
static __printf(2, 3) void text_field(const char *label, const char *fmt, ...)
{
	int width = LABEL_WIDTH + 2 - 2 * out.at[out.depth].indent;
	va_list ap;

	text_indent();
	printf("%-*s ", width > 0 ? width : 0, label);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* A string from the kernel, made harmless for a terminal. */
static void text_string(const char *label, const char *s)
{
	char buf[DM_REPLICA_MESSAGE_LEN * 4];
	size_t i;

	for (i = 0; s[i] && i < sizeof(buf) - 1; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = '\0';
	text_field(label, "%s", i ? buf : "-");
}

/* Open an object: "key": { in JSON, no key at the top or in a list. */
void out_begin(const char *key)
{
	if (out.json)
		json_open(key, '{');
	else
		push(out.at[out.depth].indent);
}

/* Likewise, with a title line in text under which its fields are indented. */
void out_section(const char *key, const char *title, ...)
{
	va_list ap;

	if (out.json) {
		json_open(key, '{');
		return;
	}
	text_indent();
	va_start(ap, title);
	vprintf(title, ap);
	va_end(ap);
	putchar('\n');
	push(out.at[out.depth].indent + 1);
}

void out_end(void)
{
	if (out.json)
		json_close('}');
	else
		pop();
}

/* Open a list: its items are objects (out_begin) or plain values. */
void out_list(const char *key, const char *title)
{
	if (out.json)
		json_open(key, '[');
	else if (title)
		out_section(NULL, "%s", title);
	else
		out_begin(NULL);
}

void out_list_end(void)
{
	if (out.json)
		json_close(']');
	else
		pop();
}

void out_str(const char *key, const char *label, const char *s)
{
	if (out.json) {
		json_key(key);
		json_string(s);
	} else if (label) {
		text_string(label, s);
	}
}

void out_u64(const char *key, const char *label, uint64_t v)
{
	if (out.json) {
		json_key(key);
		printf("%" PRIu64, v);
	} else if (label) {
		text_field(label, "%" PRIu64, v);
	}
}

void out_bool(const char *key, const char *label, bool v)
{
	if (out.json) {
		json_key(key);
		printf(v ? "true" : "false");
	} else if (label) {
		text_field(label, v ? "yes" : "no");
	}
}

/* A value of the standard: its number, and its name as "<key>_name". */
void out_value(const char *key, const char *label, const struct value_table *t,
	       unsigned int v)
{
	char name_key[64];

	if (out.json) {
		out_u64(key, NULL, v);
		snprintf(name_key, sizeof(name_key), "%s_name", key);
		out_str(name_key, NULL, value_name(t, v));
	} else if (label) {
		text_field(label, "%s (%u)", value_name(t, v), v);
	}
}

void out_dev(const char *key, const char *label, const struct dm_replica_dev *d)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%u:%u", d->major, d->minor);
	out_str(key, label, buf);
}

/* A CLOCK_REALTIME time in ns: the number in JSON, the local time in text. */
void out_time(const char *key, const char *label, uint64_t ns)
{
	time_t t = (time_t)(ns / 1000000000ULL);
	char buf[64];
	struct tm tm;

	if (out.json || !label) {
		out_u64(key, label, ns);
		return;
	}
	if (!ns || !localtime_r(&t, &tm)) {
		text_field(label, "-");
		return;
	}
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
	text_field(label, "%s.%03u %s", buf, (unsigned int)(ns / 1000000 % 1000),
		   tm.tm_zone ? tm.tm_zone : "");
}

/* Milliseconds below a second, seconds above: what a person can read. */
const char *fmt_duration(uint64_t ns, char *buf, size_t size)
{
	if (ns < 1000000000ULL)
		snprintf(buf, size, "%.3f ms", ns / 1e6);
	else
		snprintf(buf, size, "%.3f s", ns / 1e9);
	return buf;
}

void out_duration(const char *key, const char *label, uint64_t ns)
{
	char buf[32];

	if (out.json || !label)
		out_u64(key, label, ns);
	else
		text_field(label, "%s", fmt_duration(ns, buf, sizeof(buf)));
}
