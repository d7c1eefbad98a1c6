/* test-coupons.c: placeholder until written */
#include "config.h"

#include "eva-test.h"

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  return g_test_run ();
}
