#!/bin/bash
# xpdump on MariaDB Connector/ODBC 3.1.15, which holds whole results: tables read in pages by
# any key, not only one integer column: a composite primary key of text under a case- and
# accent-insensitive collation (utf8mb4_general_ci: 'a' = 'A' = 'ä') and a datetime, values
# with equal prefixes across page boundaries; a unique index of NOT NULL text beside a
# nullable one; every row exactly once, in key order as that collation sorts, in one
# snapshot; peak memory bounded. A key with an ENUM is none (it sorts in the type's order but
# compares as text). A table without such a key is read whole, with a warning
# that names it and its size.
. "$XP_SRCDIR/tests/lib.sh"
. "$XP_SRCDIR/tests/lib-db.sh"
my_start || skip_all "no MariaDB server (mariadb-server) installed"

# 200,000 rows in 6 groups of a whose order under the collation ('ab' < 'AB-' < 'abc' <
# 'Äbd' < 'é' < 'f') is not their order as bytes; page boundaries (every 25,000 rows) fall
# inside the groups 'ab', 'AB-', 'abc', 'Äbd', 'é' and 'f' (equal first key columns on both
# sides of the boundary)
myq <<'SQL'
CREATE TABLE ck (a VARCHAR(20) COLLATE utf8mb4_general_ci NOT NULL, t DATETIME(6) NOT NULL,
	n INT, txt VARCHAR(200), PRIMARY KEY (a, t)) CHARACTER SET utf8mb4
	SELECT ELT(1 + seq % 6, 'ab', 'AB-', 'abc', 'Äbd', 'é', 'f') AS a,
	'2026-01-01' + INTERVAL seq DIV 6 SECOND + INTERVAL seq % 3 MICROSECOND AS t, seq AS n,
	REPEAT(CHAR(65 + seq % 26), 200) AS txt FROM seq_1_to_200000;
CREATE TABLE cks LIKE ck;
INSERT INTO cks SELECT * FROM ck ORDER BY a, t LIMIT 2000;
SQL
myq -e "SET GLOBAL log_output = 'TABLE'; SET GLOBAL general_log = 1"
ASAN_OPTIONS=quarantine_size_mb=1 /usr/bin/time -f %M -o "$T/rss" "$XP_BUILDDIR/src/xpdump/xpdump" --dsn "$MY_DSN" -t ck -o "$T/ck.tar" 2>"$T/err"
is "$?:$(cat "$T/err")" "0:" "xpdump reads 200,000 rows by a composite key of text and datetime, no warning"
myq -e "SET GLOBAL general_log = 0"
b1=$(myq -e "SELECT a, '|', t FROM ck ORDER BY a, t LIMIT 1 OFFSET 24999" | tr -d '\t')
is "$(myq -e "SELECT argument FROM mysql.general_log WHERE command_type = 'Execute' AND argument LIKE 'SELECT \`a\`%' LIMIT 1 OFFSET 1")" \
	"SELECT \`a\`,\`t\`,\`n\`,\`txt\` FROM \`ck\` WHERE (\`a\` > '${b1%|*}' OR (\`a\` = '${b1%|*}' AND \`t\` > '${b1#*|}')) ORDER BY \`a\`,\`t\` LIMIT 25000" \
	"the second page goes on after the first one's last key (${b1%|*}, ${b1#*|}), compared by the server"
myq -e "TRUNCATE mysql.general_log"
tar xOf "$T/ck.tar" --wildcards 'ck/*.csv' | sed 1d | grep -v '^a,t,' >"$T/ck.csv"
is "$(wc -l <"$T/ck.csv"):$(sort "$T/ck.csv" | uniq -d | wc -l)" "200000:0" "every row is in the dump, none twice"
is "$(md5sum <"$T/ck.csv")" "$(myq -e "SELECT a, t, n, txt FROM ck ORDER BY a, t" | tr '\t' , | md5sum)" \
	"in key order as the collation sorts it ('ab' < 'AB-' < 'abc' < 'Äbd' < 'é' < 'f')"
big=$(cat "$T/rss")
ASAN_OPTIONS=quarantine_size_mb=1 /usr/bin/time -f %M -o "$T/rss" "$XP_BUILDDIR/src/xpdump/xpdump" --dsn "$MY_DSN" -t cks -o "$T/cks.tar"
small=$(cat "$T/rss")
if [ -n "${XP_VALGRIND:-}" ]; then
	skip "under valgrind: peak memory not measured"
elif asan_built "$XP_BUILDDIR/src/xpdump/xpdump"; then
	skip "built with AddressSanitizer, whose allocator holds freed memory per thread: peak memory is not the program's (the plain build checks it)"
else
	ok "$(((big - small) < 24 * 1024 ? 0 : 1))" \
		"peak memory grows by less than 24 MiB for 46 MB of rows ($((small / 1024)) MiB for 2,000 rows, $((big / 1024)) MiB for 200,000)"
fi

# a time column that leads no index: pages go by the key, in its order, the window filtering
run xpdump --dsn "$MY_DSN" -t ck:t --since 2026-01-01T02:00:00Z -o "$T/ckw.tar"
is "$rc:$err:$(tar xOf "$T/ckw.tar" --wildcards 'ck/*.csv' | sed 1d | grep -v '^a,t,' | md5sum)" \
	"0::$(myq -e "SELECT a, t, n, txt FROM ck WHERE t >= '2026-01-01 02:00:00' ORDER BY a, t" | tr '\t' , | md5sum)" \
	"a window over a time column that leads no index: read in pages by the key, in key order"

# no primary key: a unique index that lets NULLs repeat is passed over for one of NOT NULL
# text in the same collation, keys differing in case and accents only by their numbers
myq <<'SQL'
CREATE TABLE uk (id INT NULL, k VARCHAR(40) COLLATE utf8mb4_general_ci NOT NULL,
	txt VARCHAR(100), UNIQUE KEY (id), UNIQUE KEY (k)) CHARACTER SET utf8mb4
	SELECT IF(seq % 2, NULL, seq) AS id,
	CONCAT(ELT(1 + seq % 4, 'x', 'Y', 'ź', 'Ä'), LPAD(seq DIV 4, 6, '0')) AS k,
	REPEAT('v', 100) AS txt FROM seq_1_to_120000;
SQL
myq -e "SET GLOBAL log_output = 'TABLE'; SET GLOBAL general_log = 1"
run xpdump --dsn "$MY_DSN" -t uk -o "$T/uk.tar"
myq -e "SET GLOBAL general_log = 0"
is "$rc:$err" "0:" "a table with a unique index of NOT NULL text is read in pages, no warning"
want="SELECT \`id\`,\`k\`,\`txt\` FROM \`uk\` ORDER BY \`k\` LIMIT 25000" keys=''
for o in 24999 49999 74999 99999; do
	k=$(myq -e "SELECT k FROM uk ORDER BY k LIMIT 1 OFFSET $o")
	want+=$'\n'"SELECT \`id\`,\`k\`,\`txt\` FROM \`uk\` WHERE \`k\` > '$k' ORDER BY \`k\` LIMIT 25000"
	keys+=${keys:+, }$k
done
is "$(myq -e "SELECT argument FROM mysql.general_log WHERE command_type = 'Execute' AND argument LIKE 'SELECT \`id\`%'")" \
	"$want" "in five pages by that key, each after the last one's last value ($keys)"
tar xOf "$T/uk.tar" --wildcards 'uk/*.csv' | sed 1d | grep -v '^id,k,' >"$T/uk.csv"
is "$(wc -l <"$T/uk.csv"):$(cut -d, -f2 "$T/uk.csv" | sort | uniq -d | wc -l)" "120000:0" \
	"every row of it once"
is "$(md5sum <"$T/uk.csv")" "$(myq -e "SELECT id, k, txt FROM uk ORDER BY k" | sed 's/^NULL//' | tr '\t' , | md5sum)" \
	"in order of that key as the collation sorts it"

# pages of one snapshot: a row committed after the first page, sorting after it, is not in
# a later one
xpdump --dsn "$MY_DSN" -t ck | {
	head -c 200000 >"$T/snap.tar"
	myq -e "INSERT INTO ck VALUES ('f', '2030-01-01', 0, 'late')"
	cat >>"$T/snap.tar"
}
is "$(tar xOf "$T/snap.tar" SUMMARY | awk '$1 == "table" { print $3 }'):$(myq -e "SELECT count(*) FROM ck")" "200000:200001" \
	"every page of a composite key reads the snapshot the dump began with"

# pages read ahead: the second page's query runs while the rows of the first are still being
# written, its 6 MB in chunks of 1 KiB that the reader has stopped taking after 100 KB
myq -e "TRUNCATE mysql.general_log; SET GLOBAL general_log = 1"
xpdump --dsn "$MY_DSN" -t ck --chunk-size 1024 | {
	head -c 100000 >/dev/null
	for _ in $(seq 100); do
		n=$(myq -e "SELECT count(*) FROM mysql.general_log WHERE command_type = 'Execute' AND argument LIKE 'SELECT \`a\`%'")
		[ "$n" -ge 2 ] && break
		sleep 0.1
	done
	echo "$n" >"$T/ahead"
	cat >/dev/null
}
myq -e "SET GLOBAL general_log = 0; TRUNCATE mysql.general_log"
is "$(cat "$T/ahead")" 2 "the second page is asked for while the first one is written, the third not yet"

# a key with an ENUM: ORDER BY sorts it by the type's order ('z' < 'a' < 'm') but a
# comparison with text compares text, so pages cannot go by it: read whole, every row once
myq -e "CREATE TABLE ek (e ENUM('z', 'a', 'm') NOT NULL, n INT NOT NULL, u INT NOT NULL,
	PRIMARY KEY (e, n), UNIQUE KEY (u, e)) SELECT ELT(1 + seq DIV 20000, 'z', 'a', 'm') AS e,
	seq AS n, seq AS u FROM seq_0_to_59999"
run xpdump --dsn "$MY_DSN" -t ek -o "$T/ek.tar"
like "$rc:$err" "0:xpdump: warning: table ek: no key to read it in pages by (a primary key or unique index of NOT NULL integer, text or time columns): the ODBC driver holds the whole result in memory while it is read (the table takes [1-9]* MiB on the server)" \
	"a primary key and a unique index with an ENUM column: not read in pages by them, a warning"
tar xOf "$T/ek.tar" --wildcards 'ek/*.csv' | sed 1d | grep -v '^e,n,' >"$T/ek.csv"
is "$(wc -l <"$T/ek.csv"):$(sort -u "$T/ek.csv" | wc -l)" "60000:60000" \
	"and every row is in the dump once"

# no key to page by (a unique index that lets NULLs repeat, a primary key on a blob's
# prefix): read whole, with a warning naming the table and its size
myq -e "CREATE TABLE nk (id INT, u INT NULL UNIQUE, b BLOB, PRIMARY KEY (b(10)))
	SELECT seq AS id, seq AS u, seq AS b FROM seq_1_to_3"
run xpdump --dsn "$MY_DSN" -t nk -o "$T/nk.tar"
is "$rc:$err" "0:xpdump: warning: table nk: no key to read it in pages by (a primary key or unique index of NOT NULL integer, text or time columns): the ODBC driver holds the whole result in memory while it is read (the table takes 1 MiB on the server)" \
	"a table without a key of NOT NULL columns: read whole, a warning names it and its size"
is "$(tar xOf "$T/nk.tar" SUMMARY | awk '$1 == "table" { print $3 }')" "3" "and every row is in the dump"

done_testing
