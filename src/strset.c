/* Case-insensitive string sets: open addressing, FNV-1a over lowercase. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mailsift/strset.h"

struct entry {
	char *s; /* owned, lowercase */
	size_t len;
	uint32_t hash;
};

struct strset {
	struct entry *slots; /* owned */
	size_t cap;	     /* power of two */
	size_t count;
};

static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static uint32_t hash_lower(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= lower((unsigned char)s[i]);
		h *= 16777619u;
	}
	return h;
}

static int equal_lower(const struct entry *e, const char *s, size_t len)
{
	if (e->len != len)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (e->s[i] != (char)lower((unsigned char)s[i]))
			return 0;
	return 1;
}

struct strset *strset_new(void)
{
	struct strset *set = calloc(1, sizeof(*set));

	if (set == NULL)
		return NULL;
	set->cap = 16;
	set->slots = calloc(set->cap, sizeof(struct entry));
	if (set->slots == NULL) {
		free(set);
		return NULL;
	}
	return set;
}

void strset_free(struct strset **set)
{
	if (*set == NULL)
		return;
	for (size_t i = 0; i < (*set)->cap; i++)
		free((*set)->slots[i].s);
	free((*set)->slots);
	free(*set);
	*set = NULL;
}

size_t strset_count(const struct strset *set)
{
	return set == NULL ? 0 : set->count;
}

static struct entry *find_slot(struct entry *slots, size_t cap, const char *s, size_t len,
			       uint32_t h)
{
	size_t i = h & (cap - 1);

	while (slots[i].s != NULL && !(slots[i].hash == h && equal_lower(&slots[i], s, len)))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static int grow(struct strset *set)
{
	size_t ncap = set->cap * 2;
	struct entry *n = calloc(ncap, sizeof(*n));

	if (n == NULL)
		return -1;
	for (size_t i = 0; i < set->cap; i++) {
		struct entry *e = &set->slots[i];
		if (e->s != NULL)
			*find_slot(n, ncap, e->s, e->len, e->hash) = *e;
	}
	free(set->slots);
	set->slots = n;
	set->cap = ncap;
	return 0;
}

int strset_add(struct strset *set, const char *s, size_t len)
{
	uint32_t h = hash_lower(s, len);
	struct entry *e;

	if ((set->count + 1) * 2 > set->cap && grow(set) < 0)
		return -1;
	e = find_slot(set->slots, set->cap, s, len, h);
	if (e->s != NULL)
		return 0;
	e->s = malloc(len + 1);
	if (e->s == NULL)
		return -1;
	for (size_t i = 0; i < len; i++)
		e->s[i] = (char)lower((unsigned char)s[i]);
	e->s[len] = '\0';
	e->len = len;
	e->hash = h;
	set->count++;
	return 0;
}

int strset_has(const struct strset *set, const char *s, size_t len)
{
	if (set == NULL || set->count == 0)
		return 0;
	return find_slot(set->slots, set->cap, s, len, hash_lower(s, len))->s != NULL;
}
