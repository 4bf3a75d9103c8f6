/* What the unit test programs share (test_runner.c). */
#ifndef TESTS_TEST_SUPPORT_H
#define TESTS_TEST_SUPPORT_H

#include <check.h>

#include "mailsift/config.h"

int run_suite(Suite *s, const char *name);
/* A configuration loaded from text through a temporary file; the test
 * fails if it does not load. */
struct config *test_config_text(const char *text);
/* A known-failures file under tests/data ("ID reason" lines, # comments),
 * read once; 1 if a line lists id (an ID may hold spaces: "SUITE NAME"). */
int test_known(const char *relpath, const char *id);

#endif
