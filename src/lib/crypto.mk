# src/lib/crypto.mk: sources, tests and pages of this area (included by Makefile.am)
