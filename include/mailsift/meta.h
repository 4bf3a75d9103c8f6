/* SpamAssassin meta expressions: other rules' hit counts combined with
 * ! && || + - * / < > <= >= == != and parentheses, compiled once to a
 * postfix program. && and || give an operand's value as in Perl. */
#ifndef MAILSIFT_META_H
#define MAILSIFT_META_H

#include <stddef.h>

#define META_MAX_OPS 4096
#define META_MAX_NEST 64

struct meta;

/* Maps a rule name (len bytes at name) to an index into the values given to
 * meta_eval(), or -1 for an unknown name, which then counts as 0. */
typedef int meta_resolve_fn(void *ctx, const char *name, size_t len);

int meta_compile(const char *expr, meta_resolve_fn *resolve, void *ctx, struct meta **out,
		 char *err, size_t errlen);
void meta_free(struct meta **m);
/* The indices the expression reads (with repeats). */
size_t meta_deps(const struct meta *m, const int **deps);
double meta_eval(const struct meta *m, const double *values);

#endif
