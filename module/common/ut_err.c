/*
 * ut_err.c - text for the UT_ERR_* codes. Each subsystem keeps its own table
 * and *_strerror() for its range (sc_strerror, sn_strerror, ...), and falls
 * back to ut_strerror() for codes outside it.
 */
#include "config.h"

#include <stddef.h>

#include "ut.h"

typedef struct ut_err_row {
    int code;
    const char *text;
} ut_err_row;

static const ut_err_row rows[] = {
    {UT_OK, "success"},
    {UT_ERR_IO, "input/output error"},
    {UT_ERR_NOMEM, "out of memory"},
    {UT_ERR_INVAL, "invalid argument"},
    {UT_ERR_RANGE, "value or size over its limit"},
};

const char *ut_strerror(int code)
{
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (rows[i].code == code)
            return rows[i].text;
    return "unknown error";
}
