#!/bin/bash
# A repository made before the vault keeps its keys in REPO/keys/shred: it keeps working, and
# `xpseal vault migrate` moves them into the vault and its copies; killed at any step, no key
# is lost, and running it again finishes the move.
# shellcheck source=tests/lib.sh
. "$XP_SRCDIR/tests/lib.sh"

vault_repo 30000
ids=()
for _ in 1 2 3; do
	run xpseal -r "$R" --shreddable -i "$T/data"
	ids+=("$out")
done
mkdir -p "$T/disk"
run xpseal vault add -r "$R" "$T/disk"
# The layout of a repository made before the vault: the keys in keys/shred, nowhere else.
mkdir -m 700 "$R/keys/shred"
for id in "${ids[@]}"; do
	mv "$V/$id.key" "$R/keys/shred/$id.key"
	rm "$T/disk/$RID/$id.key"
done
cp -a "$R/keys/shred" "$T/originals"

# keys: the ids whose key file (equal to the original) is in the directory $1, space-separated.
keys() {
	local id out=
	for id in "${ids[@]}"; do
		cmp -s "$1/$id.key" "$T/originals/$id.key" && out="$out $id"
	done
	echo "${out# }"
}

xpseal open -r "$R" --password-file "$T/pw" "${ids[0]}" | cmp -s - "$T/data"
ok $? "before the migration, a backup opens from keys/shred"

# Killed at each step: every key stays whole in keys/shred or the vault; the rerun finishes.
cp -a "$R" "$T/template" && cp -a "$XP_STATE_DIR" "$T/state0" && cp -a "$T/disk" "$T/disk0"
XP_FAULT_TRACE=1 run xpseal vault migrate -r "$R"
steps=$(grep -c 'fault point' <<<"$err")
if [ "$steps" -gt 0 ]; then
	lost='' unfinished='' crashed=0
	for ((n = 1; n <= steps; n++)); do
		rm -rf "$R" "$XP_STATE_DIR" "$T/disk"
		cp -a "$T/template" "$R" && cp -a "$T/state0" "$XP_STATE_DIR" && cp -a "$T/disk0" "$T/disk"
		# in a subshell, so the shell's "Killed" notice goes with its stderr
		(
			XP_FAULT_AT=$n "$XP_BUILDDIR/src/xpseal/xpseal" vault migrate -r "$R"
			echo $? >"$T/crash.rc"
		) >/dev/null 2>&1
		[ "$(cat "$T/crash.rc")" -eq 137 ] && crashed=$((crashed + 1))
		for id in "${ids[@]}"; do
			cmp -s "$R/keys/shred/$id.key" "$T/originals/$id.key" ||
				cmp -s "$V/$id.key" "$T/originals/$id.key" || lost="$lost $n:$id"
		done
		xpseal vault migrate -r "$R" >/dev/null 2>&1 || unfinished="$unfinished $n"
		[ "$(keys "$V")|$(keys "$T/disk/$RID")|$(ls "$R/keys/shred")" = \
			"${ids[*]}|${ids[*]}|" ] || unfinished="$unfinished $n"
	done
	is "$crashed" "$steps" "each of the $steps steps of the migration was killed"
	is "$lost" "" "killed at any step, every key is whole in keys/shred or in the vault"
	is "$unfinished" "" "the next run moves every key to the vault and its copy, keys/shred empties"
else
	skip "migration crash steps: built without fault injection"
	skip "migration crash steps: built without fault injection"
	skip "migration crash steps: built without fault injection"
fi

# A vault copy not mounted: the key stays in keys/shred until it can go everywhere.
rm -rf "$R" "$XP_STATE_DIR" "$T/disk"
cp -a "$T/template" "$R" && cp -a "$T/state0" "$XP_STATE_DIR" && cp -a "$T/disk0" "$T/disk"
mv "$T/disk" "$T/disk.away" && mkdir "$T/disk"
printf 'not a key\n' >"$R/keys/shred/00000000000000000000000000000000.key"
run xpseal vault migrate -r "$R"
like "$rc:$err" "1:*${ids[0]}: keys/shred: left: a vault copy could not take it*" \
	"migrate with a vault copy away fails, naming what it left"
like "$err" "*00000000000000000000000000000000: keys/shred: */00000000000000000000000000000000.key: not a key file (10 bytes)*" \
	"and a file that is not a key"
is "$(keys "$R/keys/shred")" "${ids[*]}" "every key is still in keys/shred"
rmdir "$T/disk" && mv "$T/disk.away" "$T/disk"
rm "$R/keys/shred/00000000000000000000000000000000.key"
run xpseal vault migrate -r "$R"
is "$rc:$(printf '%s\n' "$out" | grep -c 'keys/shred: moved into the vault')" "0:3" \
	"once the copy is back, the rerun moves every key"
is "$(keys "$V"):$(keys "$T/disk/$RID"):$(ls "$R/keys/shred")" "${ids[*]}:${ids[*]}:" \
	"into the host's vault and the copy, and out of the repository"
xpseal open -r "$R" --password-file "$T/pw" "${ids[1]}" | cmp -s - "$T/data"
ok $? "a migrated backup opens from the vault"
run xpseal vault migrate -r "$R"
is "$rc:$out" "0:" "a migrated repository has nothing more to move"

# Shredding in a repository not yet migrated destroys the key in keys/shred too.
rm -rf "$R" "$XP_STATE_DIR" "$T/disk"
cp -a "$T/template" "$R" && cp -a "$T/state0" "$XP_STATE_DIR" && cp -a "$T/disk0" "$T/disk"
run xpexpire -r "$R" --shred "${ids[2]}" --reason "erasure request 3"
is "$rc" 0 "a shred before the migration"
ok "$([ ! -e "$R/keys/shred/${ids[2]}.key" ])$?" "destroys the key in keys/shred"
is "$(grep "	${ids[2]}	key-destroyed	" "$R/journal" | cut -f4)" "keys/shred" "and journals it"

done_testing
