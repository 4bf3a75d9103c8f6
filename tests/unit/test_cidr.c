/* cidr: network lists in CIDR notation, their exact error messages, and
 * matching of IPv4, IPv6 and IPv4-mapped IPv6 clients.
 * Cases named "regress_*" pin bugs found and fixed. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsift/cidr.h"

static const char *E_IP = "invalid IP address in network";
static const char *E_BITS = "invalid prefix length in network";
static const char *E_HOST = "network has host bits set beyond the prefix length";

/* A list of the given networks; every one must be accepted. */
static struct cidr_list *list_of(const char *const *specs)
{
	struct cidr_list *l = cidr_list_new();
	const char *err = NULL;

	ck_assert_ptr_nonnull(l);
	for (size_t i = 0; specs[i] != NULL; i++)
		ck_assert_msg(cidr_list_add(l, specs[i], &err) == 0, "'%s' refused: %s", specs[i],
			      err ? err : "(no error)");
	return l;
}

/* The error for spec, which must be refused without growing the list. */
static const char *refusal(const char *spec)
{
	struct cidr_list *l = cidr_list_new();
	const char *err = NULL;
	int rc = cidr_list_add(l, spec, &err);

	ck_assert_msg(rc == -1, "'%s' accepted", spec);
	ck_assert_uint_eq(cidr_list_count(l), 0);
	cidr_list_free(&l);
	ck_assert_ptr_null(l);
	return err;
}

START_TEST(ipv4_networks)
{
	static const char *const specs[] = {"192.0.2.0/24", "10.0.0.0/8", "198.51.100.128/25",
					    NULL};
	struct cidr_list *l = list_of(specs);

	ck_assert_uint_eq(cidr_list_count(l), 3);
	ck_assert_int_eq(cidr_list_match(l, "192.0.2.0"), 1);
	ck_assert_int_eq(cidr_list_match(l, "192.0.2.255"), 1);
	ck_assert_int_eq(cidr_list_match(l, "192.0.3.0"), 0);
	ck_assert_int_eq(cidr_list_match(l, "192.0.1.255"), 0);
	ck_assert_int_eq(cidr_list_match(l, "10.255.255.255"), 1);
	ck_assert_int_eq(cidr_list_match(l, "11.0.0.0"), 0);
	ck_assert_int_eq(cidr_list_match(l, "198.51.100.128"), 1);
	ck_assert_int_eq(cidr_list_match(l, "198.51.100.255"), 1);
	ck_assert_int_eq(cidr_list_match(l, "198.51.100.127"), 0);
	/* an IPv4 network never matches a native IPv6 client */
	ck_assert_int_eq(cidr_list_match(l, "2001:db8::1"), 0);
	cidr_list_free(&l);
}
END_TEST

START_TEST(ipv6_networks)
{
	static const char *const specs[] = {"2001:db8::/32", "fd00:1:2:3::/64", "fe80::/10", NULL};
	struct cidr_list *l = list_of(specs);

	ck_assert_int_eq(cidr_list_match(l, "2001:db8::"), 1);
	ck_assert_int_eq(cidr_list_match(l, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"), 1);
	ck_assert_int_eq(cidr_list_match(l, "2001:db9::"), 0);
	ck_assert_int_eq(cidr_list_match(l, "2001:DB8::A"), 1);
	ck_assert_int_eq(cidr_list_match(l, "fd00:1:2:3:ffff::1"), 1);
	ck_assert_int_eq(cidr_list_match(l, "fd00:1:2:4::1"), 0);
	ck_assert_int_eq(cidr_list_match(l, "febf:ffff::1"), 1);
	ck_assert_int_eq(cidr_list_match(l, "fec0::1"), 0);
	ck_assert_int_eq(cidr_list_match(l, "192.0.2.1"), 0);
	cidr_list_free(&l);
}
END_TEST

START_TEST(host_entries)
{
	static const char *const specs[] = {"192.0.2.7", "198.51.100.1/32", "2001:db8::7",
					    "2001:db8::8/128", NULL};
	struct cidr_list *l = list_of(specs);

	ck_assert_uint_eq(cidr_list_count(l), 4);
	ck_assert_int_eq(cidr_list_match(l, "192.0.2.7"), 1);
	ck_assert_int_eq(cidr_list_match(l, "192.0.2.6"), 0);
	ck_assert_int_eq(cidr_list_match(l, "192.0.2.8"), 0);
	ck_assert_int_eq(cidr_list_match(l, "198.51.100.1"), 1);
	ck_assert_int_eq(cidr_list_match(l, "198.51.100.0"), 0);
	ck_assert_int_eq(cidr_list_match(l, "2001:db8::7"), 1);
	ck_assert_int_eq(cidr_list_match(l, "2001:db8:0:0:0:0:0:7"), 1);
	ck_assert_int_eq(cidr_list_match(l, "2001:db8::6"), 0);
	ck_assert_int_eq(cidr_list_match(l, "2001:db8::8"), 1);
	ck_assert_int_eq(cidr_list_match(l, "2001:db8::9"), 0);
	cidr_list_free(&l);
}
END_TEST

START_TEST(prefix_zero)
{
	static const char *const v4[] = {"0.0.0.0/0", NULL};
	static const char *const v6[] = {"::/0", NULL};
	struct cidr_list *l = list_of(v4);

	ck_assert_int_eq(cidr_list_match(l, "0.0.0.0"), 1);
	ck_assert_int_eq(cidr_list_match(l, "255.255.255.255"), 1);
	ck_assert_int_eq(cidr_list_match(l, "203.0.113.9"), 1);
	ck_assert_int_eq(cidr_list_match(l, "2001:db8::1"), 0);
	cidr_list_free(&l);
	l = list_of(v6);
	ck_assert_int_eq(cidr_list_match(l, "::"), 1);
	ck_assert_int_eq(cidr_list_match(l, "2001:db8::1"), 1);
	ck_assert_int_eq(cidr_list_match(l, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 1);
	ck_assert_int_eq(cidr_list_match(l, "203.0.113.9"), 0);
	cidr_list_free(&l);
}
END_TEST

START_TEST(odd_prefixes)
{
	static const char *const specs[] = {"203.0.113.64/26", "2001:db8:0:80::/57", NULL};
	struct cidr_list *l = list_of(specs);

	ck_assert_int_eq(cidr_list_match(l, "203.0.113.64"), 1);
	ck_assert_int_eq(cidr_list_match(l, "203.0.113.127"), 1);
	ck_assert_int_eq(cidr_list_match(l, "203.0.113.128"), 0);
	ck_assert_int_eq(cidr_list_match(l, "203.0.113.63"), 0);
	ck_assert_int_eq(cidr_list_match(l, "2001:db8:0:80::1"), 1);
	ck_assert_int_eq(cidr_list_match(l, "2001:db8:0:ff::1"), 1);
	ck_assert_int_eq(cidr_list_match(l, "2001:db8:0:7f::1"), 0);
	ck_assert_int_eq(cidr_list_match(l, "2001:db8:0:100::1"), 0);
	cidr_list_free(&l);
}
END_TEST

START_TEST(mapped_ipv6_client_matches_ipv4_net)
{
	static const char *const specs[] = {"192.0.2.0/24", "127.0.0.1", NULL};
	struct cidr_list *l = list_of(specs);

	ck_assert_int_eq(cidr_list_match(l, "::ffff:192.0.2.10"), 1);
	ck_assert_int_eq(cidr_list_match(l, "::FFFF:192.0.2.255"), 1);
	ck_assert_int_eq(cidr_list_match(l, "::ffff:c000:020a"), 1);
	ck_assert_int_eq(cidr_list_match(l, "::ffff:192.0.3.10"), 0);
	ck_assert_int_eq(cidr_list_match(l, "::ffff:127.0.0.1"), 1);
	ck_assert_int_eq(cidr_list_match(l, "::ffff:127.0.0.2"), 0);
	/* not mapped: the IPv4-compatible form and NAT64 are other addresses */
	ck_assert_int_eq(cidr_list_match(l, "::192.0.2.10"), 0);
	ck_assert_int_eq(cidr_list_match(l, "64:ff9b::192.0.2.10"), 0);
	ck_assert_int_eq(cidr_list_match(l, "::1"), 0);
	cidr_list_free(&l);
}
END_TEST

START_TEST(host_bits_beyond_prefix)
{
	ck_assert_str_eq(refusal("192.0.2.1/24"), E_HOST);
	ck_assert_str_eq(refusal("10.0.0.1/8"), E_HOST);
	ck_assert_str_eq(refusal("1.0.0.0/0"), E_HOST);
	ck_assert_str_eq(refusal("192.0.2.128/24"), E_HOST);
	ck_assert_str_eq(refusal("203.0.113.65/26"), E_HOST);
	ck_assert_str_eq(refusal("2001:db8::1/64"), E_HOST);
	ck_assert_str_eq(refusal("2001:db8::/16"), E_HOST);
	ck_assert_str_eq(refusal("::1/0"), E_HOST);
	ck_assert_str_eq(refusal("2001:db8::1/127"), E_HOST);
}
END_TEST

START_TEST(bad_prefix_length)
{
	ck_assert_str_eq(refusal("192.0.2.0/33"), E_BITS);
	ck_assert_str_eq(refusal("192.0.2.0/"), E_BITS);
	ck_assert_str_eq(refusal("192.0.2.0/-1"), E_BITS);
	ck_assert_str_eq(refusal("192.0.2.0/+24"), E_BITS);
	ck_assert_str_eq(refusal("192.0.2.0/ 24"), E_BITS);
	ck_assert_str_eq(refusal("192.0.2.0/24x"), E_BITS);
	ck_assert_str_eq(refusal("192.0.2.0/24/8"), E_BITS);
	ck_assert_str_eq(refusal("192.0.2.0/4294967320"), E_BITS);
	ck_assert_str_eq(refusal("2001:db8::/129"), E_BITS);
	ck_assert_str_eq(refusal("2001:db8::/0x20"), E_BITS);
}
END_TEST

START_TEST(bad_address)
{
	ck_assert_str_eq(refusal("300.1.2.3"), E_IP);
	ck_assert_str_eq(refusal("192.0.2"), E_IP);
	ck_assert_str_eq(refusal("192.0.2.0.0/24"), E_IP);
	ck_assert_str_eq(refusal("example.org"), E_IP);
	ck_assert_str_eq(refusal(""), E_IP);
	ck_assert_str_eq(refusal("/24"), E_IP);
	ck_assert_str_eq(refusal(" 192.0.2.1"), E_IP);
	ck_assert_str_eq(refusal("2001:db8:::1"), E_IP);
	ck_assert_str_eq(refusal("fe80::1%eth0"), E_IP);
	ck_assert_str_eq(refusal("[2001:db8::1]"), E_IP);
	ck_assert_str_eq(refusal("2001:db8:0:0:0:0:0:0:1/128"), E_IP);
	ck_assert_str_eq(
	    refusal("2001:0db8:0000:0000:0000:0000:0000:0000/128 2001:0db8:0000:0000:0000"),
	    "network too long");
}
END_TEST

START_TEST(failed_add_keeps_list)
{
	static const char *const specs[] = {"192.0.2.0/24", NULL};
	struct cidr_list *l = list_of(specs);
	const char *err = NULL;

	ck_assert_int_eq(cidr_list_add(l, "198.51.100.1/24", &err), -1);
	ck_assert_str_eq(err, E_HOST);
	ck_assert_uint_eq(cidr_list_count(l), 1);
	ck_assert_int_eq(cidr_list_match(l, "198.51.100.1"), 0);
	ck_assert_int_eq(cidr_list_match(l, "192.0.2.1"), 1);
	cidr_list_free(&l);
}
END_TEST

START_TEST(empty_and_null_lists)
{
	struct cidr_list *l = cidr_list_new();

	ck_assert_uint_eq(cidr_list_count(l), 0);
	ck_assert_int_eq(cidr_list_match(l, "127.0.0.1"), 0);
	ck_assert_int_eq(cidr_list_match(l, "::1"), 0);
	ck_assert_int_eq(cidr_list_match(NULL, "127.0.0.1"), 0);
	ck_assert_uint_eq(cidr_list_count(NULL), 0);
	cidr_list_free(&l);
	ck_assert_ptr_null(l);
	cidr_list_free(&l); /* freeing a cleared pointer is harmless */
}
END_TEST

START_TEST(unparsable_client)
{
	static const char *const specs[] = {"0.0.0.0/0", "::/0", NULL};
	struct cidr_list *l = list_of(specs);

	ck_assert_int_eq(cidr_list_match(l, ""), 0);
	ck_assert_int_eq(cidr_list_match(l, NULL), 0);
	ck_assert_int_eq(cidr_list_match(l, "unknown"), 0);
	ck_assert_int_eq(cidr_list_match(l, "192.0.2.1/32"), 0);
	ck_assert_int_eq(cidr_list_match(l, "[192.0.2.1]"), 0);
	cidr_list_free(&l);
}
END_TEST

START_TEST(many_networks)
{
	struct cidr_list *l = cidr_list_new();
	const char *err = NULL;
	char spec[64], ip[64];

	for (int i = 0; i < 1000; i++) {
		snprintf(spec, sizeof(spec), "10.%d.%d.0/24", i / 256, i % 256);
		ck_assert_int_eq(cidr_list_add(l, spec, &err), 0);
	}
	ck_assert_uint_eq(cidr_list_count(l), 1000);
	for (int i = 0; i < 1000; i += 37) {
		snprintf(ip, sizeof(ip), "10.%d.%d.200", i / 256, i % 256);
		ck_assert_int_eq(cidr_list_match(l, ip), 1);
	}
	ck_assert_int_eq(cidr_list_match(l, "10.3.232.1"), 0); /* 1000 = 3*256+232 */
	cidr_list_free(&l);
}
END_TEST

/* Fixed: a network written in IPv4-mapped form (::ffff:192.0.2.0/120) is
 * accepted, but the client address it should match is folded to IPv4 before
 * matching while the network stays IPv6, so it never matches anything. */
START_TEST(regress_mapped_network_never_matches)
{
	static const char *const specs[] = {"::ffff:192.0.2.0/120", NULL};
	struct cidr_list *l = list_of(specs);

	ck_assert_int_eq(cidr_list_match(l, "::ffff:192.0.2.5"), 1);
	ck_assert_int_eq(cidr_list_match(l, "192.0.2.5"), 1);
	ck_assert_int_eq(cidr_list_match(l, "192.0.3.5"), 0);
	cidr_list_free(&l);
}
END_TEST

int run_suite(Suite *s, const char *name); /* test_runner.c */

int main(void)
{
	Suite *s = suite_create("cidr");
	TCase *tc = tcase_create("cidr");
	TCase *regress = tcase_create("regress_mapped_network");

	tcase_add_test(tc, ipv4_networks);
	tcase_add_test(tc, ipv6_networks);
	tcase_add_test(tc, host_entries);
	tcase_add_test(tc, prefix_zero);
	tcase_add_test(tc, odd_prefixes);
	tcase_add_test(tc, mapped_ipv6_client_matches_ipv4_net);
	tcase_add_test(tc, host_bits_beyond_prefix);
	tcase_add_test(tc, bad_prefix_length);
	tcase_add_test(tc, bad_address);
	tcase_add_test(tc, failed_add_keeps_list);
	tcase_add_test(tc, empty_and_null_lists);
	tcase_add_test(tc, unparsable_client);
	tcase_add_test(tc, many_networks);
	suite_add_tcase(s, tc);
	tcase_add_test(regress, regress_mapped_network_never_matches);
	suite_add_tcase(s, regress);
	return run_suite(s, "cidr");
}
