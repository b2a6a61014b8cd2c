#!/bin/bash
# Erasure requests by value and by interval on backups dumped from PostgreSQL and MariaDB:
# restores withhold exactly the rows whose dump text (xpdump(1) STREAM FORMAT) equals a value
# byte for byte (trailing spaces, case and Unicode normalisation count; a 4-byte UTF-8
# character, quotes, commas and a line end match as they are; NULL never, '' only ''), CHAR(n)
# as each driver returns it, timestamps by their dump text (DATETIME(6): six digits;
# timestamptz: trailing zeros cut, "+00"), and intervals [from, to) against the time column,
# fractions of a second included. xpdump --ledger leaves the same rows out of the live tables.
# shellcheck source=tests/lib.sh
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
need_sqlite
password "$T/pw" 'correct horse battery'
export XP_SIGNING_KEY=$T/signer.key XP_PASSWORD_FILE=$T/pw

nfc=$'Zo\xc3\xab \xf0\x9f\x98\x80'   # "Zoë 😀": ë precomposed (U+00EB), a 4-byte character
nfd=$'Zoe\xcc\x88 \xf0\x9f\x98\x80'  # the same text decomposed (e, U+0308)
quoted=$'O\'Brien, "Pat"\nline two'

# rows BS LF: the test rows as SQL VALUES, a backslash and a line end in a literal written as
# the dialect needs them (BS, and LF between the literal's parts). Rows 1-9
# test values (their times outside the interval), 10 a timestamp value, 11-15 the interval
# [2026-11-12, 2026-11-13) at its edges.
rows() {
	local bs=$1 q=${quoted//\'/\'\'}
	q=${q//$'\n'/$2}
	cat <<SQL
(1, 'CORP${bs}j.smith', 'x', '2026-11-10 08:00:01'), (2, 'CORP${bs}j.smith ', 'x', '2026-11-10 08:00:02'),
(3, 'corp${bs}j.smith', 'x', '2026-11-10 08:00:03'), (4, '$nfc', 'x', '2026-11-10 08:00:04'),
(5, '$nfd', 'x', '2026-11-10 08:00:05'), (6, '$q', 'x', '2026-11-10 08:00:06'),
(7, NULL, 'x', '2026-11-10 08:00:07'), (8, '', 'x', '2026-11-10 08:00:08'),
(9, 'n', 'AB', '2026-11-10 08:00:09'), (10, 'n', 'x', '2026-11-10 09:30:00.25'),
(11, 'n', 'x', '2026-11-11 23:59:59.999999'), (12, 'n', 'x', '2026-11-12 00:00:00'),
(13, 'n', 'x', '2026-11-12 23:59:59.999999'), (14, 'n', 'x', '2026-11-13 00:00:00'),
(15, 'n', 'x', NULL)
SQL
}

# check NAME DSN ATTEXT KEPT CODE9 ZONE NV CODE10: a repository for NAME, a backup of people
# from DSN (row 9's code dumped as CODE9, row 10's as CODE10, times ending in ZONE), two
# requests (the timestamp value given as ATTEXT, its dump text), then what a restore keeps:
# KEPT, and NV rows withheld by the request by value.
check() {
	local name=$1 dsn=$2 attext=$3 kept=$4 R=$T/repo-$1 id
	xpseal init -r "$R" >/dev/null 2>&1 || { echo "Bail out! xpseal init failed"; exit 1; }
	id=$(XP_NOW=2026-11-20T00:00:00Z xpdump -q --dsn "$dsn" -t people:at |
		XP_NOW=2026-11-20T00:00:00Z xpseal -q -r "$R" --require-dump)
	is "$(tar -xOf <(xpseal open -r "$R" "$id" 2>/dev/null) people/000001.csv | grep -E '^(6|9|10),')" \
		"6,\"O'Brien, \"\"Pat\"\"
9,n,$5,2026-11-10 08:00:09$6
10,n,$8,$attext" "$name: the dump's text of CHAR(4) and of a fractional timestamp"
	run env XP_NOW=2026-11-21T00:00:00Z "$XP_BUILDDIR/src/xperase/xperase" -r "$R" --ref CASE-V --reason r -t people \
		--value 'name=CORP\j.smith' --value "name=$nfc" --value "name=$quoted" --value name= \
		--value code=AB --value "at=$attext"
	is "$rc.$err" "0." "$name: a request by value is recorded"
	run env XP_NOW=2026-11-21T00:00:00Z "$XP_BUILDDIR/src/xperase/xperase" -r "$R" --ref CASE-I --reason r -t people \
		--interval 2026-11-12T00:00:00Z/2026-11-13T00:00:00Z
	is "$rc.$err" "0." "$name: a request by interval is recorded"
	run xpseal open -r "$R" "$id" -o "$T/$name.tar"
	is "$rc.$err" "0.xpseal: $7 rows withheld by erasure request CASE-V
xpseal: 2 rows withheld by erasure request CASE-I" "$name: open counts what each request withholds"
	xprestore -q --dsn "$(sqlite_dsn "$T/$name.db")" --create -i "$T/$name.tar"
	is "$(sqlite3 "$T/$name.db" 'select group_concat(id) from (select id from people order by id)')" "$kept" \
		"$name: the restore keeps exactly the rows no request covers"
	run xpdump --dsn "$dsn" -t people:at --ledger "$R" -o "$T/$name-live.tar"
	is "$rc.$err" "0.xpdump: $7 rows left out by erasure request CASE-V
xpdump: 2 rows left out by erasure request CASE-I" "$name: xpdump --ledger leaves the same rows out of the live table"
	is "$(tar -xOf "$T/$name-live.tar" people/000001.csv | sed 1d | cut -d, -f1 | grep -x '[0-9]*' | sort -n | paste -sd,)" "$kept" \
		"$name: and keeps the same rows"
}

if pg_start; then
	psql -qX -v ON_ERROR_STOP=1 <<SQL >/dev/null
CREATE TABLE people (id int PRIMARY KEY, name text, code char(4), at timestamptz);
SET TIME ZONE 'UTC';
INSERT INTO people VALUES $(rows "\\" "' || chr(10) || '");
SQL
	# timestamptz: trailing zeros of the fraction cut, "+00"; char(4) padded with spaces
	check pg "$PG_DSN" "2026-11-10 09:30:00.25+00" "2,3,5,7,9,11,14,15" '"AB  "' "+00" 5 '"x   "'
else
	skip "no PostgreSQL server binaries"
fi

if my_start; then
	# shellcheck disable=SC2119 # myq takes the SQL on stdin
	myq <<SQL
SET time_zone = '+00:00';
CREATE TABLE people (id INT PRIMARY KEY, name TEXT, code CHAR(4), at DATETIME(6)) CHARACTER SET utf8mb4;
INSERT INTO people VALUES $(rows "\\\\" "\\n");
SQL
	# DATETIME(6): six digits, no zone; CHAR(4) without its padding
	check mariadb "$MY_DSN" "2026-11-10 09:30:00.250000" "2,3,5,7,11,14,15" "AB" ".000000" 6 x
else
	skip "no MariaDB server (mariadb-server) installed"
fi

done_testing
