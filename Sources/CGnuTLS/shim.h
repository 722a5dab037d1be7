// GnuTLS for Swift: the headers, plus what Swift cannot import from them
// (a function-pointer global, cast macros).
#ifndef CGNUTLS_SHIM_H
#define CGNUTLS_SHIM_H
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/pkcs11.h>
#include <gnutls/pkcs12.h>

/// `gnutls_free` is a mutable global function pointer, which Swift 6 refuses to read.
static inline void cgnutls_free(void *p) { gnutls_free(p); }

/// Flags for `gnutls_init`: the enum constants and the macros of the same name clash in Swift.
static const unsigned int CGNUTLS_CLIENT = GNUTLS_CLIENT;
static const unsigned int CGNUTLS_SERVER = GNUTLS_SERVER;
static const unsigned int CGNUTLS_NONBLOCK = GNUTLS_NONBLOCK;
static const unsigned int CGNUTLS_FORCE_CLIENT_CERT = GNUTLS_FORCE_CLIENT_CERT;
static const unsigned int CGNUTLS_NO_TICKETS_TLS12 = GNUTLS_NO_TICKETS_TLS12;

/// Every encryption scheme an encrypted PKCS#8 key may use (curl accepts the same set).
static const unsigned int CGNUTLS_PKCS_ANY_ENCRYPTION =
    GNUTLS_PKCS_USE_PKCS12_3DES | GNUTLS_PKCS_USE_PKCS12_ARCFOUR | GNUTLS_PKCS_USE_PKCS12_RC2_40 |
    GNUTLS_PKCS_USE_PBES2_3DES | GNUTLS_PKCS_USE_PBES2_AES_128 | GNUTLS_PKCS_USE_PBES2_AES_192 |
    GNUTLS_PKCS_USE_PBES2_AES_256;

/// `GNUTLS_CURVE_TO_BITS` is a function-like macro: the "bits" that ask for a key on `curve`.
static inline unsigned int cgnutls_curve_to_bits(gnutls_ecc_curve_t curve) { return GNUTLS_CURVE_TO_BITS(curve); }
#endif
