#!/bin/bash
# Passwords: a wrong one is refused (exit 3), passwd re-seals the key and old backups still open.
. "$XP_SRCDIR/tests/lib.sh"
command -v setsid >/dev/null || skip_all "setsid is not installed"

export XP_SIGNING_KEY=$T/host/signer.key
R=$T/repo
password "$T/pw" 'correct horse'
password "$T/bad" 'wrong horse'
password "$T/new" 'battery staple'
xpseal init -r "$R" --password-file "$T/pw" || exit 1
seq 1 100000 >"$T/in"
id=$(xpseal -r "$R" -i "$T/in") || exit 1

run xpseal open -r "$R" --password-file "$T/bad" "$id"
like "$rc:$(wc -l <"$T/.err"):$err" "3:1:xpseal: *" "open with a wrong password: exit 3, one line"
is "$out" "" "open with a wrong password writes nothing"
run xpseal passwd -r "$R" --password-file "$T/bad" --new-password-file "$T/new"
like "$rc:$(wc -l <"$T/.err")" "3:1" "passwd refuses a wrong current password"

run xpseal passwd -r "$R" --password-file "$T/pw" --new-password-file "$T/new"
is "$rc:$err" "0:" "passwd changes the password"
run xpseal open -r "$R" --password-file "$T/pw" "$id"
like "$rc:$err" "3:xpseal: *" "the old password no longer opens"
xpseal open -r "$R" --password-file "$T/new" "$id" | cmp -s - "$T/in"
ok $? "the new password opens a backup sealed before the change"
id2=$(xpseal -r "$R" -i "$T/in")
XP_PASSWORD_FILE=$T/new xpseal open -r "$R" "$id2" | cmp -s - "$T/in"
ok $? "and one sealed after it"

# The current password from XP_PASSWORD_FILE never doubles as the new one.
XP_PASSWORD_FILE=$T/new run setsid -w "$XP_BUILDDIR/src/xpseal/xpseal" passwd -r "$R" </dev/null
like "$rc:$err" "2:xpseal: *" "passwd without a terminal or --new-password-file is a usage error"
xpseal open -r "$R" --password-file "$T/new" "$id" | cmp -s - "$T/in"
ok $? "and leaves the password as it was"

# Short passwords are refused (exit 1: a policy, not a usage error) and change nothing.
password "$T/short" 'eleven char'
run xpseal passwd -r "$R" --password-file "$T/new" --new-password-file "$T/short"
is "$rc:$err" "1:xpseal: the new password is too short: 11 characters, at least 12" \
	"passwd refuses a password of 11 characters"
xpseal open -r "$R" --password-file "$T/new" "$id" | cmp -s - "$T/in"
ok $? "and the password stays as it was"
run xpseal init -r "$T/r2" --password-file "$T/short"
is "$rc:$err" "1:xpseal: the new password is too short: 11 characters, at least 12" \
	"init refuses a password of 11 characters"
[ ! -e "$T/r2" ]
ok $? "and makes no repository"

# passwd keeps the Argon2id limits the repository was made with (--strong: SENSITIVE).
limits() { sed -n 2p "$1/keys/repo.key" | cut -d' ' -f1-3; }
xpseal init -r "$T/strong" --strong --password-file "$T/pw" || exit 1
is "$(limits "$T/strong")" "argon2id13 4 1073741824" "init --strong seals with SENSITIVE limits"
run xpseal passwd -r "$T/strong" --password-file "$T/pw" --new-password-file "$T/new"
is "$rc:$err" "0:" "passwd on a --strong repository, without --strong"
is "$(limits "$T/strong")" "argon2id13 4 1073741824" "keeps the SENSITIVE limits"
run xpseal passwd -r "$R" --password-file "$T/new" --new-password-file "$T/pw"
is "$(limits "$R")" "argon2id13 3 268435456" "a MODERATE repository stays MODERATE"
run xpseal passwd -r "$R" --strong --password-file "$T/pw" --new-password-file "$T/new"
is "$(limits "$R")" "argon2id13 4 1073741824" "passwd --strong raises it to SENSITIVE"

done_testing
