#!/bin/bash
# xpcopy starts rclone through base/proc.h, here a stand-in built for the system under test
# (tests/rclone-standin.c; a Windows program under make check-wine, started by CreateProcessW):
# every argument arrives as it was given, spaces, quotes, backslashes (a trailing one too)
# and non-ASCII letters included, the file list of "check" arrives on standard input, and
# rclone's statuses are read as rclone's: 3 and 4 are "not found", any other failure fails
# the copy with the last line rclone wrote. What no test here does: run a real rclone.exe
# against a real remote (copy-sftp.sh does that with Linux's rclone).
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

# wine makes a Windows program's arguments from ours in the locale's character set: UTF-8, so
# that ü reaches xpcopy.exe as ü (lib.sh's C would not).
export LC_ALL=C.UTF-8
standin=$XP_BUILDDIR/tests/rclone-standin${XP_EXE_WRAP:+.exe}
[ -x "$standin" ] || skip_all "tests/rclone-standin is not built"
export XP_STANDIN_LOG=$T/argv XP_STANDIN_STORE=$T/store XP_SIGNING_KEY=$T/signer.key
export XP_RCLONE=$standin
mkdir -p "$T/store"
R=$T/repo
password "$T/pw" 'copy rclone spawn password'
xpseal init -r "$R" --password-file "$T/pw" >/dev/null 2>&1 || { echo "Bail out! xpseal init failed"; exit 1; }
head -c 100000 /dev/urandom >"$T/in"
A=$(XP_NOW=2026-01-01T00:00:00Z xpseal -r "$R" -i "$T/in") || { echo "Bail out! xpseal failed"; exit 1; }
A=${A%$'\r'}
conf="$T/conf dir/rclone \"quoted\" ü.conf\\"
where="standin:dir with space/\"q\" ü\\back\\slash\\"
# the name the stand-in keeps a remote file under (tests/rclone-standin.c)
stored() { printf '%s' "$1" | od -An -tx1 -v | tr -s ' \n' '  ' | awk '{
	for (i = 1; i <= NF; i++) { c = sprintf("%c", strtonum("0x" $i))
		printf "%s", (c ~ /[A-Za-z0-9.-]/ ? c : "_" toupper($i)) } }'; }
common() { printf '[--config]\n[%s]\n[--retries=1]\n[--low-level-retries=2]\n[--contimeout=15s]\n[--timeout=60s]\n' "$conf"; }
opts=$(common)

run xpcopy add -r "$R" --jurisdiction eu --rclone-config "$conf" off "rclone:$where"
is "$rc:$err" "0:" "a remote and a config file with spaces, quotes, backslashes and ü register"

run xpcopy add -r "$R" --jurisdiction eu --rclone-config 'C:\conf dir\rclone.conf' win rclone:standin:w
if [ -n "${XP_EXE_WRAP:-}" ]; then
	is "$rc:$err" "0:" "on Windows a config file's absolute path may start with a drive"
	xpcopy remove -r "$R" win >/dev/null 2>&1
else
	is "$rc:$err" "2:xpcopy: C:\conf dir\rclone.conf: rclone's config file, as an absolute path" \
		"on POSIX C:\... is a relative path"
fi

run xpcopy -r "$R" off
is "$rc:$err" "0:" "xpcopy copies to the remote through the started program"
# each call on a line, without the options every run gets
calls() { awk '/^--$/ { if (n++) print s; s = ""; k = 0; next } ++k > 6 { s = s (s == "" ? "" : " ") $0 }
	END { if (n) print s }' "$T/argv"; }
first=$(awk '/^--$/ { n++ } n == 1 && !/^--$/' "$T/argv" | head -n 6)
is "$first" "$opts" "every run gets the config file's path whole, then one attempt's options"
is "$(calls | head -n 1)" "[lsf] [-R] [--files-only] [--format] [sp] [--separator] [	] [$where]" \
	"lsf gets the remote path, quote, backslashes, ü and trailing backslash whole, and a tab alone"
rel="data/${A:0:2}/$A.xps"
tmp="$where/data/${A:0:2}/.$A.xps.copying"
is "$(calls | grep -Fx -A2 "[copyto] [$R/$rel] [$tmp]")" "[copyto] [$R/$rel] [$tmp]
[cat] [$tmp]
[moveto] [$tmp] [$where/$rel]" "a backup goes up under its temp name, is read back, then moved to its name"
cmp -s "$R/$rel" "$T/store/$(stored "$where/$rel")"
ok $? "what the remote holds is the backup, byte for byte"
is "$(calls | grep -c '^\[copyto\]')" 10 "ten files go up (backup, signature, catalog, journal, keys)"

# A second run: check gets the names to compare on its standard input (--files-from-raw -).
: >"$T/argv"
run xpcopy -r "$R" off
is "$rc:$err" "0:" "a second run finds the remote up to date"
is "$(calls | grep -c -Fx "[check] [--download] [--one-way] [--files-from-raw] [-] [--combined] [-] [$R] [$where]")" 1 \
	"check reads the file list from its standard input"
is "$(calls | grep '^\[copyto\]')" "" "and nothing is sent again: the names arrived and matched"

# Statuses: 3 and 4 are "not found", another failure says rclone's last line.
XP_STANDIN_FAIL=lsf=7 run xpcopy -r "$R" off
like "$rc:$err" "1:*xpcopy: copy off: rclone lsf failed: standin: lsf refused*" \
	"a status of 7 fails the copy (status 1) with the last line rclone wrote"
# The remote emptied on purpose stands for a replaced one: --refill copies to it again.
rm -f "$T/store/"*
XP_STANDIN_FAIL=cat=7 run xpcopy -r "$R" --refill off
like "$rc:$err" "1:*xpcopy: copy off: rclone cat failed: standin: cat refused*" \
	"so does a read back that fails"
ok "$([ ! -e "$T/store/$(stored "$where/$rel")" ])$?" "and nothing is under the backup's name"
rm -f "$T/store/"*
run xpcopy -r "$R" off
like "$rc:$err" "1:xpcopy: copy off: *is empty, but the journal records 1 backup copied there (not mounted?)*" \
	"lsf's status 3 (directory not found) is an empty remote, which the journal says held a backup"
run xpcopy -r "$R" --refill off
is "$rc:$err" "0:" "--refill copies to it again"
ok "$(cmp -s "$R/$rel" "$T/store/$(stored "$where/$rel")")$?" "and the backup is there again"

XP_RCLONE="$T/no such dir/rclone" run xpcopy -r "$R" off
like "$rc:$err" "1:*copy off: $T/no such dir/rclone: *" "a program that is not there fails the copy, naming it"
XP_RCLONE=no-such-rclone run xpcopy -r "$R" off
like "$rc:$err" "1:*copy off: no-such-rclone: not found in PATH*" "and so does one PATH lacks"

done_testing
