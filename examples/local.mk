# examples: the demo database generator and ODBC configuration samples
dist_noinst_SCRIPTS += examples/make-demo-db
EXTRA_DIST += examples/odbc.ini examples/odbcinst.ini
