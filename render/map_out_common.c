/* map_out_common.c — what the JSON and the human renderings of map_output.h
 * share: UTC time stamps, the name of a value by problem index, and the
 * list of summary statistics that describe reports. */
#include "map_output.h"

#include <time.h>

void map_format_time(int64_t t, char buf[32])
{
    buf[0] = '\0';
    if (t == 0)
        return;
    const time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, 32, "%lld", (long long)t);
}

const char *map_out_value_name(const map_solve_report *rep, size_t pidx)
{
    for (size_t i = 0; i < rep->k; i++)
        if (rep->items[i].pidx == (long)pidx)
            return rep->items[i].name;
    return "?";
}

const char *const map_out_stat_names[MAP_OUT_NSTATS] = {"mean", "sd",  "min", "q10", "q25",
                                                        "q50",  "q75", "q90", "max"};

void map_out_stats(const map_value_summary *s, double v[MAP_OUT_NSTATS])
{
    v[0] = s->mean;
    v[1] = s->sd;
    v[2] = s->min;
    v[3] = s->q10;
    v[4] = s->q25;
    v[5] = s->q50;
    v[6] = s->q75;
    v[7] = s->q90;
    v[8] = s->max;
}
