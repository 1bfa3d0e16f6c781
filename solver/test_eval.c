/* test_eval.c — placeholder */
#include "map_test.h"
int main(void) { return map_test_finish(); }
