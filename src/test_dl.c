/* test_dl.c — map_dl_load: a library's functions fill the table in member
 * order and work; a missing library or function is an error naming it, and
 * later calls give the first outcome without trying again. */
#include <math.h>
#include <string.h>

#include "map_dl.h"
#include "map_test.h"

#define LIBM_FUNCS(X) X(cos) X(sqrt)

typedef struct libm_api {
    LIBM_FUNCS(MAP_DL_MEMBER)
} libm_api;

static void test_load(void)
{
    static const char *const names[] = {LIBM_FUNCS(MAP_DL_NAME)};
    libm_api api;
    memset(&api, 0, sizeof api);
    map_dl_lib lib = {"libm.so.6", "libm", names, 2, &api, sizeof api, PTHREAD_MUTEX_INITIALIZER,
                      0, ""};
    map_error err;
    MAP_CHECK(map_dl_load(&lib, &err) == MAP_OK, "%s", err.msg);
    MAP_CHECK(api.cos && api.sqrt && api.cos(0.0) == 1.0 && api.sqrt(16.0) == 4.0,
              "the functions in member order");
    MAP_CHECK(map_dl_load(&lib, &err) == MAP_OK, "again");

    map_dl_lib none = {"libmapsolve-no-such-library.so.7", "nothing", names, 2, &api, sizeof api,
                       PTHREAD_MUTEX_INITIALIZER, 0, ""};
    MAP_CHECK(map_dl_load(&none, &err) == MAP_ENOMEM && strstr(err.msg, "cannot load nothing") &&
                  strstr(err.msg, "no-such-library"),
              "a missing library: %s", err.msg);
    map_error_clear(&err);
    MAP_CHECK(map_dl_load(&none, &err) == MAP_ENOMEM && strstr(err.msg, "no-such-library"),
              "the same outcome: %s", err.msg);

    static const char *const bad[] = {"cos", "mapsolve_no_such_function"};
    libm_api api2;
    map_dl_lib missing = {"libm.so.6", "libm", bad, 2, &api2, sizeof api2,
                          PTHREAD_MUTEX_INITIALIZER, 0, ""};
    MAP_CHECK(map_dl_load(&missing, &err) == MAP_ENOMEM &&
                  strstr(err.msg, "libm.so.6 has no mapsolve_no_such_function"),
              "a missing function: %s", err.msg);

    map_dl_lib wrong = {"libm.so.6", "libm", names, 3, &api, sizeof api, PTHREAD_MUTEX_INITIALIZER,
                        0, ""};
    MAP_CHECK(map_dl_load(&wrong, &err) == MAP_ENOMEM && strstr(err.msg, "table"),
              "a table of the wrong size: %s", err.msg);
}

int main(void)
{
    MAP_RUN(test_load);
    return map_test_finish();
}
