#include "config.h"

#include "dump.h"

#include <stdlib.h>

/* TEMPORARY stubs: replaced by the real code in the next commits. */
void xp_manifest_free(struct xp_manifest *m)
{
}
int xp_manifest_format(const struct xp_manifest *m, char **out, size_t *len, struct xp_err *err)
{
	return xp_err_set(err, XP_EFAIL, "not implemented");
}
int xp_summary_format(const struct xp_manifest *m, char **out, size_t *len, struct xp_err *err)
{
	return xp_err_set(err, XP_EFAIL, "not implemented");
}
int xp_manifest_parse(const char *buf, size_t len, struct xp_manifest *m, struct xp_err *err)
{
	return xp_err_set(err, XP_EFAIL, "not implemented");
}
int xp_summary_parse(const char *buf, size_t len, struct xp_manifest *m, struct xp_err *err)
{
	return xp_err_set(err, XP_EFAIL, "not implemented");
}
int xp_dump_writer_open(struct xp_dump_writer **w, int fd, struct xp_manifest *m, size_t chunk_size,
                        struct xp_err *err)
{
	return xp_err_set(err, XP_EFAIL, "not implemented");
}
int xp_dump_writer_row(struct xp_dump_writer *w, size_t t, const struct xp_field *f,
                       struct xp_err *err)
{
	return xp_err_set(err, XP_EFAIL, "not implemented");
}
int xp_dump_writer_finish(struct xp_dump_writer *w, struct xp_err *err)
{
	return xp_err_set(err, XP_EFAIL, "not implemented");
}
void xp_dump_writer_stats(const struct xp_dump_writer *w, uint64_t *rows, uint64_t *bytes)
{
}
void xp_dump_writer_free(struct xp_dump_writer *w)
{
}
int xp_dump_run(const struct xp_dump_opts *o, int fd, struct xp_err *err)
{
	return xp_err_set(err, XP_EFAIL, "not implemented");
}
int xp_dump_reader_open(struct xp_dump_reader **r, int fd, struct xp_err *err)
{
	return xp_err_set(err, XP_EFAIL, "not implemented");
}
const struct xp_manifest *xp_dump_reader_manifest(const struct xp_dump_reader *r)
{
	return NULL;
}
int xp_dump_reader_next_table(struct xp_dump_reader *r, size_t *t, struct xp_err *err)
{
	return xp_err_set(err, XP_EFAIL, "not implemented");
}
int xp_dump_reader_next_row(struct xp_dump_reader *r, const struct xp_field **row,
                            struct xp_err *err)
{
	return xp_err_set(err, XP_EFAIL, "not implemented");
}
void xp_dump_reader_free(struct xp_dump_reader *r)
{
}
struct xp_dump_tap *xp_dump_tap_new(void)
{
	return NULL;
}
void xp_dump_tap_feed(struct xp_dump_tap *tap, const void *buf, size_t n)
{
}
int xp_dump_tap_result(struct xp_dump_tap *tap, struct xp_dump_brief *out)
{
	return 0;
}
void xp_dump_tap_free(struct xp_dump_tap *tap)
{
}
