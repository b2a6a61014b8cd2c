#!/bin/bash
# xpseal open refuses damaged backups with exit 3 and one line naming the damage: first on the
# signature, and, for files re-signed after the damage, on the format itself.
. "$XP_SRCDIR/tests/lib.sh"
for tool in openssl minisign; do
	command -v "$tool" >/dev/null || skip_all "$tool is not installed"
done

export XP_SIGNING_KEY=$T/host/signer.key
R=$T/repo
H=160           # header bytes (not shreddable)
F=$((4 + 1048576 + 17)) # one full chunk on disk: length, ciphertext, tag
password "$T/pw" 'correct horse'
xpseal init -r "$R" --password-file "$T/pw" || exit 1
rand() { openssl enc -aes-128-ctr -nosalt -K "$2" -iv 0 </dev/zero 2>/dev/null | head -c "$1"; }
rand 3000000 000102030405060708090a0b0c0d0e0f >"$T/a"
rand 3000000 0f0e0d0c0b0a09080706050403020100 >"$T/b"
A=$(xpseal -r "$R" -i "$T/a") && A=$R/data/${A:0:2}/$A.xps || exit 1
B=$(xpseal -r "$R" -i "$T/b") && B=$R/data/${B:0:2}/$B.xps || exit 1
size=$(stat -c %s "$A")
is "$((size > 2 * F + H))" 1 "the test backup has three chunks"

# flip FILE OFFSET: inverts the bits of one byte.
flip() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	# shellcheck disable=SC2059
	printf "\\$(printf %03o $((b ^ 255)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
# resign FILE: signs FILE again as xpseal does, naming the backup its header names.
resign() {
	local id
	id=$(od -An -tx1 -j16 -N16 "$1" | tr -d ' \n')
	minisign -S -s "$XP_SIGNING_KEY" -m "$1" -x "$1.minisig" -t "file:$id.xps" </dev/null >/dev/null
}
# refused DESCRIPTION GLOB: open $T/t.xps must exit 3 with one line like GLOB, and no output file.
refused() {
	run xpseal open -r "$R" --password-file "$T/pw" "$T/t.xps" -o "$T/out"
	like "$rc:$(wc -l <"$T/.err"):$err" "3:1:xpseal: $2" "$1"
	[ -e "$T/out" ] && { ok 1 "$1: no output file"; rm -f "$T/out"; }
}

# Every header byte: the signature refuses the file before anything else is read.
bad=
for ((i = 0; i < H; i++)); do
	cp "$A" "$T/t.xps" && cp "$A.minisig" "$T/t.xps.minisig" && flip "$T/t.xps" "$i"
	run xpseal open -r "$R" --password-file "$T/pw" "$T/t.xps"
	[[ $rc == 3 && $err == "xpseal: $T/t.xps"*"signature"* && $err != *$'\n'* ]] || bad="$bad $i"
done
is "$bad" "" "open refuses each of the $H header bytes flipped, on the signature, one line"
diag "e.g. $err"

# The same damage signed again: the format check must catch it on its own.
header() { cp "$A" "$T/t.xps" && flip "$T/t.xps" "$1" && resign "$T/t.xps"; refused "re-signed, header byte $1 ($2)" "$T/t.xps: $3"; }
header 0 magic "not a sealed backup (bad magic)"
header 9 version "unsupported format version *"
header 11 length "header: length *, expected 160"
header 15 flags "header: unknown flags *"
header 16 "backup id" "chunk 1 fails authentication"
header 39 "creation time" "chunk 1 fails authentication"
header 40 "key id" "sealed for another repository key (*)"
header 48 compression "header: unknown compression *"
header 49 cipher "header: unknown cipher *"
header 50 reserved "header: reserved bytes are not zero"
header 52 "chunk size" "header: chunk size * out of range"
header 55 "chunk size" "chunk 1 fails authentication"
header 56 "stream header" "chunk 1 fails authentication"
header 100 "sealed data key" "header: the data key does not open with the repository key"
header 159 "sealed data key" "header: the data key does not open with the repository key"

payload() { cp "$A" "$T/t.xps" && flip "$T/t.xps" "$1" && resign "$T/t.xps"; refused "re-signed, payload byte $1 flipped" "$T/t.xps: $2"; }
payload $H "chunk 1: bad length *"
payload $((H + 4)) "chunk 1 fails authentication"
payload $((H + F / 2)) "chunk 1 fails authentication"
payload $((H + F + 3)) "chunk 2: bad length *"
payload $((H + 2 * F + 100)) "chunk 3 fails authentication"
payload $((size - 1)) "chunk 3 fails authentication"

cut_at() { head -c "$1" "$A" >"$T/t.xps" && resign "$T/t.xps"; refused "re-signed, truncated to $1 bytes" "$T/t.xps: $2"; }
cut_at 0 "truncated in the header"
cut_at 79 "truncated in the header"
cut_at 100 "truncated in the header"
cut_at $H "truncated after the header"
cut_at $((H + 2)) "truncated in chunk 1"
cut_at $((H + F)) "truncated after chunk 1"
cut_at $((H + F + 1000)) "truncated in chunk 2"
cut_at $((H + 2 * F)) "truncated after chunk 2"
cut_at $((size - 1)) "truncated in chunk 3"

cp "$A" "$T/t.xps" && tail -c $((size - H - 2 * F)) "$A" >>"$T/t.xps" && resign "$T/t.xps"
refused "re-signed, the final chunk appended again" "$T/t.xps: data after the final chunk"
cp "$A" "$T/t.xps" && printf x >>"$T/t.xps" && resign "$T/t.xps"
refused "re-signed, one byte appended" "$T/t.xps: data after the final chunk"
{ head -c $((H + F)) "$A"; tail -c +$((H + F + 1)) "$B" | head -c "$F"; tail -c +$((H + 2 * F + 1)) "$A"; } >"$T/t.xps"
resign "$T/t.xps"
refused "re-signed, chunk 2 of another backup spliced in" "$T/t.xps: chunk 2 fails authentication"
{ head -c $H "$B"; tail -c +$((H + 1)) "$A"; } >"$T/t.xps"
resign "$T/t.xps"
refused "re-signed, the header of another backup" "$T/t.xps: chunk 1 fails authentication"

# Signatures: another file's, a missing one.
cp "$A" "$T/t.xps" && cp "$B.minisig" "$T/t.xps.minisig"
refused "another backup's signature" "$T/t.xps*signature*"
rm "$T/t.xps.minisig"
run xpseal open -r "$R" --password-file "$T/pw" "$T/t.xps"
like "$rc:$err" "1:xpseal: $T/t.xps.minisig: *" "a missing signature is named"

# Streaming to stdout: what authenticated is written, then exit 3.
head -c $((H + F)) "$A" >"$T/t.xps" && resign "$T/t.xps"
xpseal open -r "$R" --password-file "$T/pw" "$T/t.xps" >"$T/stdout" 2>"$T/stderr"
like "$?:$(cat "$T/stderr")" "3:xpseal: $T/t.xps: truncated after chunk 1" \
	"open to stdout of a truncated file exits 3"
n=$(stat -c %s "$T/stdout")
ok "$([ "$n" -gt 0 ] && [ "$n" -lt 3000000 ] && cmp -s -n "$n" "$T/stdout" "$T/a")$?" \
	"what it wrote before is a prefix of the original ($n bytes)"

done_testing
