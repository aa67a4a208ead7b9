/* sc_pbwire.c - see sc_pbwire.h. */
#include "config.h"

#include "sc_err.h"
#include "sc_pbwire.h"

void sc_pb_reader_init(sc_pb_reader *r, const uint8_t *p, size_t n)
{
    r->p = p;
    r->end = p ? p + n : p;
}

static int get_varint(sc_pb_reader *r, uint64_t *v)
{
    uint64_t x = 0;
    unsigned shift;

    for (shift = 0; shift < 64; shift += 7) {
        uint8_t b;

        if (r->p >= r->end)
            return SC_ERR_FORMAT;
        b = *r->p++;
        if (shift == 63 && (b & 0x7e))
            return SC_ERR_FORMAT; /* more than 64 bits */
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return SC_ERR_FORMAT;
}

int sc_pb_next(sc_pb_reader *r, sc_pb_field *f)
{
    uint64_t key, len;
    size_t left;

    if (r->p == r->end)
        return 0;
    if (get_varint(r, &key) || (key >> 3) == 0 || (key >> 3) > 0x1fffffff)
        return SC_ERR_FORMAT;
    f->field = (uint32_t)(key >> 3);
    f->wire = (int)(key & 7);
    f->p = NULL;
    f->n = 0;
    f->varint = 0;
    left = (size_t)(r->end - r->p);
    switch (f->wire) {
    case 0:
        return get_varint(r, &f->varint) ? SC_ERR_FORMAT : 1;
    case 1:
    case 5: {
        size_t w = f->wire == 1 ? 8 : 4, i;

        if (left < w)
            return SC_ERR_FORMAT;
        for (i = 0; i < w; i++)
            f->varint |= (uint64_t)r->p[i] << (8 * i);
        r->p += w;
        return 1;
    }
    case 2:
        if (get_varint(r, &len))
            return SC_ERR_FORMAT;
        left = (size_t)(r->end - r->p);
        if (len > left)
            return SC_ERR_FORMAT;
        f->p = r->p;
        f->n = (size_t)len;
        r->p += len;
        return 1;
    default:
        return SC_ERR_FORMAT;
    }
}

static int put_raw_varint(ut_buf *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;

    do {
        tmp[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            tmp[n] |= 0x80;
        n++;
    } while (v);
    return ut_buf_append(b, tmp, n);
}

int sc_pb_put_bytes(ut_buf *b, uint32_t field, const void *p, size_t n)
{
    int rc;

    if ((rc = put_raw_varint(b, (uint64_t)field << 3 | 2)) ||
        (rc = put_raw_varint(b, n)))
        return rc;
    return n ? ut_buf_append(b, p, n) : 0;
}

int sc_pb_put_varint(ut_buf *b, uint32_t field, uint64_t v)
{
    int rc = put_raw_varint(b, (uint64_t)field << 3);

    return rc ? rc : put_raw_varint(b, v);
}
