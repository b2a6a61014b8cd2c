/* Byte encodings: hex (the one hex encoder of the toolkit) and base64. */
#ifndef XP_BASE_ENCODE_H
#define XP_BASE_ENCODE_H

#include <stddef.h>
#include <stdint.h>

/* Decodes exactly want bytes of standard base64 from s[0..len), refusing any byte outside the
 * alphabet (libsodium 1.0.18 alone decodes some bytes above 0x7f as letters). 0 or -1. */
int xp_base64_decode(const char *s, size_t len, uint8_t *out, size_t want);

/* Lower-case hex of n bytes into out (2n+1 bytes), and back (either case): 0 or -1. The one
 * hex encoding of the toolkit. */
void xp_hex(const uint8_t *in, size_t n, char *out);
int xp_unhex(const char *s, uint8_t *out, size_t n);

#endif
