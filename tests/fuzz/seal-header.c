/* The sealed file's header, as xpseal, xpverify and xpexpire read it from any file. */
#include "config.h"

#include "fuzz.h"

#include "crypto/seal.h"
#include "base/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xp_seal_header h;
	struct xp_err err;

	xp_seal_parse_header(data, size, &h, &err);
	return 0;
}
