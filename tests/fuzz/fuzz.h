/* Fuzz targets: each file defines LLVMFuzzerTestOneInput for one parser of input that may
 * come from outside (a damaged or forged backup, a dump stream, a signature file). They are
 * built two ways: linked with replay.c for make check (the seed corpus and a fixed set of
 * mutations of it), and with libFuzzer under configure --enable-fuzz (make fuzz). A target
 * aborts when a property it checks fails; crashes are found by the sanitizers. */
#ifndef XP_FUZZ_H
#define XP_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
