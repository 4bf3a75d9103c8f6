#include <check.h>
#include "mailsift/addr.h"
START_TEST(t_basic) { struct addr a; ck_assert_int_eq(addr_parse("a@b.c", 5, 0, &a), ADDR_OK); }
END_TEST
int main(void) { Suite *s = suite_create("addr"); TCase *tc = tcase_create("x"); tcase_add_test(tc, t_basic); suite_add_tcase(s, tc); SRunner *sr = srunner_create(s); srunner_run_all(sr, CK_NORMAL); int f = srunner_ntests_failed(sr); srunner_free(sr); return f != 0; }
