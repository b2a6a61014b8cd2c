#!/bin/bash
# The ODBC fetch path (src/lib/db/fetch.c: plan, bulk_row, get_value) against generated
# SQLite tables: random column declarations (integer, text, binary; sized smaller or larger than
# the values, or not at all), NULLs, empty values, text with 2-, 3- and 4-byte characters and
# CSV's special characters, lengths around the 1 KiB long-column bind and past 64 KiB, rows
# enough for several row arrays. Each table is dumped with xpdump and its rows compared byte
# for byte with what sqlite3 prints of the same values in the dump's CSV form.
# No reals (printed in their shortest exact form, not as sqlite3 prints them). The driver
# reports BINARY(n) as text and would hand a blob there over as the text X'..': xpdump must
# then stop at the first such value, naming its row and column.
# make check runs seeds 1..40; XP_FUZZ_SEEDS=N runs 1..N, XP_FUZZ_SEED=S only seed S.
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
odbcinst -q -d -n SQLite3 >/dev/null 2>&1 || skip_all "the SQLite3 ODBC driver is not registered"

# gen SEED: SQL for table t with the seed's columns and rows (same seed, same SQL).
gen() {
	awk -v seed="$1" '
	function pick(list, a, n) { n = split(list, a, " "); return a[1 + int(rand() * n)] }
	function len() { return pick("0 1 2 5 31 32 33 255 256 1000 1020 1022 1023 1024 1025 1026 1100 2047 4096 " \
		(rand() < 0.15 ? "65535 65536 65537 70000 140000" : "300 700")) }
	function run(n, k) { # n copies of character k (SQLite builds it: the SQL stays small)
		if (n == 0) return "\x27\x27"
		if (k == 97) return sprintf("printf(\x27%%.*c\x27, %d, \x27a\x27)", n)
		return sprintf("replace(printf(\x27%%.*c\x27, %d, \x27x\x27), \x27x\x27, char(%d))", n, k)
	}
	function text(  v, p, np) {
		if (rand() < 0.05) return rand() < 0.5 ? "\x27\x27" : "\x27\\.\x27"
		np = 1 + int(rand() * 3)
		for (p = 0; p < np; p++)
			v = (p ? v " || " : "") run(len(), pick("97 97 97 233 26085 128512 44 34 10 13 32 9 1080"))
		return v
	}
	function blob(  n, h, i) {
		n = len()
		h = ""
		for (i = 0; i < n; i++) h = h sprintf("%02x", int(rand() * 256))
		return "x\x27" h "\x27"
	}
	function integer() {
		if (rand() < 0.2) return "\x27z\x27 || " text() # text in an integer column
		return pick("0 -1 1 42 9223372036854775807 -9223372036854775808 " int(rand() * 2147483647) " -" int(rand() * 1e9))
	}
	BEGIN {
		srand(seed)
		ncols = 1 + int(rand() * 7)
		printf "CREATE TABLE t("
		for (c = 1; c <= ncols; c++) {
			kind[c] = pick("i s s s b b")
			n = pick("1 5 31 32 33 255 1000 1023 1024 1025 4000 65535 65536 65537 100000")
			if (kind[c] == "i")
				decl = pick("INTEGER BIGINT SMALLINT INT TINYINT NUMERIC DOUBLE")
			# a DOUBLE column turns integers into reals, whose text differs by design
			# (shortest exact form): it gets text
			else if (kind[c] == "s")
				decl = pick("VARCHAR(" n ") CHAR(" n ") TEXT CLOB NVARCHAR(" n ") LONGVARCHAR VARCHAR NCHAR(" n ") _")
			else
				decl = rand() < 0.1 ? "BINARY(" n ")" : pick("BLOB VARBINARY(" n ") LONGVARBINARY BLOB(" n ")")
			textonly[c] = decl == "DOUBLE"
			printf "%sc%d %s", (c > 1 ? ", " : ""), c, (decl == "_" ? "" : decl)
		}
		print ");"
		nrows = rand() < 0.1 ? 1000 + int(rand() * 1500) : 1 + int(rand() * 25)
		big = nrows > 100 # many rows: short values only
		print "BEGIN;"
		for (r = 0; r < nrows; r++) {
			printf "INSERT INTO t VALUES ("
			for (c = 1; c <= ncols; c++) {
				if (rand() < 0.15) v = "NULL"
				else if (big) v = kind[c] == "b" ? "x\x27" sprintf("%04x", r) "\x27" : kind[c] == "i" ? (textonly[c] ? "\x27z" r "\x27" : r) : run(r % 1100, 233)
				else v = kind[c] == "i" ? (textonly[c] ? "\x27z\x27 || " text() : integer()) : kind[c] == "s" ? text() : blob()
				printf "%s%s", (c > 1 ? ", " : ""), v
			}
			print ");"
		}
		print "COMMIT;"
	}'
}

# want DB: the rows of t as sqlite3 stores them, in the dump's CSV form (xpdump(1), STREAM
# FORMAT): NULL empty, binary \x hex, text quoted when it holds , " CR LF, is empty or \.,
# or starts or ends with a blank.
want() {
	local cols c expr=''
	cols=$(sqlite3 "$1" "SELECT name FROM pragma_table_info('t') ORDER BY cid")
	for c in $cols; do
		[ -z "$expr" ] || expr+=" || ',' || "
		expr+="CASE WHEN $c IS NULL THEN '' WHEN typeof($c) = 'blob' THEN '\\x' || lower(hex($c))
			WHEN typeof($c) = 'integer' THEN CAST($c AS TEXT)
			WHEN $c = '' OR $c = '\\.' OR instr($c, ',') OR instr($c, '\"') OR instr($c, char(10))
				OR instr($c, char(13)) OR substr($c, 1, 1) IN (' ', char(9))
				OR substr($c, -1, 1) IN (' ', char(9))
			THEN '\"' || replace($c, '\"', '\"\"') || '\"' ELSE $c END"
	done
	sqlite3 -batch -list -noheader "$1" "SELECT $expr FROM t ORDER BY rowid"
}

if [ -n "${XP_FUZZ_SEED:-}" ]; then
	seeds=$XP_FUZZ_SEED
else
	seeds=$(seq 1 "${XP_FUZZ_SEEDS:-40}")
fi
for s in $seeds; do
	db=$T/f$s.db
	if ! gen "$s" >"$T/gen.sql" || ! sqlite3 "$db" <"$T/gen.sql"; then
		ok 1 "seed $s: the generated SQL makes a table"
		continue
	fi
	# the types the driver reports, from the MANIFEST of an empty copy of the table
	sqlite3 "$db" "$(sqlite3 "$db" .schema | sed 's/^CREATE TABLE t(/CREATE TABLE e(/')"
	xpdump --dsn "$(sqlite_dsn "$db")" -t e -o "$T/e.tar" || { ok 1 "seed $s: the empty copy dumps"; continue; }
	tar xOf "$T/e.tar" MANIFEST | awk -F'\t' '$1 == "column" { print $2, $4, $5 }' >"$T/types"
	# the first row and column whose blob the driver would hand over as text
	check=$(awk '$2 !~ /BINARY$/ { printf " WHEN typeof(%s) = \x27blob\x27 THEN \x27%s\x27", $1, $1 }' "$T/types")
	first=''
	if [ -n "$check" ]; then
		first=$(sqlite3 "$db" "SELECT n || ' ' || c FROM (SELECT row_number() OVER (ORDER BY rowid) AS n,
			CASE$check END AS c FROM t) WHERE c IS NOT NULL LIMIT 1")
	fi
	run xpdump --dsn "$(sqlite_dsn "$db")" -t t -o "$T/f.tar"
	if [ -n "$first" ]; then
		read -r frow fcol <<<"$first"
		is "$rc:$err" "1:xpdump: table t: row $frow: column $fcol holds a blob, which its type $(awk -v c="$fcol" '$1 == c { print $3 }' "$T/types") cannot carry in a dump" \
			"seed $s: a blob in a column the driver calls $(awk -v c="$fcol" '$1 == c { print $2 }' "$T/types") stops the dump at row $frow"
		rm -f "$db"
		continue
	fi
	if [ "$rc" -ne 0 ]; then
		is "$rc:$err" "0:" "seed $s: xpdump exits 0"
		continue
	fi
	rm -rf "$T/x" && mkdir "$T/x" && tar xf "$T/f.tar" -C "$T/x"
	for f in "$T"/x/t/*.csv; do tail -n +2 "$f"; done >"$T/got"
	want "$db" >"$T/want"
	decl=$(sqlite3 "$db" "SELECT group_concat(type, ',') FROM pragma_table_info('t')")
	rows=$(sqlite3 "$db" "SELECT count(*) FROM t")
	if cmp -s "$T/got" "$T/want"; then
		ok 0 "seed $s: $rows rows of ($decl) equal sqlite3's values"
	else
		ok 1 "seed $s: $rows rows of ($decl) equal sqlite3's values"
		diag "$(cmp "$T/got" "$T/want")"
		diag "types from the driver: $(tar xOf "$T/f.tar" MANIFEST | grep '^column' | cut -f2,4,6 | paste -sd' ')"
	fi
	rm -f "$db"
done
done_testing
