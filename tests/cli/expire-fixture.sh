# Sourced by tests/cli/expire-*.sh: a repository whose backups were made at chosen times.
# shellcheck shell=bash
#
# xpseal stamps the current time, so the catalog is written here directly, in the documented
# format (xpseal(5)). The keys are real: `xpseal init` when the tool is built, else a repo.pub
# in its format and a signing key from minisign(1). The backup files are random bytes whose
# size and BLAKE2b-256 are the ones in the catalog: xpexpire and the catalog's deletion never
# open a backup, they only remove it, which is what these tests check.

command -v python3 >/dev/null || skip_all "python3 is needed to write the test catalog"

# id N: the backup id of test backup N (32 hex digits).
id() { printf '%032d' "$1"; }

# mkrepo DIR: an empty repository with keys; the signing key goes to $T/signer.key and
# XP_SIGNING_KEY points at it.
mkrepo() {
	local repo=$1
	export XP_SIGNING_KEY="$T/signer.key"
	if [ -x "$XP_BUILDDIR/src/xpseal/xpseal" ]; then
		password "$T/pw" "expire test password"
		"$XP_BUILDDIR/src/xpseal/xpseal" init -r "$repo" --password-file "$T/pw" \
			--signing-key "$XP_SIGNING_KEY" >/dev/null 2>"$T/init.err" && return 0
		diag "xpseal init failed ($(cat "$T/init.err")); making the keys by hand"
		rm -rf "$repo" "$XP_SIGNING_KEY"
	fi
	command -v minisign >/dev/null || skip_all "neither xpseal init nor minisign available"
	mkdir -p "$repo/keys" "$repo/data" && chmod 700 "$repo" "$repo/keys" || return 1
	python3 -c 'import base64,os,sys; open(sys.argv[1],"w").write("xpbackup-repo-pub 1\n" + base64.b64encode(os.urandom(32)).decode() + "\n")' \
		"$repo/keys/repo.pub" || return 1
	minisign -G -W -p "$repo/keys/signer.pub" -s "$XP_SIGNING_KEY" >/dev/null 2>&1
}

# sign_catalog REPO: signs REPO/catalog with $XP_SIGNING_KEY, as every change checks it is.
sign_catalog() {
	if [ -x "$XP_BUILDDIR/tests/unit/crypto/signtool" ]; then
		"$XP_BUILDDIR/tests/unit/crypto/signtool" sign "$XP_SIGNING_KEY" "$1/catalog" \
			"timestamp:0	file:catalog"
	else
		minisign -S -s "$XP_SIGNING_KEY" -m "$1/catalog" -t "timestamp:0	file:catalog" \
			>/dev/null 2>&1
	fi
}

# backups REPO SPEC...: writes the catalog with one backup per SPEC
#   N,CREATED[,OLDEST[,SOURCE[,HOLD[,shreddable]]]]    (OLDEST "-" for no data window)
# and the backup files. Times are ISO-8601 UTC ("2026-11-24T03:00:00Z").
backups() {
	local repo=$1
	shift
	python3 - "$repo" "$@" <<'EOF'
import hashlib, os, sys
repo = sys.argv[1]
out = ["#xpbackup-catalog-1 id\tstate\tcreated\toldest\tnewest\tsource\tsize\tblake2b\tpath\t"
       "shreddable\thold\n"]
rows = []
for spec in sys.argv[2:]:
    f = spec.split(",") + ["-", "db", "-", "no"][len(spec.split(",")) - 2:]
    n, created, oldest, source, hold, shred = f[:6]
    i = "%032d" % int(n)
    path = "data/%s/%s.xps" % (i[:2], i)
    os.makedirs(os.path.join(repo, "data", i[:2]), exist_ok=True)
    data = os.urandom(64 + int(n))
    with open(os.path.join(repo, path), "wb") as fh:
        fh.write(data)
    with open(os.path.join(repo, path + ".minisig"), "w") as fh:
        fh.write("not checked by xpexpire\n")
    if shred == "shreddable":
        os.makedirs(os.path.join(repo, "keys", "shred"), exist_ok=True)
        with open(os.path.join(repo, "keys", "shred", i + ".key"), "wb") as fh:
            fh.write(os.urandom(32))
    newest = "-" if oldest == "-" else created
    rows.append((created, i, "\t".join([i, "sealed", created, oldest, newest, source,
        str(len(data)), hashlib.blake2b(data, digest_size=32).hexdigest(), path,
        "yes" if shred == "shreddable" else "no", hold]) + "\n"))
out += [r[2] for r in sorted(rows)]
with open(os.path.join(repo, "catalog"), "w") as fh:
    fh.write("".join(out))
EOF
	sign_catalog "$repo"
}

# catalog_ids REPO: the test numbers of the backups the catalog lists, sorted, space-separated.
catalog_ids() {
	awk -F'\t' '$1 !~ /^#/ { print $1 + 0 }' "$1/catalog" | sort -n | paste -sd' '
}

# file_ids REPO: the test numbers of the backup files present, sorted, space-separated.
file_ids() {
	find "$1/data" -name '*.xps' | sed 's|.*/||; s|\.xps$||' | awk '{ print $1 + 0 }' | sort -n | paste -sd' '
}
