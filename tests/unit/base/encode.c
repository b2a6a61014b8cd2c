/* Hex, the one encoder and decoder of the toolkit, and base64 decoding. */
#include "config.h"

#include "base/encode.h"

#include "../tap.h"

#include <string.h>

int main(void)
{
	static const uint8_t bytes[] = {0x00, 0x9f, 0xff, 0x10};
	uint8_t out[8];
	char hex[9];

	xp_hex(bytes, sizeof bytes, hex);
	is_str(hex, "009fff10", "bytes as lower-case hex, NUL-terminated");
	ok(xp_unhex("009FfF10", out, 4) == 0 && memcmp(out, bytes, 4) == 0,
	   "hex of either case decodes back");
	is_int(xp_unhex("009fff1", out, 4), -1, "a short string is refused");
	is_int(xp_unhex("009fff1g", out, 4), -1, "a non-hex digit is refused");
	ok(xp_unhex_mem("\\x009fff10,next" + 2, out, 4) == 0 && memcmp(out, bytes, 4) == 0,
	   "the first 2n characters decode without a NUL after them");
	is_int(xp_unhex_mem("0x", out, 1), -1, "x is no hex digit");
	ok(xp_base64_decode("AJ//EA==", 8, out, 4) == 0 && memcmp(out, bytes, 4) == 0,
	   "base64 decodes exactly the bytes asked for");
	is_int(xp_base64_decode("AJ//EA==", 8, out, 3), -1, "another length is refused");
	is_int(xp_base64_decode("AJ\xc3\x9f/EA=", 8, out, 4), -1,
	       "a byte outside the alphabet is refused");
	return done_testing();
}
