#!/bin/bash
# xpseal's usage errors (exit 2), failures (exit 1, one line), and no file left behind by a
# failed or interrupted seal.
. "$XP_SRCDIR/tests/lib.sh"
command -v minisign >/dev/null || skip_all "minisign is not installed"

export XP_SIGNING_KEY=$T/host/signer.key
R=$T/repo
password "$T/pw" 'correct horse'
xpseal init -r "$R" --password-file "$T/pw" || exit 1
head -c 3000000 /dev/urandom >"$T/in"

run xpseal --help
like "$rc:$out" "0:usage: xpseal -r REPO*" "--help prints the usage on stdout"
for args in "" "-x" "--nope" "frobnicate -r $R" "open -r $R" "open -r $R a b" "init -r $R -i f" \
	"-r $R -o f" "passwd -r $R --json" "-r $R extra" "-r"; do
	# shellcheck disable=SC2086
	run xpseal $args
	like "$rc:$err" "2:xpseal: *" "usage error exits 2: xpseal $args"
done

for l in 23 -131073 x 3x ""; do
	run xpseal -r "$R" --level "$l" -i "$T/in"
	is "$rc:$err" "2:xpseal: --level $l: not a zstd level (-131072 to 22)
Try 'xpseal --help' for more information." "--level $l is a usage error"
done
run xpseal open -r "$R" --level 3 x
like "$rc:$err" "2:xpseal: open: option * does not apply*" "--level is for sealing only"
run xpseal init -r "$R" --password-file "$T/pw"
like "$rc:$err" "1:xpseal: $R: already a repository" "init refuses an existing repository"
run xpseal -r "$T/none" -i "$T/in"
like "$rc:$(wc -l <"$T/.err")" "1:1" "sealing into a missing repository fails in one line"
run xpseal open -r "$R" --password-file "$T/pw" 0123456789abcdef0123456789abcdef
is "$rc:$err" "1:xpseal: 0123456789abcdef0123456789abcdef: no such backup" "open names a missing id"

# no_files DESCRIPTION: nothing under data/ nor in the vault (no .xps, .minisig, key or temp file).
V=$XP_STATE_DIR/vault/$(sed -n 2p "$R/keys/repo.id")
no_files() {
	is "$(find "$R/data" "$V" -type f ! -name copies 2>/dev/null)" "" "$1"
}
run xpseal -r "$R" -i "$T/missing"
like "$rc:$err" "1:xpseal: $T/missing: No such file or directory" "a missing input file is named"
run xpseal -r "$R" -i "$T"
like "$rc:$err" "1:xpseal: *read*" "a read error fails the seal"
no_files "a failed read leaves no file in the repository"
XP_SIGNING_KEY=$T/nokey run xpseal -r "$R" -i "$T/in"
like "$rc:$err" "1:xpseal: $T/nokey*" "a missing signing key is named"
XP_SIGNING_KEY=$T/other.key run xpseal init -r "$T/other" --password-file "$T/pw"
XP_SIGNING_KEY=$T/other.key run xpseal -r "$R" --shreddable -i "$T/in"
like "$rc:$(wc -l <"$T/.err")" "3:1" "a signing key that is not the repository's is refused"
no_files "and nothing is written"

# A full disk: the repository's data directory on a 1 MiB tmpfs.
if [ "$(id -u)" -eq 0 ] && mkdir -p "$R/data" && mount -t tmpfs -o size=1m tmpfs "$R/data" 2>/dev/null; then
	at_exit "mountpoint -q '$R/data' && umount '$R/data'"
	run xpseal -r "$R" --shreddable -i "$T/in"
	like "$rc:$(wc -l <"$T/.err"):$err" "1:1:xpseal: *No space left on device*" "a full disk fails the seal in one line"
	no_files "a full disk leaves no file behind"
	umount "$R/data"
else
	skip "a full disk: needs root and a tmpfs mount"
	skip "a full disk: needs root and a tmpfs mount"
fi

# A crash at each durable step: whatever .xps is visible has its signature and key file.
XP_FAULT_TRACE=1 run xpseal -r "$R" --shreddable -i "$T/in"
steps=$(grep -c 'fault point' "$T/.err")
find "$R/data" "$V" -type f -delete
if [ "$steps" -gt 0 ]; then
	bad=
	for ((n = 1; n <= steps; n++)); do
		XP_FAULT_AT=$n xpseal -r "$R" --shreddable -i "$T/in" >/dev/null 2>&1
		while read -r f; do
			id=$(basename "$f" .xps)
			[ -f "$f.minisig" ] && [ -f "$V/$id.key" ] || bad="$bad $n"
			minisign -V -q -p "$R/keys/signer.pub" -m "$f" || bad="$bad $n"
		done < <(find "$R/data" -name '*.xps')
		find "$R/data" "$V" -type f -delete
	done
	is "$bad" "" "a crash at any of the $steps durable steps never shows a .xps without its signature and key"
else
	skip "crash steps: built without fault injection"
fi

done_testing
