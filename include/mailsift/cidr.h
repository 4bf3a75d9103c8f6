/* Lists of IPv4/IPv6 networks in CIDR notation. */
#ifndef MAILSIFT_CIDR_H
#define MAILSIFT_CIDR_H

#include <stddef.h>

struct cidr_list;

struct cidr_list *cidr_list_new(void);
void cidr_list_free(struct cidr_list **list);
/* Adds "ADDR" or "ADDR/BITS"; -1 with *error_r set on a bad entry. */
int cidr_list_add(struct cidr_list *list, const char *spec, const char **error_r);
/* 1 if the textual address ip lies in one of the networks. An IPv4-mapped
 * IPv6 address matches IPv4 networks. */
int cidr_list_match(const struct cidr_list *list, const char *ip);
size_t cidr_list_count(const struct cidr_list *list);

#endif
