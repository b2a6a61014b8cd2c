#!/bin/bash
# The library's layers point one way (scripts/check-layers holds the order): the tree as it is
# passes, and copies of it with one wrong include each are refused with the line named.
# shellcheck source=tests/lib.sh
. "$XP_SRCDIR/tests/lib.sh"

check=$XP_SRCDIR/scripts/check-layers

run "$check" "$XP_SRCDIR"
is "$rc:$out" "0:" "the tree: no file includes a higher or sibling layer, no module circle"

# A copy of the sources (src/**/*.c, *.h), changed by the caller.
copy() {
	rm -rf "$T/tree"
	mkdir -p "$T/tree"
	(cd "$XP_SRCDIR" && find src -name '*.[ch]' -print0 | xargs -0 cp --parents -t "$T/tree")
}
# plant FILE LINE: inserts LINE before the first #include of FILE in the copy; $n is its
# line number.
plant() {
	n=$(grep -n -m1 '^#include' "$T/tree/$1" | cut -d: -f1)
	sed -i "${n}i $2" "$T/tree/$1"
}

copy
plant src/lib/base/time.c '#include "repo/repo.h"'
run "$check" "$T/tree"
is "$rc:$out" "1:src/lib/base/time.c:$n: base includes repo/repo.h of the higher layer repo" \
	"base including repo is refused, naming file and line"

copy
plant src/lib/stream/csv.c '#include "crypto/sign.h"'
run "$check" "$T/tree"
is "$rc:$out" "1:src/lib/stream/csv.c:$n: stream includes crypto/sign.h of its sibling layer crypto" \
	"stream including crypto, its sibling, is refused"

copy
plant src/lib/db/odbc.h '#include "repo/catalog.h"'
run "$check" "$T/tree"
is "$rc:$out" "1:src/lib/db/odbc.h:$n: db includes repo/catalog.h of the higher layer repo" \
	"a header of db including repo is refused"

copy
plant src/lib/repo/repo.c '#include "repo.h"'
run "$check" "$T/tree"
is "$rc:$out" "1:src/lib/repo/repo.c:$n: includes \"repo.h\", not by its layer's path (LAYER/NAME.h)" \
	"an include without its folder is refused"

copy
plant src/lib/repo/journal.c '#include "repo/catalog.h"'
run "$check" "$T/tree"
# (erase-ledger, which the catalog includes and which includes journal, is in a circle too)
is "$rc:$(sort <<<"$out")" "1:  repo/catalog
  repo/catalog
  repo/erase-ledger
  repo/journal
  repo/journal
modules that include each other in a circle:" "a circle of two modules of one layer (journal and catalog) is refused"

copy
plant src/lib/db/odbc.c '#include "db/fetch.h"'
run "$check" "$T/tree"
like "$rc:$out" "1:modules that include each other in a circle:*db/odbc*" \
	"odbc.c reaching back into fetch, which is over it, is a circle"

copy
mkdir -p "$T/tree/src/lib/misc"
cp "$T/tree/src/lib/base/fault.h" "$T/tree/src/lib/misc/x.h"
run "$check" "$T/tree"
is "$rc:$out" "1:src/lib/misc: a folder that is no layer (add it to the order in scripts/check-layers)" \
	"a folder outside the order is refused"

copy
plant src/xpdump/main.c '#include "db/nosuch.h"'
run "$check" "$T/tree"
is "$rc:$out" "1:src/xpdump/main.c:$n: includes \"db/nosuch.h\", which does not exist" \
	"a tool may include any layer, but only headers that exist"

done_testing
