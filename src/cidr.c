/* CIDR network lists. */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "mailsift/cidr.h"

struct cidr {
	int family;
	unsigned char net[16];
	unsigned bits;
};

struct cidr_list {
	struct cidr *items; /* owned */
	size_t count;
	size_t cap;
};

struct cidr_list *cidr_list_new(void)
{
	return calloc(1, sizeof(struct cidr_list));
}

void cidr_list_free(struct cidr_list **list)
{
	if (*list == NULL)
		return;
	free((*list)->items);
	free(*list);
	*list = NULL;
}

size_t cidr_list_count(const struct cidr_list *list)
{
	return list == NULL ? 0 : list->count;
}

static int parse_ip(const char *s, unsigned char out[16], int *family)
{
	if (inet_pton(AF_INET, s, out) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -1;
}

/* Folds an IPv4-mapped IPv6 address (::ffff:a.b.c.d) into plain IPv4. */
static void unmap_v4(unsigned char addr[16], int *family)
{
	static const unsigned char prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (*family == AF_INET6 && memcmp(addr, prefix, 12) == 0) {
		memmove(addr, addr + 12, 4);
		*family = AF_INET;
	}
}

static int parse_bits(const char *s, unsigned max, unsigned *bits)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v > max)
		return -1;
	*bits = (unsigned)v;
	return 0;
}

static int prefix_equal(const unsigned char *a, const unsigned char *b, unsigned bits)
{
	size_t whole = bits / 8;
	unsigned rest = bits % 8;

	if (memcmp(a, b, whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

int cidr_list_add(struct cidr_list *list, const char *spec, const char **error_r)
{
	char buf[64];
	char *slash;
	struct cidr c;
	unsigned max;

	if (strlen(spec) >= sizeof(buf)) {
		*error_r = "network too long";
		return -1;
	}
	memcpy(buf, spec, strlen(spec) + 1);
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash = '\0';
	memset(&c, 0, sizeof(c));
	if (parse_ip(buf, c.net, &c.family) < 0) {
		*error_r = "invalid IP address in network";
		return -1;
	}
	max = c.family == AF_INET ? 32 : 128;
	c.bits = max;
	if (slash != NULL && parse_bits(slash + 1, max, &c.bits) < 0) {
		*error_r = "invalid prefix length in network";
		return -1;
	}
	/* clients are folded to IPv4: fold ::ffff:a.b.c.d/n the same way */
	int v6 = c.family == AF_INET6;
	unmap_v4(c.net, &c.family);
	if (v6 && c.family == AF_INET) {
		if (c.bits < 96) {
			*error_r = "IPv4-mapped network needs a prefix of at least 96 bits";
			return -1;
		}
		c.bits -= 96;
		max = 32;
	}
	/* host bits set beyond the prefix are almost always a typo */
	unsigned char masked[16];
	memcpy(masked, c.net, sizeof(masked));
	for (unsigned b = c.bits; b < max; b++)
		masked[b / 8] &= (unsigned char)~(0x80 >> (b % 8));
	if (memcmp(masked, c.net, max / 8) != 0) {
		*error_r = "network has host bits set beyond the prefix length";
		return -1;
	}
	if (list->count == list->cap) {
		size_t ncap = list->cap ? list->cap * 2 : 8;
		struct cidr *n = realloc(list->items, ncap * sizeof(*n));
		if (n == NULL) {
			*error_r = "out of memory";
			return -1;
		}
		list->items = n;
		list->cap = ncap;
	}
	list->items[list->count++] = c;
	return 0;
}

int cidr_list_match(const struct cidr_list *list, const char *ip)
{
	unsigned char addr[16];
	int family;

	if (list == NULL || ip == NULL || parse_ip(ip, addr, &family) < 0)
		return 0;
	unmap_v4(addr, &family);
	for (size_t i = 0; i < list->count; i++) {
		const struct cidr *c = &list->items[i];

		if (c->family == family && prefix_equal(addr, c->net, c->bits))
			return 1;
	}
	return 0;
}
