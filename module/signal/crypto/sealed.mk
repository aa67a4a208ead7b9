# module/signal/crypto/sealed.mk: add with +=, e.g. libsbcrypto_la_SOURCES += module/signal/crypto/sc_x.c
