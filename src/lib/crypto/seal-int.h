/* Internals shared by the sealed-file format and sealing (seal.c) and opening (seal-open.c). */
#ifndef XP_SEAL_INT_H
#define XP_SEAL_INT_H

#include <stdint.h>

#include <sodium.h>

#include "crypto/seal.h"

#define MAGIC       "\x89XPS\r\n\x1a\n"
#define SHRED_MAGIC "\x89XPK\r\n\x1a\n"
#define FIXED_LEN   80 /* header bytes before the sealed data key */
#define LEN_BYTES   4  /* chunk length prefix */
#define ABYTES      crypto_secretstream_xchacha20poly1305_ABYTES
#define READ_SIZE   (1u << 20)

/* Serialises h into buf (XP_SEAL_HEADER_MAX bytes); returns the length. */
size_t xp_seal_header_write(const struct xp_seal_header *h, uint8_t *buf);

static inline void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static inline void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static inline uint32_t get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static inline uint32_t get32(const uint8_t *p)
{
	return get16(p) << 16 | get16(p + 2);
}

static inline uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

#endif
