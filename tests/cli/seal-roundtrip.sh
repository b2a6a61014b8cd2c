#!/bin/bash
# xpseal round trips through the real binaries: sizes around the chunk size, ~100 MB, random
# data, shreddable backups; the stock minisign accepts the signatures.
. "$XP_SRCDIR/tests/lib.sh"
for tool in openssl minisign b2sum; do
	command -v "$tool" >/dev/null || skip_all "$tool is not installed"
done

export XP_SIGNING_KEY=$T/host/signer.key
R=$T/repo
C=1048576 # the chunk size xpseal writes
password "$T/pw" 'correct horse'

run xpseal init -r "$R" --password-file "$T/pw"
is "$rc:$err" "0:" "init creates a repository"
ok "$([ -s "$R/keys/repo.pub" ] && [ -s "$R/keys/repo.key" ] && [ -s "$R/keys/signer.pub" ] &&
	[ -s "$XP_SIGNING_KEY" ])$?" "init writes repo.pub, repo.key, signer.pub and the signing key"
is "$(grep -v '^#' "$R/config")" "shreddable no" "a repository is not shreddable by default"

# rand N: N deterministic, incompressible bytes.
rand() { openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f -iv 0 \
	</dev/zero 2>/dev/null | head -c "$1"; }

# round NAME FILE: seal FILE, check the id, the files, the signature, and open it again.
round() {
	local id path
	run xpseal -r "$R" -i "$2"
	id=$out
	like "$rc:$id" "0:[0-9a-f][0-9a-f]*" "$1: seal prints the backup id"
	path=$R/data/${id:0:2}/$id.xps
	ok "$([ ${#id} -eq 32 ] && [ -f "$path" ] && [ -f "$path.minisig" ])$?" \
		"$1: data/XX/ID.xps and its .minisig exist"
	run minisign -V -q -p "$R/keys/signer.pub" -m "$path"
	is "$rc" 0 "$1: the stock minisign accepts the signature"
	run xpseal open -r "$R" --password-file "$T/pw" "$id" -o "$T/back"
	is "$rc:$err" "0:" "$1: open -o succeeds"
	cmp -s "$2" "$T/back"
	ok $? "$1: open gives back the exact bytes"
	rm -f "$T/back"
}

for n in 0 1 $((C - 1)) $C $((C + 1)); do
	head -c "$n" "$XP_SRCDIR/tests/lib.sh" >"$T/in"
	[ "$n" -gt 100 ] && rand "$n" >"$T/in"
	round "$n bytes" "$T/in"
done
rand 3000000 >"$T/rand"
round "3 MB of random bytes" "$T/rand"
seq 1 20000000 | head -c 100000000 >"$T/big"
round "100 MB of text" "$T/big"

# stdin and stdout, and XP_REPO.
id=$(XP_REPO=$R xpseal <"$T/rand")
is "$?" 0 "seal reads stdin with the repository from XP_REPO"
XP_REPO=$R XP_PASSWORD_FILE=$T/pw xpseal open "$id" | cmp -s - "$T/rand"
ok $? "open writes to stdout with the password from XP_PASSWORD_FILE"
xpseal open -r "$R" --password-file "$T/pw" "$R/data/${id:0:2}/$id.xps" | cmp -s - "$T/rand"
ok $? "open takes a file name as well as an id"

# --json
run xpseal -r "$R" --json -i "$T/rand"
like "$out" '{"id":"*","path":"'"$R"'/data/*.xps","bytes_in":3000000,"bytes_out":*,"created":"20*Z","seconds":*}' \
	"--json prints id, path, sizes, time"
path=${out#*\"path\":\"}
path=${path%%\"*}
size=$(stat -c %s "$path")
like "$out" "*\"bytes_out\":$size,*" "--json bytes_out is the size of the file"
hash=$(b2sum -l 256 "$path" | cut -d' ' -f1)
like "$out" "*\"blake2b\":\"$hash\"*" "--json blake2b is BLAKE2b-256 of the file"
run xpseal -r "$R" -q -i "$T/rand"
is "$(wc -l <"$T/.out"):$err" "1:" "-q: only the id, nothing on stderr"

run xpseal -r "$R" -i "$T/rand"
is "$err" "" "no progress line when stderr is not a terminal"
if command -v script >/dev/null; then
	script -qec "$XP_BUILDDIR/src/xpseal/xpseal -r $R -i $T/rand" /dev/null >"$T/tty"
	like "$(tr '\r' '\n' <"$T/tty" | grep 'MB/s' | tail -1)" "xpseal: 3.0 MB read, * MB/s*" \
		"on a terminal a progress line shows MB read and MB/s"
	script -qec "$XP_BUILDDIR/src/xpseal/xpseal -q -r $R -i $T/rand" /dev/null >"$T/tty"
	is "$(tr -d '\r' <"$T/tty" | grep -c 'MB/s')" 0 "-q: no progress line on a terminal"
else
	skip "progress line: script(1) is not installed"
	skip "progress line: script(1) is not installed"
fi

# --level: zstd's level, recorded in --json; the file opens to the same bytes at any level
seq 1 300000 >"$T/text"
declare -A sz
for l in 1 19 -5; do
	run xpseal -r "$R" --json --level "$l" -i "$T/text"
	like "$rc:$out" "0:*\"workers\":*,\"level\":$l}" "--level $l: --json says the level"
	p=${out#*\"path\":\"}
	p=${p%%\"*}
	sz[$l]=$(stat -c %s "$p")
	xpseal open -r "$R" --password-file "$T/pw" "$p" | cmp -s - "$T/text"
	ok $? "--level $l: the backup opens to the same bytes"
done
ok "$([ "${sz[19]}" -lt "${sz[1]}" ] && [ "${sz[1]}" -lt "${sz[-5]}" ])$?" \
	"level 19 is smaller than 1, which is smaller than -5 (${sz[19]} < ${sz[1]} < ${sz[-5]})"
run xpseal -r "$R" --json -i "$T/text"
like "$out" "*\"level\":3}" "without --level the level is 3"

# Reading a pipe, xpseal first grows it to hold 1 MiB (or pipe-max-size), not 64 KiB.
if command -v python3 >/dev/null; then
	python3 -c '
import fcntl, os, sys, time
os.write(1, b"x")
for _ in range(200):
	n = fcntl.fcntl(1, 1032)
	if n > 65536:
		break
	time.sleep(0.05)
print(n, file=open(sys.argv[1], "w"))' "$T/pipesize" | xpseal -r "$R" -q >/dev/null
	is "$(cat "$T/pipesize")" "$(awk '{ print ($1 < 1048576 ? $1 : 1048576) }' /proc/sys/fs/pipe-max-size)" \
		"xpseal's input pipe holds 1 MiB (or pipe-max-size)"
else
	skip "python3 is not installed"
fi
# The sealed file goes to the disk as it is written, so the final fsync has little left to wait
# for: past 8 MiB of output, sync_file_range starts the writeback.
if command -v strace >/dev/null; then
	rand 20000000 >"$T/big"
	strace -f -qq -e trace=sync_file_range -o "$T/st" "$XP_BUILDDIR/src/xpseal/xpseal" -r "$R" -q -i "$T/big" >/dev/null
	is "$(grep -c 'SYNC_FILE_RANGE_WRITE) = 0' "$T/st")" 2 "20 MB sealed: two 8 MiB writebacks started early"
else
	skip "strace is not installed"
fi

# Shreddable backups.
run xpseal -r "$R" --shreddable -i "$T/rand"
id=$out
is "$rc" 0 "seal --shreddable"
V=$XP_STATE_DIR/vault/$(sed -n 2p "$R/keys/repo.id")
ok "$([ -s "$V/$id.key" ])$?" "its data key is in the host's vault, STATE/vault/REPOID/ID.key"
xpseal open -r "$R" --password-file "$T/pw" "$id" | cmp -s - "$T/rand"
ok $? "a shreddable backup opens while its key file exists"
cp "$V/$id.key" "$T/saved.key"
rm "$V/$id.key"
run xpseal open -r "$R" --password-file "$T/pw" "$id"
like "$rc:$err" "1:xpseal: */$id.xps: backup $id: key shredded or vault missing (no $id.key in $V)" \
	"without its key file it cannot be opened"
cp "$T/saved.key" "$V/$id.key"

R2=$T/shredrepo
run xpseal init -r "$R2" --password-file "$T/pw" --shreddable
is "$(grep -v '^#' "$R2/config")" "shreddable yes" "init --shreddable makes it the default"
run xpseal -r "$R2" -i "$T/rand"
ok "$([ "$rc" -eq 0 ] && [ -s "$XP_STATE_DIR/vault/$(sed -n 2p "$R2/keys/repo.id")/$out.key" ])$?" \
	"in a shreddable repository every backup is shreddable"

done_testing
