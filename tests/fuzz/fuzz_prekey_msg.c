/* fuzz_prekey_msg.c - PreKeySignalMessage decoder, then the whole responder
 * path (canonical base-key check, X25519, Kyber decapsulation, ratchet,
 * SPQR parsing, MAC) with fixed local keys. Nothing may crash or leak. */
#include <stdlib.h>
#include <string.h>

#include "sc_session.h"

static sc_ec_keypair ik;
static sc_signed_prekey spk;
static sc_kyber_prekey kpk;
static sc_prekey opk;

static int get_spk(void *c, uint32_t id, sc_signed_prekey *o) { (void)c; (void)id; *o = spk; return 0; }
static int get_kpk(void *c, uint32_t id, sc_kyber_prekey *o) { (void)c; (void)id; *o = kpk; return 0; }
static int get_opk(void *c, uint32_t id, sc_prekey *o) { (void)c; (void)id; *o = opk; return 0; }

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (sc_ec_keypair_generate(&ik) || sc_signed_prekey_generate(&spk, 5, 0, &ik) ||
        sc_kyber_prekey_generate(&kpk, 6, 0, 0, &ik) || sc_prekey_generate(&opk, 7))
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sc_prekey_msg m;
    sc_session *s;
    sc_session_params p = {&ik, 1, NULL, NULL};
    sc_prekey_source src = {NULL, get_spk, get_kpk, get_opk};
    sc_prekey_used used;
    uint8_t *pt;
    size_t n;

    if (sc_prekey_msg_decode(&m, data, size))
        return 0;
    sc_prekey_msg_clear(&m);
    if (sc_session_new(&s))
        return 0;
    if (!sc_session_decrypt_prekey(s, &p, &src, NULL, data, size, &pt, &n, &used))
        free(pt); /* would need our keys' secrets: practically unreachable */
    sc_session_free(s);
    return 0;
}
