/*
 * sn_roots.c - Signal's own TLS root certificates, built in (sn_roots.h).
 *
 * Production clients pin these and trust nothing else for Signal's hosts
 * (chat.signal.org, storage.signal.org, cdn*.signal.org):
 *   - libsignal rust/net/src/certs.rs SIGNAL_ROOT_CERTIFICATES =
 *     rust/net/res/signal.cer + rust/net/res/signal-ed25519.cer (libsignal-net,
 *     used by Signal-Android, -iOS and -Desktop for the chat service);
 *   - mautrix-signal pkg/signalmeow/web/web.go embeds
 *     pkg/signalmeow/web/signal-root.crt.der (byte-identical to signal.cer)
 *     as the only RootCAs of its TLS config.
 * The bytes below are those DER files as PEM (openssl x509 -inform DER).
 *
 * 1. signal.cer: C=US, ST=California, L=Mountain View,
 *    O=Signal Messenger, LLC, CN=Signal Messenger (self-signed, RSA 4096)
 *    serial C1F3E20EB47080C1A4FAF583267F24369A3E97
 *    valid 2022-01-26 00:45:51 UTC .. 2032-01-24 00:45:50 UTC
 *    SHA-256 DD:B0:F9:2B:B9:5C:8D:6F:D2:02:EA:6E:8C:C5:CC:D1:
 *            82:B5:44:F8:CD:69:6F:47:D5:80:65:9D:DC:9D:F6:5A
 * 2. signal-ed25519.cer: same subject (self-signed, Ed25519), added to
 *    libsignal in June 2026 ("net: Add new pinned ed25519-based root cert")
 *    serial 67ADEC3009F0933B73C7985BC835CC79
 *    valid 2026-06-16 21:29:14 UTC .. 2036-06-16 21:34:14 UTC
 *    SHA-256 26:42:F1:F9:0B:38:9F:ED:25:58:D7:32:4C:A2:6D:70:
 *            E7:50:B0:6F:87:C5:95:C5:DE:95:5E:25:60:82:16:57
 *
 * tests/unit/signal/net/test_sn_tls.c checks both parse and match these
 * fingerprints.
 */
#include "config.h"

#include "sn_roots.h"

static const char roots_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIF2zCCA8OgAwIBAgIUAMHz4g60cIDBpPr1gyZ/JDaaPpcwDQYJKoZIhvcNAQEL\n"
    "BQAwdTELMAkGA1UEBhMCVVMxEzARBgNVBAgTCkNhbGlmb3JuaWExFjAUBgNVBAcT\n"
    "DU1vdW50YWluIFZpZXcxHjAcBgNVBAoTFVNpZ25hbCBNZXNzZW5nZXIsIExMQzEZ\n"
    "MBcGA1UEAxMQU2lnbmFsIE1lc3NlbmdlcjAeFw0yMjAxMjYwMDQ1NTFaFw0zMjAx\n"
    "MjQwMDQ1NTBaMHUxCzAJBgNVBAYTAlVTMRMwEQYDVQQIEwpDYWxpZm9ybmlhMRYw\n"
    "FAYDVQQHEw1Nb3VudGFpbiBWaWV3MR4wHAYDVQQKExVTaWduYWwgTWVzc2VuZ2Vy\n"
    "LCBMTEMxGTAXBgNVBAMTEFNpZ25hbCBNZXNzZW5nZXIwggIiMA0GCSqGSIb3DQEB\n"
    "AQUAA4ICDwAwggIKAoICAQDEecifxMHHlDhxbERVdErOhGsLO08PUdNkATjZ1kT5\n"
    "1uPf5JPiRbus9F4J/GgBQ4ANSAjIDZuFY0WOvG/i0qvxthpW70ocp8IjkiWTNiA8\n"
    "1zQNQdCiWbGDU4B1sLi2o4JgJMweSkQFiyDynqWgHpw+KmvytCzRWnvrrptIfE4G\n"
    "PxNOsAtXFbVH++8JO42IaKRVlbfpe/lUHbjiYmIpQroZPGPY4Oql8KM3o39ObPnT\n"
    "o1WoM4moyOOZpU3lV1awftvWBx1sbTBL02sQWfHRxgNVF+Pj0fdDMMFdFJobArrL\n"
    "VfK2Ua+dYN4pV5XIxzVarSRW73CXqQ+2qloPW/ynpa3gRtYeGWV4jl7eD0PmeHpK\n"
    "OY78idP4H1jfAv0TAVeKpuB5ZFZ2szcySxrQa8d7FIf0kNJe9gIRjbQ+XrvnN+ZZ\n"
    "vj6d+8uBJq8LfQaFhlVfI0/aIdggScapR7w8oLpvdflUWqcTLeXVNLVrg15cEDwd\n"
    "lV8PVscT/KT0bfNzKI80qBq8LyRmauAqP0CDjayYGb2UAabnhefgmRY6aBE5mXxd\n"
    "byAEzzCS3vDxjeTD8v8nbDq+SD6lJi0i7jgwEfNDhe9XK50baK15Udc8Cr/ZlhGM\n"
    "jNmWqBd0jIpaZm1rzWA0k4VwXtDwpBXSz8oBFshiXs3FD6jHY2IhOR3ppbyd4qRU\n"
    "pwIDAQABo2MwYTAOBgNVHQ8BAf8EBAMCAQYwDwYDVR0TAQH/BAUwAwEB/zAdBgNV\n"
    "HQ4EFgQUtfNLxuXWS9DlgGuMUMNnW7yx83EwHwYDVR0jBBgwFoAUtfNLxuXWS9Dl\n"
    "gGuMUMNnW7yx83EwDQYJKoZIhvcNAQELBQADggIBABUeiryS0qjykBN75aoHO9bV\n"
    "PrrX+DSJIB9V2YzkFVyh/io65QJMG8naWVGOSpVRwUwhZVKh3JVp/miPgzTGAo7z\n"
    "hrDIoXc+ih7orAMb19qol/2Ha8OZLa75LojJNRbZoCR5C+gM8C+spMLjFf9k3JVx\n"
    "dajhtRUcR0zYhwsBS7qZ5Me0d6gRXD0ZiSbadMMxSw6KfKk3ePmPb9gX+MRTS63c\n"
    "8mLzVYB/3fe/bkpq4RUwzUHvoZf+SUD7NzSQRQQMfvAHlxk11TVNxScYPtxXDyiy\n"
    "3Cssl9gWrrWqQ/omuHipoH62J7h8KAYbr6oEIq+Czuenc3eCIBGBBfvCpuFOgckA\n"
    "XXE4MlBasEU0MO66GrTCgMt9bAmSw3TrRP12+ZUFxYNtqWluRU8JWQ4FCCPcz9pg\n"
    "MRBOgn4lTxDZG+I47OKNuSRjFEP94cdgxd3H/5BK7WHUz1tAGQ4BgepSXgmjzifF\n"
    "T5FVTDTl3ZnWUVBXiHYtbOBgLiSIkbqGMCLtrBtFIeQ7RRTb3L+IE9R0UB0cJB3A\n"
    "Xbf1lVkOcmrdu2h8A32aCwtr5S1fBF1unlG7imPmqJfpOMWa8yIF/KWVm29JAPq8\n"
    "Lrsybb0z5gg8w7ZblEuB9zOW9M3l60DXuJO6l7g+deV6P96rv2unHS8UlvWiVWDy\n"
    "9qfgAJizyy3kqM4lOwBH\n"
    "-----END CERTIFICATE-----\n"
    "-----BEGIN CERTIFICATE-----\n"
    "MIIB6jCCAZygAwIBAgIQZ63sMAnwkztzx5hbyDXMeTAFBgMrZXAwdTELMAkGA1UE\n"
    "BhMCVVMxEzARBgNVBAgTCkNhbGlmb3JuaWExFjAUBgNVBAcTDU1vdW50YWluIFZp\n"
    "ZXcxHjAcBgNVBAoTFVNpZ25hbCBNZXNzZW5nZXIsIExMQzEZMBcGA1UEAxMQU2ln\n"
    "bmFsIE1lc3NlbmdlcjAeFw0yNjA2MTYyMTI5MTRaFw0zNjA2MTYyMTM0MTRaMHUx\n"
    "CzAJBgNVBAYTAlVTMRMwEQYDVQQIEwpDYWxpZm9ybmlhMRYwFAYDVQQHEw1Nb3Vu\n"
    "dGFpbiBWaWV3MR4wHAYDVQQKExVTaWduYWwgTWVzc2VuZ2VyLCBMTEMxGTAXBgNV\n"
    "BAMTEFNpZ25hbCBNZXNzZW5nZXIwKjAFBgMrZXADIQDqbDeiChXLxNhkAWtVJrte\n"
    "76dVF3CQZ1H63vP730GLyKNCMEAwDgYDVR0PAQH/BAQDAgEGMA8GA1UdEwEB/wQF\n"
    "MAMBAf8wHQYDVR0OBBYEFD2GRYOuJn772ETt81dnsGIK3rsrMAUGAytlcANBAFNx\n"
    "xqNrwodMHn+fKEK7llObEOOiQHuIhb4hNhnQj8bR1nWSR3nDlEKHQGy2/fjCxAZ6\n"
    "iiAsTqwoGBF9djV4Rw4=\n"
    "-----END CERTIFICATE-----\n";

const char *sn_signal_roots_pem(void)
{
    return roots_pem;
}
