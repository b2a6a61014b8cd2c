# tests: the shell test library and the valgrind wrapper; each module's and tool's tests are
# registered beside its code.
EXTRA_DIST += tests/valgrind-wrap tests/valgrind.supp
