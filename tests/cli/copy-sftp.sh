#!/bin/bash
# xpcopy to an rclone remote: an SFTP server (Debian's sshd) on loopback, reached by rclone's
# sftp backend with a key file and the administrator's rclone config. Copies are checked by
# reading them back; the server going away mid-copy leaves no backup under its name, fails
# the run, and the next run finishes; expiry and xpverify reach the remote too.
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$XP_SRCDIR/tests/lib-sftp.sh"

for t in xpseal xpverify xpexpire; do
	[ -x "$XP_BUILDDIR/src/$t/$t" ] || skip_all "$t is not built"
done
sftp_start || skip_all "no SFTP server: $(tail -n 3 "$T/sftp/sshd.log" 2>/dev/null | tr '\n' ' ')"
R=$T/repo
D=$T/remote # where the SFTP server writes, seen from here
mkdir -p "$D"
export XP_SIGNING_KEY=$T/signer.key
password "$T/pw" "copy sftp test password"
xpseal init -r "$R" --password-file "$T/pw" >/dev/null 2>&1 || { echo "Bail out! xpseal init failed"; exit 1; }
head -c 300000 /dev/urandom >"$T/in"
for _ in 1 2; do
	xpseal -r "$R" --source db -i "$T/in" >/dev/null || { echo "Bail out! xpseal failed"; exit 1; }
done
order() { awk -F'\t' '$1 !~ /^#/ { print $3 "\t" $1 }' "$R/catalog" | LC_ALL=C sort | cut -f2; }
listing() { (cd "$1" && find . -type f | sed 's|^\./||' | LC_ALL=C sort); }
files_of() { for i in "$@"; do printf 'data/%s/%s.xps\ndata/%s/%s.xps.minisig\n' "${i:0:2}" "$i" "${i:0:2}" "$i"; done; }
meta=$(printf '%s\n' catalog catalog.minisig config journal keys/repo.id keys/repo.key keys/repo.pub keys/signer.pub)

run xpcopy add -r "$R" --jurisdiction non-eu --rclone-config "$T/sftp/rclone.conf" off "rclone:sftp1:$D/xp"
is "$rc:$err" "0:" "an rclone target is registered with its config file"
run xpcopy add -r "$R" --jurisdiction eu --rclone-config "$T/sftp/rclone.conf" bad /some/dir
is "$rc:$err" "2:xpcopy: /some/dir: an rclone config is for an rclone target" "a config file goes with an rclone target"
run xpcopy -r "$R"
is "$rc" 0 "xpcopy copies to the SFTP server"
is "$err" "xpcopy: copy off: declared outside the EU" "and warns that the target is declared outside the EU"
mapfile -t all < <(order)
is "$(listing "$D/xp")" "$(printf '%s\n%s\n' "$(files_of "${all[@]}")" "$meta" | LC_ALL=C sort)" \
	"the remote holds the backups, signatures, catalog, journal and keys, no temp file"
for f in $(files_of "${all[@]}") $meta; do
	cmp -s "$R/$f" "$D/xp/$f" || echo "differs: $f"
done >"$T/diffs"
is "$(cat "$T/diffs")" "" "with the repository's bytes"
run xpcopy -r "$R"
is "$rc:$out" "0:off: 0 backups copied" "a second run copies nothing"
run xpverify -r "$R" --copies
is "$rc:$(echo "$out" | tail -n 1)" "0:copy off: no findings" "xpverify --copies reads the remote back: no findings"

# Tampered and foreign files on the remote
first=$(order | sed -n 1p)
printf 'X' | dd of="$D/xp/data/${first:0:2}/$first.xps" bs=1 seek=4000 conv=notrunc 2>/dev/null
echo junk >"$D/xp/data/${first:0:2}/junk"
run xpverify -r "$R" --copies
is "$rc" 3 "a tampered backup on the remote: status 3"
is "$err" "$(printf '%s\n' "xpverify: copy off: data/${first:0:2}/$first.xps: its bytes are not those of the catalog (tampered or damaged)" \
	"xpverify: copy off: data/${first:0:2}/junk: not a file of the repository (foreign)")" "both named"
rm "$D/xp/data/${first:0:2}/$first.xps" "$D/xp/data/${first:0:2}/junk"
run xpcopy -r "$R"
is "$rc:$out" "$(printf '0:copied %s to off\noff: 1 backups copied' "$first")" "the removed backup is copied again"

# The server goes away mid-copy: stopped after the upload to the temp name, before the read
# back and the rename (fault point from a traced run to another remote directory).
new=$(xpseal -r "$R" --source db -i "$T/in")
xpcopy add -r "$R" --jurisdiction eu --rclone-config "$T/sftp/rclone.conf" probe "rclone:sftp1:$D/probe"
k=$(XP_FAULT_TRACE=1 xpcopy -r "$R" probe 2>&1 >/dev/null |
	awk '/copy-uploaded/ && ++n == 2 { sub(/.*fault point /, ""); sub(/:.*/, ""); print; exit }')
xpcopy remove -r "$R" probe
XP_FAULT_STOP=$k "$XP_BUILDDIR/src/xpcopy/xpcopy" -r "$R" off >"$T/out" 2>"$T/err" &
pid=$!
wait_stopped "$pid"
ok $? "xpcopy stopped after uploading the new backup to its temp name"
is "$(listing "$D/xp" | grep "$new")" "$(printf '%s\n' "data/${new:0:2}/$new.xps.minisig" "data/${new:0:2}/.$new.xps.copying" | LC_ALL=C sort)" \
	"the backup is on the remote only under its temp name"
sftp_stop
kill -CONT "$pid"
wait "$pid"
rc=$?
is "$rc" 1 "the server gone mid-copy: xpcopy exits 1"
like "$(cat "$T/err")" "*xpcopy: copy off: rclone cat failed: *" "naming the copy and what failed"
ok "$([ ! -e "$D/xp/data/${new:0:2}/$new.xps" ]; echo $?)" "the half copied backup never got its name"
is "$(awk -F'\t' -v id="$new" '$2 == id && $3 == "copied"' "$R/journal")" "" "nor a journal record"

# Expiry while the server is down: exit 1, the deletion finishes when it is back
run xpexpire -r "$R" --keep-last 1
is "$rc" 1 "expiry with the server down exits 1"
like "$err" "*xpexpire: copy off: rclone lsf failed: *(its deletions are finished by the next run)*" "naming the copy"
sftp_restart || { echo "Bail out! sshd did not restart"; exit 1; }
run xpcopy -r "$R"
is "$rc:$out" "$(printf '0:copied %s to off\noff: 1 backups copied' "$new")" "once the server is back, the next copy finishes"
run xpexpire -r "$R" --keep-last 1
is "$rc" 0 "and the next expiry exits 0"
is "$(printf '%s\n' "$out" | grep -c '^deleted .* from off$')" 2 "deleting the two expired backups from the remote"
is "$(listing "$D/xp" | grep '^data/')" "$(files_of "$new")" "the remote holds the newest backup only, no temp file"
is "$(awk -F'\t' '$3 == "copy-deleted" && $4 == "target off"' "$R/journal" | wc -l)" 2 "each deletion journaled"
cmp -s "$R/catalog" "$D/xp/catalog"
ok $? "the remote's catalog is brought up to date"
run xpverify -r "$R" --copies
is "$rc:$(echo "$out" | tail -n 1)" "0:copy off: no findings" "xpverify --copies: the remote is clean"

done_testing
