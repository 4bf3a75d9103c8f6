/* A set of strings compared without regard to ASCII case (domains,
 * addresses). */
#ifndef MAILSIFT_STRSET_H
#define MAILSIFT_STRSET_H

#include <stddef.h>

struct strset;

struct strset *strset_new(void);
void strset_free(struct strset **set);
/* 0 on success (also when already present), -1 on allocation failure. */
int strset_add(struct strset *set, const char *s, size_t len);
int strset_has(const struct strset *set, const char *s, size_t len);
size_t strset_count(const struct strset *set);

#endif
