/*
 * sn_roots.h - Signal's own TLS root certificates (built in).
 *
 * chat.signal.org, storage.signal.org and the CDNs chain to Signal's own
 * root, not to a public CA; production clients pin it (sources in
 * sn_roots.c). sn_tls_new(NULL) trusts exactly these and never the
 * system's store.
 *
 * Threads: constant data, any thread.
 */
#ifndef SN_ROOTS_H
#define SN_ROOTS_H

/* Number of certificates in sn_signal_roots_pem(). */
enum { SN_SIGNAL_ROOTS = 2 };

/* The roots as one NUL-terminated PEM text (static; never NULL). */
const char *sn_signal_roots_pem(void);

#endif /* SN_ROOTS_H */
