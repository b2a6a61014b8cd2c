#!/bin/bash
# What whoever can write the repository's storage must not make the host do: carry out a
# pending change appended to the journal (its chain is unkeyed), accept a backup swapped in
# under another's id or from another repository, sign a catalog someone edited, or decrypt a
# file swapped in after its signature was checked.
# shellcheck source=tests/lib.sh
. "$XP_SRCDIR/tests/lib.sh"
command -v b2sum >/dev/null || skip_all "b2sum is not installed"

export XP_SIGNING_KEY=$T/host/signer.key
R=$T/repo
password "$T/pw" 'correct horse'
xpseal init -r "$R" --password-file "$T/pw" >/dev/null || exit 1
printf 'first backup\n' >"$T/a"
printf 'second backup\n' >"$T/b"
A=$(xpseal -r "$R" -i "$T/a") || exit 1
B=$(xpseal -r "$R" -i "$T/b") || exit 1
C=$(xpseal -r "$R" --shreddable -i "$T/a") || exit 1
PA=$R/data/${A:0:2}/$A.xps
PB=$R/data/${B:0:2}/$B.xps
xpexpire -r "$R" --hold "$A" --reason "case 7" >/dev/null || exit 1
cp -a "$R" "$T/clean"
cp -a "$XP_STATE_DIR" "$T/clean-state"
# The repository as it was, and this host as it was then: its trust pins have seen no later
# change, so the copy is no rollback to it.
fresh() {
	rm -rf "$R" "$XP_STATE_DIR" && cp -a "$T/clean" "$R" && cp -a "$T/clean-state" "$XP_STATE_DIR"
}
row() { awk -F'\t' -v id="$1" '$1 == id { print $'"$2"' }' "$R/catalog"; }

# forge EVENT ID: appends an event that chains to the journal's last line, unsigned.
forge() {
	local prev
	prev=$(tail -1 "$R/journal" | tr -d '\n' | b2sum -l 256 | cut -d' ' -f1)
	printf '2026-11-30T00:00:00Z\t%s\t%s\tforged\t-\t%s\n' "$2" "$1" "$prev" >>"$R/journal"
}

# Attack 3: pending changes appended to the journal.
forge released "$A"
forge deleting "$A"
forge shredding "$C"
n=$(($(wc -l <"$R/journal") - 1)) # the line of the forged "deleting"
run xpseal -r "$R" -i "$T/b"
is "$rc" 0 "the next seal runs"
is "$(grep -c 'ignored, never carried out' <<<"$err")" 3 "and warns of each forged record"
like "$err" "*journal: line $n: \"deleting\" of $A is not signed by the host's key: ignored, never carried out*" \
	"naming its line, event and backup"
ok "$([ -e "$PA" ] && [ -e "$PA.minisig" ])$?" "a forged \"deleting\" deletes nothing"
is "$(row "$A" 11)" "case 7" "a forged \"released\" lifts no hold"
is "$(row "$C" 2):$([ -e "$XP_STATE_DIR/vault/$(sed -n 2p "$R/keys/repo.id")/$C.key" ] && echo key)" "sealed:key" \
	"a forged \"shredding\" shreds nothing"
run xpexpire -r "$R" --keep-last 1
ok "$([ -e "$PA" ])$?" "nor does the next expiry delete the held backup"
run xpverify -r "$R"
is "$rc" 3 "xpverify reports forged records: exit 3"
is "$(grep -c '^xpverify: journal: line .*: ignored, never carried out$' <<<"$err")" 3 \
	"one journal finding each"

# Attack 5: a backup's files under another id, or from another repository.
fresh
cp "$PB" "$PA" && cp "$PB.minisig" "$PA.minisig"
run xpverify -r "$R" "$A"
is "$rc:$err" "3:xpverify: $PA: backup $B, signed as such, is stored under the id $A" \
	"xpverify -r REPO ID: B's files under A's id exit 3"
run xpverify -r "$R" --deep --password-file "$T/pw" "$A"
is "$rc" 3 "--deep: exit 3"
like "$err" "*$PA: backup $B, signed as such, is stored under the id $A*" "--deep names it"
run xpseal open -r "$R" --password-file "$T/pw" "$A"
is "$rc:$out:$err" "3::xpseal: $PA: backup $B, signed as such, is stored under the id $A" \
	"xpseal open: exit 3, nothing written"
fresh
R2=$T/other
xpseal init -r "$R2" --password-file "$T/pw" >/dev/null || exit 1
X=$(xpseal -r "$R2" -i "$T/a") || exit 1
mkdir -p "$R/data/${X:0:2}"
cp "$R2/data/${X:0:2}/$X.xps" "$R2/data/${X:0:2}/$X.xps.minisig" "$R/data/${X:0:2}/"
run xpverify -r "$R" "$X"
like "$rc:$err" "3:xpverify: $R/data/${X:0:2}/$X.xps: sealed for another repository key (*)" \
	"a backup of another repository signed by the same host: exit 3"
run xpseal open -r "$R" --password-file "$T/pw" "$X"
like "$rc:$out:$err" "3::xpseal: $R/data/${X:0:2}/$X.xps: sealed for another repository key (*)" \
	"xpseal open refuses it before the password"

# Attack 5: an edited catalog is never signed by the next change.
fresh
for edit in "s/^\($B\t[a-z]*\t[^\t]*\t\)-\t-/\12099-01-01T00:00:00Z\t2099-01-02T00:00:00Z/" \
	"s/^\($B\t\)sealed/\1shredded/"; do
	fresh
	sed -i "$edit" "$R/catalog"
	cp "$R/catalog.minisig" "$T/sig"
	run xpseal -r "$R" -i "$T/b"
	like "$rc:$err" "3:xpseal: *: $R/catalog: its signature does not verify with this host's signing key: it was edited, or signed by another key; nothing changed (xpverify -r $R)" \
		"an edited catalog ($edit): the next seal exits 3"
	ok "$(cmp -s "$T/sig" "$R/catalog.minisig")$?" "and leaves its signature as it was"
	run xpexpire -r "$R" --keep-last 1
	is "$rc" 3 "so does the next expiry"
done

# Attack 6: the file swapped between the signature check and decryption. The password comes
# through a FIFO, written only once the backup has been checked and B swapped in under A.
fresh
mkfifo -m 600 "$T/fifo"
xpseal open -r "$R" --password-file "$T/fifo" "$A" >"$T/out" 2>"$T/err" &
pid=$!
exec 3>"$T/fifo" # returns once xpseal opened it: after checking the signature
mv "$PB" "$PA" && mv "$PB.minisig" "$PA.minisig"
cat "$T/pw" >&3
exec 3>&-
wait "$pid"
is "$?:$(cat "$T/err")" "0:" "xpseal open of A, B swapped in after the check"
is "$(cat "$T/out")" "first backup" "writes the bytes it checked, never the swapped file"
# The same for xpverify: it stops at a fault point (XP_FAULT_STOP) between the signature check
# and the deep check, or between the deep check and the drill, while B is swapped in under A.
# stopped PID: waits (up to 10 s) until the process is stopped at its fault point.
stopped() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = T ] && return 0
		sleep 0.1
	done
	return 1
}
# swap_at STEP ARG...: runs xpverify ARG... stopped before STEP, swaps B in under A, lets it
# go on; $rc, $out, $err as run.
swap_at() {
	local step=$1 k pid bin=$XP_BUILDDIR/src/xpverify/xpverify
	shift
	fresh
	k=$(XP_FAULT_TRACE=1 "$bin" "$@" 2>&1 >/dev/null | sed -n "s/^xpverify: fault point \([0-9]*\): $step\$/\1/p" | head -1)
	[ -n "$k" ] || { diag "no fault point \"$step\""; rc=; return; }
	fresh
	XP_FAULT_STOP=$k "$bin" "$@" >"$T/out" 2>"$T/err" &
	pid=$!
	stopped "$pid" || { diag "xpverify did not stop at \"$step\""; kill -KILL "$pid"; }
	mv "$PB" "$PA" && mv "$PB.minisig" "$PA.minisig"
	kill -CONT "$pid"
	wait "$pid"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}
swap_at "verify: deep" -r "$R" --deep --password-file "$T/pw" "$A"
like "$rc:$err" "3:*$PA: backup $B, signed as such, is stored under the id $A*" \
	"--deep of A, B swapped in after the signature check: the deep check catches it, exit 3"
if command -v sqlite3 >/dev/null && odbcinst -q -d 2>/dev/null | grep -qi sqlite; then
	S=$T/scratch.db
	sqlite3 "$S" "CREATE TABLE keep (x TEXT)"
	sqlite3 "$T/src.db" "CREATE TABLE audit (id INTEGER PRIMARY KEY, who TEXT);
		INSERT INTO audit VALUES (1, 'ann'), (2, 'bob')"
	xpdump --dsn "$(sqlite_dsn "$T/src.db")" -t audit -o "$T/dump" 2>/dev/null || exit 1
	sqlite3 "$T/src.db" "INSERT INTO audit VALUES (3, 'cy')"
	xpdump --dsn "$(sqlite_dsn "$T/src.db")" -t audit -o "$T/dump2" 2>/dev/null || exit 1
	rm -rf "$T/clean"
	R=$T/drill
	xpseal init -r "$R" --password-file "$T/pw" >/dev/null || exit 1
	A=$(xpseal -r "$R" -i "$T/dump") && B=$(xpseal -r "$R" -i "$T/dump2") || exit 1
	PA=$R/data/${A:0:2}/$A.xps
	PB=$R/data/${B:0:2}/$B.xps
	cp -a "$R" "$T/clean"
	swap_at "verify: drill" -r "$R" --drill "$(sqlite_dsn "$S")" --password-file "$T/pw" "$A"
	is "$rc:$(tail -1 <<<"$out")" "0:$A: drill passed: 1 table, 2 rows restored and compared" \
		"--drill of A, B swapped in after the deep check: drills the bytes the deep check verified"
else
	skip "no SQLite ODBC driver for the drill"
fi

# One descriptor per file, and not one more per backup checked: --deep of more backups than
# the process may hold files open.
R3=$T/many
xpseal init -r "$R3" --password-file "$T/pw" >/dev/null || exit 1
for i in $(seq 40); do printf '%s\n' "$i" | xpseal -r "$R3" >/dev/null || exit 1; done
(
	ulimit -n 32
	xpverify -r "$R3" --deep --password-file "$T/pw" >"$T/out" 2>"$T/err"
)
is "$?:$(grep -c 'deep check passed' "$T/out"):$(cat "$T/err")" "0:40:" \
	"--deep of 40 backups within 32 open files"
done_testing
