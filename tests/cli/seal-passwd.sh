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

done_testing
