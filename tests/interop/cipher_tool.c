/* cipher_tool.c - line-oriented driver of the "other ciphers" for
 * tests/interop/ciphers.js. One request per stdin line: a command and hex
 * arguments ("-" = empty); the answer is one line of hex fields (decimal
 * where noted) or "ERR <code>". Test helper only: it prints secrets.
 *   PE pub32 pt          -> envelope          PD priv32 envelope -> pt
 *   AE key64 iv16 pad pt -> blob digest       AD key64 digest size(dec) blob -> pt
 *   AP n(dec)            -> padded size (dec)
 *   NE key iv12 given family -> box           ND key box -> given family
 *   TE key iv12 kind(dec) text -> box         TD key box -> text
 *   AK profilekey        -> accesskey verifier
 *   MK aep               -> master key        SK master -> storage key
 *   SM storagekey version(dec) -> manifest key
 *   SI storagekey ikm|- raw -> item key
 *   GS key iv12 pt -> box                     GO key box -> pt
 *   GD master -> group_id blob_key
 *   GE blobkey nonce12 pad(dec) content -> blob    GB blobkey blob -> content
 *   DE idpub32 name -> devicename             DD idpriv32 devicename -> name
 *   CP content -> padded                      CU padded -> content length (dec)
 *   BI backupkey aci16 -> backup_id           BK backupkey id16 -> hmac_key aes_key
 *   BE hmac aes iv16 pt -> archive            BD hmac aes archive -> pt */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sc_attachment.h"
#include "sc_backup.h"
#include "sc_devname.h"
#include "sc_gcmbox.h"
#include "sc_group.h"
#include "sc_padding.h"
#include "sc_profile.h"
#include "sc_provision.h"
#include "sc_storage.h"

#define MAXARG 8

static uint8_t *arg[MAXARG];
static size_t alen[MAXARG];
static char *astr[MAXARG];
static int nargs;

static int parse(char *line)
{
    char *tok, *save = NULL;
    size_t i;

    nargs = 0;
    for (tok = strtok_r(line, " \n", &save); tok && nargs < MAXARG;
         tok = strtok_r(NULL, " \n", &save)) {
        size_t n = strcmp(tok, "-") ? strlen(tok) / 2 : 0;

        astr[nargs] = tok;
        arg[nargs] = malloc(n + 1);
        alen[nargs] = n;
        /* every token is also decoded as hex; commands and decimal
         * arguments are read from astr instead */
        for (i = 0; i < n; i++) {
            unsigned v = 0;
            if (sscanf(tok + 2 * i, "%2x", &v) != 1)
                v = 0;
            arg[nargs][i] = (uint8_t)v;
        }
        nargs++;
    }
    return 0;
}

static void hex(const void *p, size_t n)
{
    size_t i;

    if (!n)
        fputs("-", stdout);
    for (i = 0; i < n; i++)
        printf("%02x", ((const uint8_t *)p)[i]);
}

static int run(const char *cmd)
{
    uint8_t *out = NULL, d[64];
    size_t n = 0;
    int rc = -1;
#define NEED(k) \
    if (nargs != (k) + 1) \
        return -2
    if (!strcmp(cmd, "PE")) {
        NEED(2);
        if (!(rc = sc_provision_encrypt(&out, &n, arg[1], arg[2], alen[2])))
            hex(out, n);
    } else if (!strcmp(cmd, "PD")) {
        NEED(2);
        if (!(rc = sc_provision_decrypt(&out, &n, arg[1], arg[2], alen[2])))
            hex(out, n);
    } else if (!strcmp(cmd, "AE")) {
        NEED(4);
        if (!(rc = sc_attachment_encrypt(&out, &n, d, arg[1], arg[2], arg[4],
                                         alen[4], atoi(astr[3])))) {
            hex(out, n);
            putchar(' ');
            hex(d, 32);
        }
    } else if (!strcmp(cmd, "AD")) {
        NEED(4);
        if (!(rc = sc_attachment_decrypt(&out, &n, arg[1], arg[2],
                                         strtoul(astr[3], NULL, 10), arg[4],
                                         alen[4])))
            hex(out, n);
    } else if (!strcmp(cmd, "AP")) {
        NEED(1);
        printf("%zu", sc_attachment_padded_size(strtoul(astr[1], NULL, 10)));
        rc = 0;
    } else if (!strcmp(cmd, "NE")) {
        char g[300] = "", f[300] = "";
        uint8_t box[SC_PROFILE_NAME_BOX_MAX];
        NEED(4);
        if (alen[3] >= sizeof(g) || alen[4] >= sizeof(f))
            return -3;
        memcpy(g, arg[3], alen[3]);
        memcpy(f, arg[4], alen[4]);
        if (!(rc = sc_profile_name_encrypt(box, &n, arg[1], arg[2], g, f)))
            hex(box, n);
    } else if (!strcmp(cmd, "ND")) {
        char g[300], f[300];
        NEED(2);
        if (!(rc = sc_profile_name_decrypt(g, sizeof(g), f, sizeof(f), arg[1],
                                           arg[2], alen[2]))) {
            hex(g, strlen(g));
            putchar(' ');
            hex(f, strlen(f));
        }
    } else if (!strcmp(cmd, "TE")) {
        char t[600] = "";
        uint8_t box[SC_PROFILE_TEXT_BOX_MAX];
        NEED(4);
        if (alen[4] >= sizeof(t))
            return -3;
        memcpy(t, arg[4], alen[4]);
        if (!(rc = sc_profile_text_encrypt(box, &n, arg[1], arg[2], t,
                                           atoi(astr[3]))))
            hex(box, n);
    } else if (!strcmp(cmd, "TD")) {
        char t[600];
        NEED(2);
        if (!(rc = sc_profile_text_decrypt(t, sizeof(t), arg[1], arg[2],
                                           alen[2])))
            hex(t, strlen(t));
    } else if (!strcmp(cmd, "AK")) {
        NEED(1);
        if (!(rc = sc_access_key(d, arg[1])) &&
            !(rc = sc_access_key_verifier(d + 16, d))) {
            hex(d, 16);
            putchar(' ');
            hex(d + 16, 32);
        }
    } else if (!strcmp(cmd, "MK")) {
        NEED(1);
        if (!(rc = sc_master_key_from_aep(d, (const char *)arg[1], alen[1])))
            hex(d, 32);
    } else if (!strcmp(cmd, "SK")) {
        NEED(1);
        if (!(rc = sc_storage_key(d, arg[1])))
            hex(d, 32);
    } else if (!strcmp(cmd, "SM")) {
        NEED(2);
        if (!(rc = sc_storage_manifest_key(d, arg[1],
                                           strtoull(astr[2], NULL, 10))))
            hex(d, 32);
    } else if (!strcmp(cmd, "SI")) {
        NEED(3);
        if (!(rc = sc_storage_item_key(d, arg[1], alen[2] ? arg[2] : NULL,
                                       arg[3], alen[3])))
            hex(d, 32);
    } else if (!strcmp(cmd, "GS")) {
        NEED(3);
        out = malloc(alen[3] + SC_GCMBOX_OVERHEAD);
        if (!(rc = sc_gcmbox_seal(out, arg[1], arg[2], arg[3], alen[3])))
            hex(out, alen[3] + SC_GCMBOX_OVERHEAD);
    } else if (!strcmp(cmd, "GO")) {
        NEED(2);
        out = malloc(alen[2] + 1);
        if (!(rc = sc_gcmbox_open(out, &n, arg[1], arg[2], alen[2])))
            hex(out, n);
    } else if (!strcmp(cmd, "GD")) {
        NEED(1);
        if (!(rc = sc_group_derive(d, d + 32, arg[1]))) {
            hex(d, 32);
            putchar(' ');
            hex(d + 32, 32);
        }
    } else if (!strcmp(cmd, "GE")) {
        NEED(4);
        if (!(rc = sc_group_blob_encrypt(&out, &n, arg[1], arg[2], arg[4],
                                         alen[4],
                                         (uint32_t)strtoul(astr[3], NULL, 10))))
            hex(out, n);
    } else if (!strcmp(cmd, "GB")) {
        NEED(2);
        if (!(rc = sc_group_blob_decrypt(&out, &n, arg[1], arg[2], alen[2])))
            hex(out, n);
    } else if (!strcmp(cmd, "DE")) {
        NEED(2);
        if (!(rc = sc_devname_encrypt(&out, &n, arg[1], arg[2], alen[2])))
            hex(out, n);
    } else if (!strcmp(cmd, "DD")) {
        char *name = NULL;
        NEED(2);
        if (!(rc = sc_devname_decrypt(&name, &n, arg[1], arg[2], alen[2])))
            hex(name, n);
        free(name);
    } else if (!strcmp(cmd, "CP")) {
        NEED(1);
        n = sc_content_padded_len(alen[1]);
        out = malloc(n);
        if (!(rc = sc_content_pad(out, arg[1], alen[1])))
            hex(out, n);
    } else if (!strcmp(cmd, "BI")) {
        NEED(2);
        if (alen[1] != 32 || alen[2] != 16)
            return -3;
        if (!(rc = sc_backup_id(d, arg[1], arg[2])))
            hex(d, SC_BACKUP_ID_LEN);
    } else if (!strcmp(cmd, "BK")) {
        NEED(2);
        if (alen[1] != 32 || alen[2] != SC_BACKUP_ID_LEN)
            return -3;
        if (!(rc = sc_message_backup_key(d, d + 32, arg[1], arg[2]))) {
            hex(d, 32);
            putchar(' ');
            hex(d + 32, 32);
        }
    } else if (!strcmp(cmd, "BE")) {
        NEED(4);
        if (alen[1] != 32 || alen[2] != 32 || alen[3] != 16)
            return -3;
        if (!(rc = sc_backup_encrypt(&out, &n, arg[1], arg[2], arg[3], arg[4], alen[4])))
            hex(out, n);
    } else if (!strcmp(cmd, "BD")) {
        NEED(3);
        if (alen[1] != 32 || alen[2] != 32)
            return -3;
        if (!(rc = sc_backup_decrypt(&out, &n, arg[1], arg[2], arg[3], alen[3])))
            hex(out, n);
    } else if (!strcmp(cmd, "CU")) {
        NEED(1);
        if (!(rc = sc_content_unpad(&n, arg[1], alen[1])))
            printf("%zu", n);
    }
    free(out);
    return rc;
}

int main(void)
{
    static char line[1 << 20];
    int i, rc;

    while (fgets(line, sizeof(line), stdin)) {
        if (parse(line) || nargs < 1)
            rc = -1;
        else
            rc = run(astr[0]);
        if (rc) {
            fflush(stdout);
            printf("ERR %d", rc);
        }
        putchar('\n');
        fflush(stdout);
        for (i = 0; i < nargs; i++)
            free(arg[i]);
        nargs = 0;
    }
    return 0;
}
