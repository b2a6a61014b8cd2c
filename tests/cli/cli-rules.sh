#!/bin/bash
# The rules every tool shares through one front end (src/lib/cli/cli.c): one permission rule for
# secret files, no clear data on a terminal, a second legal hold refused, a mismatched password
# confirmation is a failure, one answer to a bad option, --repo everywhere, --version, a closed
# standard stream never taken by a file the tool opens.
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
command -v script >/dev/null || skip_all "script(1) is not installed"
command -v python3 >/dev/null || skip_all "python3 is not installed"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"

TOOLS="xpdump xprestore xpseal xpverify xpexpire xpcopy xperase"
VERSION=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$XP_BUILDDIR/config.h")
K=$T/host/signer.key
R=$T/repo
password "$T/pw" "correct horse"
xpseal init -r "$R" --password-file "$T/pw" --signing-key "$K" ||
	{ echo "Bail out! cannot make a repository"; exit 1; }
printf 'clear bytes\n' >"$T/in"
ID=$(xpseal -r "$R" --signing-key "$K" -i "$T/in") || { echo "Bail out! cannot seal"; exit 1; }
sqlite3 "$T/src.db" "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)"
DSN=$(sqlite_dsn "$T/src.db")
xpdump --dsn "$DSN" -t t -o "$T/dump.tar" || { echo "Bail out! cannot dump"; exit 1; }

# mode MODE FILE: a copy of FILE's content in FILE.MODE with that mode.
mode() { cp "$2" "$2.$1" && chmod "$1" "$2.$1"; }

# on_tty CMD...: runs CMD with a terminal on its standard streams (script(1)); $rc its status,
# $out what it wrote there (CR LF as LF).
on_tty() {
	local cmd
	printf -v cmd '%q ' "$@"
	script -qec "$cmd" /dev/null </dev/null >"$T/.tty" 2>&1
	rc=$?
	out=$(tr -d '\r' <"$T/.tty")
}

# typing LINE... -- CMD...: runs CMD on a new terminal, typing each LINE after a prompt that
# ends in "password: " (killed after 30 s); $rc its status, $out the terminal's text (CR LF as LF).
typing() {
	local lines=()
	while [ "$1" != -- ]; do lines+=("$1"); shift; done
	shift
	out=$(python3 - "${#lines[@]}" "${lines[@]}" "$@" <<'PY'
import os, pty, select, sys, time
n = int(sys.argv[1]); lines = sys.argv[2:2 + n]; cmd = sys.argv[2 + n:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
seen, typed, deadline = b"", 0, time.time() + 30
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    if typed < len(lines) and seen.count(b"password: ") > typed:
        time.sleep(0.1)
        os.write(fd, lines[typed].encode() + b"\n")
        typed += 1
else:
    os.kill(pid, 9)
_, status = os.waitpid(pid, 0)
sys.stdout.write(seen.decode(errors="replace").replace("\r", ""))
sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128)
PY
)
	rc=$?
}

tool() { echo "$XP_BUILDDIR/src/$1/$1"; }

# 1. One permission rule for secret files, one message naming who can read them.
(umask 077 && echo "$DSN" >"$T/dsn" && sqlite_dsn "$T/dst.db" >"$T/dst")
mode 0640 "$T/dsn"
run xpdump --dsn-file "$T/dsn.0640" -t t -o "$T/x.tar"
is "$rc:$err" "1:xpdump: $T/dsn.0640: readable by group (mode 0640); chmod 600 it" \
	"xpdump: a DSN file the group can read is refused, named so"
mode 0644 "$T/dst"
run xprestore --dsn-file "$T/dst.0644" --create -i "$T/dump.tar"
is "$rc:$err" "1:xprestore: $T/dst.0644: readable by others (mode 0644); chmod 600 it" \
	"xprestore: a DSN file others can read is refused like xpdump's"
run xprestore -q --dsn-file "$T/dst" --create -i "$T/dump.tar"
is "$rc:$err" "0:" "xprestore: a 0600 DSN file is read"
mode 0640 "$T/pw"
run xpseal init -r "$T/repo2" --password-file "$T/pw.0640" --signing-key "$K"
is "$rc:$err" "1:xpseal: $T/pw.0640: readable by group (mode 0640); chmod 600 it" \
	"xpseal: a password file the group can read is refused"
mode 0644 "$K"
run xpseal -r "$R" --signing-key "$K.0644" -i "$T/in"
is "$rc:$err" "1:xpseal: $K.0644: readable by others (mode 0644); chmod 600 it" \
	"xpseal: a signing key others can read is refused with the same message"
mode 0604 "$T/pw"
run xpverify -r "$R" --deep --password-file "$T/pw.0604"
is "$rc:$err" "1:xpverify: $T/pw.0604: readable by others (mode 0604); chmod 600 it" \
	"xpverify: a password file others can read is refused"
mode 0620 "$K"
run xpexpire -r "$R" --hold "$ID" --reason "case 1" --signing-key "$K.0620"
is "$rc:$err" "1:xpexpire: $K.0620: writable by group (mode 0620); chmod 600 it" \
	"xpexpire: a signing key the group can write is refused"
run xpseal open -r "$R" --password-file <(echo "correct horse") -o "$T/o1" "$ID"
is "$rc:$err:$(cat "$T/o1")" "0::clear bytes" "a password from a pipe is not a file to check"

# 2. Clear data never goes to a terminal, unless -o names a file.
on_tty "$(tool xpdump)" --dsn "$DSN" -t t
is "$rc:$out" "2:xpdump: not writing clear data to a terminal; use -o FILE or a pipe
Try 'xpdump --help' for more information." "xpdump: no dump stream on a terminal"
on_tty "$(tool xpseal)" open -r "$R" --password-file "$T/pw" "$ID"
is "$rc:$out" "2:xpseal: not writing clear data to a terminal; use -o FILE or a pipe
Try 'xpseal --help' for more information." "xpseal open: no opened backup on a terminal"
on_tty "$(tool xpseal)" open -r "$R" --password-file "$T/pw" -o - "$ID"
is "$rc" 2 "xpseal open: -o - is standard output, a terminal too"
on_tty "$(tool xpseal)" open -r "$R" --password-file "$T/pw" -o "$T/o2" "$ID"
is "$rc:$out:$(cat "$T/o2")" "0::clear bytes" "xpseal open: -o FILE writes the file from a terminal"

# 3. A second legal hold does not replace the first one's reason: refused, nothing journaled.
XP_NOW=2026-11-27T10:00:00Z run xpexpire -r "$R" --hold "$ID" --reason "case 1" --signing-key "$K"
is "$rc:$out" "0:held $ID" "xpexpire: the first hold"
before=$(wc -l <"$R/journal")
XP_NOW=2026-11-28T10:00:00Z run xpexpire -r "$R" --hold "$ID" --reason "case 2" --signing-key "$K"
is "$rc:$out:$err" "1::xpexpire: $ID: already held since 2026-11-27T10:00:00Z: case 1; release it first" \
	"xpexpire: a second hold is refused, naming the hold that stands"
is "$(awk -F'\t' -v id="$ID" '$1 == id { print $11 }' "$R/catalog")" "case 1" \
	"xpexpire: the catalog keeps the first reason"
is "$(wc -l <"$R/journal"):$(grep -c "	$ID	held	" "$R/journal")" "$before:1" \
	"xpexpire: the refusal journals nothing"
run xpverify -r "$R"
is "$rc" 0 "the repository verifies after the refusal"

# 4. A confirmation that does not match is a failure (1), not a usage error (2).
typing "one" "two" -- "$(tool xpseal)" init -r "$T/repo3" --signing-key "$K"
like "$rc:$out" "1:*xpseal: passwords do not match" "xpseal init: a mismatched confirmation exits 1"
ok "$([ ! -e "$T/repo3/keys/repo.key" ]; echo $?)" "xpseal init: and makes no key"
typing "one" "two" -- "$(tool xpseal)" passwd -r "$R" --password-file "$T/pw"
like "$rc:$out" "1:*xpseal: passwords do not match" "xpseal passwd: a mismatched confirmation exits 1"
run xpseal open -r "$R" --password-file "$T/pw" -o "$T/o3" "$ID"
is "$rc" 0 "xpseal passwd: and the password stays"

# 5. One answer to an unknown option or a missing argument, status 2.
for t in $TOOLS; do
	run "$t" --foo
	is "$rc:$out:$err" "2::$t: unknown option --foo
Try '$t --help' for more information." "$t: an unknown option"
done
for t in "xpdump -o" "xprestore -i" "xpseal -r" "xpverify -r" "xpexpire -r" "xpcopy -r" "xperase -r"; do
	# shellcheck disable=SC2086
	run $t
	is "$rc:$err" "2:${t% *}: option ${t#* } needs an argument
Try '${t% *} --help' for more information." "${t% *}: a missing option argument"
done
run xpverify --json=yes -r "$R"
is "$rc:$err" "2:xpverify: option --json takes no argument
Try 'xpverify --help' for more information." "xpverify: an argument to an option that takes none"

# 6. --repo is the repository option of every tool that has one; xpseal still takes --repository.
run xpseal --repo "$R" --signing-key "$K" -i "$T/in"
like "$rc:$out" "0:????????????????????????????????" "xpseal: --repo names the repository"
run xpseal --repository "$R" --signing-key "$K" -i "$T/in"
is "$rc" 0 "xpseal: --repository still works"
run xpverify --repo "$R"
is "$rc" 0 "xpverify: --repo"
run xpexpire --repo "$R" --list
is "$rc" 0 "xpexpire: --repo"
run xpcopy list --repo "$R"
is "$rc" 0 "xpcopy: --repo"
for t in xpseal xpverify xpexpire xpcopy xperase; do
	is "$(grep '^\.It Fl r' "$XP_SRCDIR/man/$t.1" | grep -o 'repo[a-z]*' | sort -u | paste -sd' ')" "repo" \
		"$t(1) documents -r as --repo, and only so"
done

# 7. --version, and --help says so.
for t in $TOOLS; do
	run "$t" --version
	is "$rc:$out:$err" "0:$t (xpbackup) $VERSION:" "$t --version"
	run "$t" --help
	like "$rc:$out" "0:*--version*" "$t --help names --version"
done
run xpseal open --version
is "$rc:$out" "0:xpseal (xpbackup) $VERSION" "xpseal open --version"

# 8. A standard stream closed by the caller is never taken by the next file a tool opens: the
# seal would read its own temporary file as its input, open would write the clear data into its
# spool file, and both would exit 0.
nfiles() { find "$R/data" -name '*.xps' | wc -l; }
n=$(nfiles)
xpseal -r "$R" --signing-key "$K" <&- >"$T/.out" 2>"$T/.err"
like "$?:$(cat "$T/.out"):$(cat "$T/.err")" "1::xpseal: $R/data/*.xps: read: Bad file descriptor" \
	"xpseal with standard input closed: status 1, nothing read from its own file"
is "$(nfiles)" "$n" "and no backup sealed"
xpseal open -r "$R" --password-file "$T/pw" "$ID" >&- 2>"$T/.err"
like "$?:$(cat "$T/.err")" "1:xpseal: *: write: Bad file descriptor" \
	"xpseal open with standard output closed: status 1"
xpverify -r "$R" >&- 2>"$T/.err"
is "$?:$(cat "$T/.err")" "1:xpverify: standard output: Bad file descriptor" \
	"xpverify with standard output closed: status 1, and says why"
xpverify -r "$R" >/dev/full 2>"$T/.err"
is "$?:$(cat "$T/.err")" "1:xpverify: standard output: No space left on device" \
	"xpverify with standard output full: status 1, and says why"
xpexpire -r "$R" --list >/dev/full 2>"$T/.err"
is "$?:$(cat "$T/.err")" "1:xpexpire: standard output: No space left on device" \
	"xpexpire --list with standard output full: status 1, and says why"
xpcopy list -r "$R" >/dev/full 2>"$T/.err"
is "$?:$(cat "$T/.err")" "1:xpcopy: standard output: No space left on device" \
	"xpcopy list with standard output full: status 1, and says why"

done_testing
