# examples: the demo database generator and ODBC configuration samples
# (EXTRA_DIST, not dist_noinst_SCRIPTS: Makefile.am does not initialise the latter)
EXTRA_DIST += examples/make-demo-db examples/odbc.ini examples/odbcinst.ini
