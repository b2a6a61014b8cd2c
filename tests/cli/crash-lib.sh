# Shared by the catalog's crash and concurrency tests (sourced after tests/lib.sh): a
# repository in $R with the signing key $K, the catalog-tool helper, and the invariants a
# repository must keep through any crash.
# shellcheck shell=bash disable=SC2154

ct() { "$XP_BUILDDIR/tests/unit/repo/catalog-tool" "$@"; }
[ -x "$XP_BUILDDIR/tests/unit/repo/catalog-tool" ] || skip_all "tests/unit/repo/catalog-tool not built"

export XP_SIGNING_KEY=$T/signer.key
R=$T/repo
K=$XP_SIGNING_KEY
password "$T/pw" 'crash test password'
run xpseal init -r "$R" --password-file "$T/pw"
[ "$rc" -eq 0 ] || { echo "Bail out! xpseal init failed: $err"; exit 1; }

listed() { ct "$R" - list | cut -d' ' -f1 | sort; }
# complete: ids of the .xps files under data/ whose signature verifies, sorted.
complete() {
	local f
	for f in "$R"/data/*/*.xps; do
		[ -e "$f" ] || continue
		minisign -V -q -p "$R/keys/signer.pub" -m "$f" >/dev/null 2>&1 && basename "$f" .xps
	done | sort
}

# invariants LABEL KEEP...: the repository after a crash and the rerun.
invariants() {
	local label=$1 bad names id
	shift
	run ct "$R" "$K" adopt
	ok "$rc" "$label: adopt runs (complete orphans come back)"
	run ct "$R" - check
	# A seal killed before its .xps appeared may leave its temp file, signature or key file
	# (hidden or unnamed by the catalog); anything else is a real problem.
	bad=$(printf '%s\n' "$out" | grep -v -e 'temporary file of a seal' \
		-e 'signature of a backup not in the catalog' -e 'shred key of no backup' | grep .)
	is "$bad" "" "$label: catalog and files agree (no missing, size, hash, signature finding)"
	is "$(listed)" "$(complete)" "$label: the catalog lists exactly the complete backups"
	names=$(find "$R/data" -type f ! -name '.*' | sed 's|.*/||' |
		grep -v -E '^[0-9a-f]{32}\.xps(\.minisig)?$')
	is "$names" "" "$label: nothing but ID.xps and ID.xps.minisig under a visible name"
	is "$(find "$R" -maxdepth 1 -name '.catalog*.tmp.*' -o -maxdepth 1 -name 'catalog.minisig.new')" "" \
		"$label: no temp file of the catalog is left behind"
	run ct "$R" - journal
	is "$rc:$err" "0:" "$label: the journal chain verifies"
	for id in "$@"; do
		grep -q "^$id\$" <<<"$(listed)" || { ok 1 "$label: $id is still listed"; return; }
	done
	ok 0 "$label: the backups that were there before are still listed"
}
