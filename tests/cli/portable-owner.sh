#!/bin/bash
# A file another user owns is refused as an output, naming its owner as the system does: POSIX
# "uid N"; Windows the owning account (make check-wine: wine gives every file of another Unix
# user the owner NT AUTHORITY\ANONYMOUS LOGON, S-1-5-7), never a uid, which Windows lacks.
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! id nobody >/dev/null 2>&1; then
	skip_all "not root, or no user nobody: cannot make a file another user owns"
fi
export XP_SIGNING_KEY=$T/signer.key
R=$T/repo
password "$T/pw" 'portable owner password'
xpseal init -r "$R" --password-file "$T/pw" >/dev/null 2>&1 || { echo "Bail out! xpseal init failed"; exit 1; }
printf 'clear text' >"$T/in"
A=$(xpseal -r "$R" -i "$T/in") || { echo "Bail out! xpseal failed"; exit 1; }
A=${A%$'\r'}
if [ -n "${XP_EXE_WRAP:-}" ]; then
	owner='NT AUTHORITY\ANONYMOUS LOGON'
else
	owner="uid $(id -u nobody)"
fi

: >"$T/theirs"
chown nobody "$T/theirs"
run xpseal open -r "$R" --password-file "$T/pw" -o "$T/theirs" "$A"
is "$rc|$err|$(wc -c <"$T/theirs")" "1|xpseal: $T/theirs: owned by another user ($owner): refused|0" \
	"open -o refuses a file another user owns, naming the owner as the system does"
run xpseal open -r "$R" --password-file "$T/pw" -o "$T/mine" "$A"
is "$rc|$err|$(cat "$T/mine")" "0||clear text" "and writes a file of our own"

done_testing
