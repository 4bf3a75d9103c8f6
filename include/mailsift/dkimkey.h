/* DKIM key records (RFC 6376 3.6.1) fetched through the project's resolver,
 * and RSA-SHA256 signature checks with OpenSSL's libcrypto. */
#ifndef MAILSIFT_DKIMKEY_H
#define MAILSIFT_DKIMKEY_H

#include <stddef.h>

#include <openssl/evp.h>

#include "mailsift/dns.h"

/* RFC 8301 3.2: verifiers refuse RSA keys shorter than this. */
#define DKIMKEY_MIN_RSA_BITS 1024
/* A key record longer than this is refused (an 8192-bit key is ~1.4 kB). */
#define DKIMKEY_MAX_RECORD 4096
/* The longest signature accepted: 8192-bit RSA. */
#define DKIMKEY_MAX_SIG 1024

enum dkimkey_status {
	DKIMKEY_OK,
	DKIMKEY_TEMP, /* DNS trouble (timeout, SERVFAIL, budget spent): try later */
	DKIMKEY_FAIL, /* no key, a bad, revoked, unsuitable or too short key */
};

/* Fetches the TXT record at <selector>._domainkey.<domain> and parses it;
 * on DKIMKEY_OK *key_r is the key (the caller frees it with
 * EVP_PKEY_free), otherwise *error_r says why. Only RSA keys are taken. */
enum dkimkey_status dkimkey_fetch(struct dns_resolver *r, struct dns_budget *b,
				  const char *selector, const char *domain, EVP_PKEY **key_r,
				  const char **error_r);

/* Parses a key record's text (the TXT strings joined). */
enum dkimkey_status dkimkey_parse(const char *record, EVP_PKEY **key_r, const char **error_r);

/* 1 if sig is a valid RSASSA-PKCS1-v1_5 SHA-256 signature of data by key,
 * 0 if not. */
int dkimkey_verify_rsa_sha256(EVP_PKEY *key, const void *data, size_t len, const unsigned char *sig,
			      size_t siglen);

#endif
