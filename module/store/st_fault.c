/*
 * st_fault.c - see st_fault.h. A test tool: nothing here runs unless
 * st_fault_enable was called.
 *
 * Why triggers: the bridge steps its statements by several paths (the
 * cached st_db_stmt, lookups stepped by hand, the Signal client's own
 * SQL); a BEFORE trigger on the table reaches all of them, and an SQL
 * function that fails with sqlite3_result_error_code() aborts the
 * statement with exactly that result code (sqlite.org/c3ref/result_blob.html),
 * which sqlite3_step returns like a real lock or full disk.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <sqlite3.h>

#include "st_fault.h"

#define SPEC_MAX 8192
#define RULES_MAX 64

typedef struct fault_ctx {
    char *path;
    const ut_log *log;
} fault_ctx;

typedef struct rule {
    char table[128], op[16], err[16];
    long count;
} rule;

static int code_of(const char *name)
{
    if (strcmp(name, "busy") == 0)
        return SQLITE_BUSY;
    if (strcmp(name, "locked") == 0)
        return SQLITE_LOCKED;
    if (strcmp(name, "full") == 0)
        return SQLITE_FULL;
    if (strcmp(name, "ioerr") == 0)
        return SQLITE_IOERR;
    return 0;
}

/* The rules of `text`; lines that do not parse are skipped. */
static size_t parse(char *text, rule *r, size_t max)
{
    size_t n = 0;
    char *line, *save = NULL;

    for (line = strtok_r(text, "\n", &save); line && n < max; line = strtok_r(NULL, "\n", &save)) {
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        if (sscanf(line, "%127s %15s %15s %ld", r[n].table, r[n].op, r[n].err, &r[n].count) == 4 &&
            code_of(r[n].err) && r[n].count >= 0)
            n++;
    }
    return n;
}

static int matches(const rule *r, const char *table, const char *op)
{
    return r->count > 0 && (strcmp(r->table, "*") == 0 || strcmp(r->table, table) == 0) &&
           (strcmp(r->op, "*") == 0 || strcmp(r->op, op) == 0);
}

/* Under an exclusive flock: the matching rule's count lowered and the
 * file rewritten. The rule used (copied to *used), or 0 for none. */
static int take(const fault_ctx *f, const char *table, const char *op, rule *used)
{
    char text[SPEC_MAX + 1];
    rule r[RULES_MAX];
    size_t n, i;
    ssize_t len;
    int fd, hit = 0;

    if ((fd = open(f->path, O_RDWR | O_CLOEXEC)) < 0)
        return 0;
    if (flock(fd, LOCK_EX) != 0) {
        close(fd);
        return 0;
    }
    len = read(fd, text, SPEC_MAX);
    if (len > 0) {
        text[len] = '\0';
        n = parse(text, r, RULES_MAX);
        for (i = 0; i < n && !hit; i++)
            if (matches(&r[i], table, op)) {
                r[i].count--;
                *used = r[i];
                hit = 1;
            }
        if (hit && ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0) {
            for (i = 0; i < n; i++) {
                char l[256];
                int m = snprintf(l, sizeof(l), "%s %s %s %ld\n", r[i].table, r[i].op, r[i].err,
                                 r[i].count);
                if (m <= 0 || write(fd, l, (size_t)m) != m)
                    break;
            }
        }
    }
    flock(fd, LOCK_UN);
    close(fd);
    return hit;
}

/* st_fault(table, op): NULL, or the injected error. */
static void fault_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const fault_ctx *f = sqlite3_user_data(ctx);
    const char *table = (const char *)sqlite3_value_text(argv[0]);
    const char *op = argc > 1 ? (const char *)sqlite3_value_text(argv[1]) : NULL;
    rule r;
    int code;

    if (!table || !op || !take(f, table, op, &r)) {
        sqlite3_result_null(ctx);
        return;
    }
    code = code_of(r.err);
    ut_logf(f->log, UT_LOG_WARN, "store: injected fault %s on %s of %s (%ld left)", r.err, op,
            table, r.count);
    /* the message first: result_error_code keeps it and sets the code */
    sqlite3_result_error(ctx, sqlite3_errstr(code), -1);
    sqlite3_result_error_code(ctx, code);
}

static void fault_free(void *p)
{
    fault_ctx *f = p;

    if (f) {
        free(f->path);
        free(f);
    }
}

int st_fault_enable(st_db *db, const char *path, const ut_log *log, char *err, size_t errlen)
{
    static const char *const ops[] = { "insert", "update", "delete" };
    sqlite3 *h = st_db_handle(db);
    sqlite3_stmt *st = NULL;
    fault_ctx *f = calloc(1, sizeof(*f));
    char **names = NULL;
    size_t n = 0, i, k;
    int rc = 0;

    if (!f || !(f->path = strdup(path))) {
        fault_free(f);
        snprintf(err, errlen, "out of memory");
        return UT_ERR_NOMEM;
    }
    f->log = log;
    /* owned by SQLite from here: fault_free runs at close */
    if (sqlite3_create_function_v2(h, "st_fault", 2, SQLITE_UTF8, f, fault_fn, NULL, NULL,
                                   fault_free) != SQLITE_OK) {
        snprintf(err, errlen, "st_fault: %s", sqlite3_errmsg(h));
        return ST_ERR_SQL;
    }
    /* the tables first (a virtual table takes no trigger), then the
     * triggers: the schema is not changed while it is read */
    if (sqlite3_prepare_v2(h, "SELECT name FROM main.sqlite_master WHERE type = 'table'"
                              " AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL%'",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "st_fault: %s", sqlite3_errmsg(h));
        return ST_ERR_SQL;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        char **t = realloc(names, (n + 1) * sizeof(*names));
        if (!t || !(t[n] = strdup((const char *)sqlite3_column_text(st, 0)))) {
            names = t ? t : names;
            rc = UT_ERR_NOMEM;
            break;
        }
        names = t;
        n++;
    }
    sqlite3_finalize(st);
    for (i = 0; i < n && rc == 0; i++)
        for (k = 0; k < 3 && rc == 0; k++) {
            char *msg = NULL;
            char *sql = sqlite3_mprintf("CREATE TEMP TRIGGER IF NOT EXISTS \"st_fault_%w_%w\""
                                        " BEFORE %s ON main.\"%w\" BEGIN SELECT st_fault(%Q, %Q); END",
                                        names[i], ops[k], ops[k], names[i], names[i], ops[k]);
            if (!sql) {
                rc = UT_ERR_NOMEM;
            } else if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK) {
                snprintf(err, errlen, "st_fault: trigger on %s: %s", names[i],
                         msg ? msg : sqlite3_errmsg(h));
                rc = ST_ERR_SQL;
            }
            sqlite3_free(msg);
            sqlite3_free(sql);
        }
    if (rc == UT_ERR_NOMEM)
        snprintf(err, errlen, "out of memory");
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (rc == 0)
        ut_logf(log, UT_LOG_WARN, "store: fault injection on (%zu tables), rules in %s", n, path);
    return rc;
}
