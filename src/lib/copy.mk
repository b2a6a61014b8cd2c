# src/lib/copy.mk: managed copies (included by Makefile.am)
# The targets a host registers, and copying, expiring and checking backups on them.
src_lib_libxp_a_SOURCES += src/lib/copy.c src/lib/copy.h src/lib/copy-int.h src/lib/copy-ops.c src/lib/copy-check.c \
	src/lib/copy-target.c src/lib/copy-rclone.c
