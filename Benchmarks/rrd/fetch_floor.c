/* The speed floor of the RRD backfill: librrd's rrd_fetch_r on every segment of a plan and
 * nothing else (no conversion, no output but one summary line).
 *
 * Plan on stdin, one segment per line: PATH<TAB>CF<TAB>START<TAB>END<TAB>RESOLUTION
 * Prints: segments N values V checksum C
 *   V counts every value returned (rows * data sources, NaN included); C sums the non-NaN ones.
 *   rrd_fetch_r returns (end - start) / step rows, the first at start + step (start and end
 *   as adjusted by librrd: start rounded down to the step, end rounded up and then one step on
 *   when it already was a multiple), the same rows `rrdtool fetch` prints.
 *
 * Build: gcc -O2 fetch_floor.c -o fetch_floor $(pkg-config --cflags --libs librrd)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rrd.h>

int main(void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned long long segments = 0, values = 0;
    double checksum = 0.0;
    unsigned long lineno = 0;

    while ((len = getline(&line, &cap, stdin)) != -1) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;

        char *fields[5];
        char *p = line;
        int n = 0;
        for (; n < 5; n++) {
            fields[n] = p;
            char *tab = strchr(p, '\t');
            if (tab == NULL) {
                n++;
                break;
            }
            *tab = '\0';
            p = tab + 1;
        }
        if (n != 5) {
            fprintf(stderr, "fetch_floor: line %lu: want PATH\\tCF\\tSTART\\tEND\\tRESOLUTION\n", lineno);
            return 2;
        }

        time_t start = (time_t) strtoll(fields[2], NULL, 10);
        time_t end = (time_t) strtoll(fields[3], NULL, 10);
        unsigned long step = strtoul(fields[4], NULL, 10);
        unsigned long ds_cnt = 0;
        char **ds_namv = NULL;
        rrd_value_t *data = NULL;

        rrd_clear_error();
        if (rrd_fetch_r(fields[0], fields[1], &start, &end, &step, &ds_cnt, &ds_namv, &data) != 0) {
            fprintf(stderr, "fetch_floor: %s %s %s..%s: %s\n", fields[0], fields[1], fields[2],
                    fields[3], rrd_get_error());
            return 1;
        }

        unsigned long rows = step ? (unsigned long) ((end - start) / (time_t) step) : 0;
        unsigned long long count = (unsigned long long) rows * ds_cnt;
        for (unsigned long long i = 0; i < count; i++) {
            double v = data[i];
            if (!isnan(v))
                checksum += v;
        }
        values += count;
        segments++;

        for (unsigned long i = 0; i < ds_cnt; i++)
            rrd_freemem(ds_namv[i]);
        rrd_freemem(ds_namv);
        rrd_freemem(data);
    }
    free(line);

    printf("segments %llu values %llu checksum %.17g\n", segments, values, checksum);
    return 0;
}
