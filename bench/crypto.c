/*
 * bench/crypto.c - times the C operations of every bench_op table and
 * prints one tab-separated line per operation:
 *   <op> \t C \t <ns per op> \t <iterations> \t <note>
 * bench/crypto.sh joins these with the Node baselines. Arguments: optional
 * name prefixes to select rows. Timing: CPU time of the process (the
 * machine is shared, wall time swings with the load), a warm-up, then 7
 * batches of at least 50 ms each; the fastest batch counts.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "crypto.h"

/* Every part's table (see crypto.h); weak ones may be NULL. */
static const bench_op *const tables[] = {
    bench_kyber_ops,
    bench_prim_ops,
    bench_session_ops,
    bench_sealed_ops,
};

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int selected(const char *name, int argc, char **argv)
{
    int i;

    if (argc < 2)
        return 1;
    for (i = 1; i < argc; i++)
        if (!strncmp(name, argv[i], strlen(argv[i])))
            return 1;
    return 0;
}

static int measure(const bench_op *op)
{
    void *st = NULL;
    double best = 0, t0, t;
    long iters = 1, n, total = 0;
    int err = 0, batch, rc = 0;

    if (op->setup && !(st = op->setup(&err)))
        return err ? err : -1;
    /* warm-up, and find an iteration count that takes >= 50 ms */
    for (;;) {
        t0 = now_ns();
        for (n = 0; n < iters; n++)
            if ((rc = op->run(st)))
                goto out;
        t = now_ns() - t0;
        if (t >= 50e6)
            break;
        iters *= 2;
    }
    for (batch = 0; batch < 7; batch++) {
        t0 = now_ns();
        for (n = 0; n < iters; n++)
            if ((rc = op->run(st)))
                goto out;
        t = (now_ns() - t0) / (double)iters;
        total += iters;
        if (batch == 0 || t < best)
            best = t;
    }
    printf("%s\tC\t%.0f\t%ld\tsignalbridge sc_*\n", op->name, best, total);
    fflush(stdout);
out:
    if (op->teardown)
        op->teardown(st);
    return rc;
}

int main(int argc, char **argv)
{
    size_t t;
    const bench_op *op;
    int rc, failed = 0;

    for (t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
        for (op = tables[t]; op && op->name; op++) {
            if (!selected(op->name, argc, argv))
                continue;
            if ((rc = measure(op))) {
                fprintf(stderr, "bench %s failed: %d\n", op->name, rc);
                failed = 1;
            }
        }
    return failed;
}
