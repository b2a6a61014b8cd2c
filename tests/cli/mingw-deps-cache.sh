#!/bin/bash
# scripts/build-mingw-deps' cache decision, without building (--check): a prefix is used
# only when its stamp names the versions that the Linux build links and its three libraries
# are there; a prefix never built, one built for other versions and one with a library gone
# are rebuilt, each with its reason.
. "$XP_SRCDIR/tests/lib.sh"
for p in libsodium-dev libzstd-dev libarchive-dev; do
	dpkg-query -W "$p" >/dev/null 2>&1 || skip_all "$p is not installed: the versions to build are those of the Linux build's -dev packages"
done
ver() { dpkg-query -W -f='${source:Package}=${source:Version}' "$1"; }
want="x86_64-w64-mingw32 $(ver libsodium-dev) $(ver libzstd-dev) $(ver libarchive-dev)"
P=$T/deps
check() { run "$XP_SRCDIR/scripts/build-mingw-deps" --check --prefix "$P"; }

check
is "$rc:$out" "1:build-mingw-deps: $P: rebuild: no $P/.versions: never built there, or a build that did not finish" \
	"a prefix never built (or whose build did not finish: no stamp) is rebuilt"

mkdir -p "$P/lib"
touch "$P/lib/libsodium.a" "$P/lib/libzstd.a" "$P/lib/libarchive.a"
old="x86_64-w64-mingw32 libsodium=1.0.18-1 $(ver libzstd-dev) $(ver libarchive-dev)"
printf '%s\nlibsodium=1.0.18-1\n' "$old" >"$P/.versions"
check
is "$rc:$out" "1:build-mingw-deps: $P: rebuild: it holds $old; the Linux build links $want" \
	"a cache built for another version of a library is rebuilt, saying which versions"

printf '%s\nwhat was built\n' "$want" >"$P/.versions"
check
is "$rc:$out" "0:build-mingw-deps: $P: up to date ($want)" \
	"a cache of the very versions, its libraries there, is used"
ok "$([ -f "$P/lib/libzstd.a" ] && [ -f "$P/.versions" ])$?" "and --check leaves it as it was"

rm "$P/lib/libzstd.a"
check
is "$rc:$out" "1:build-mingw-deps: $P: rebuild: $P/lib/libzstd.a is missing" \
	"a cache with a library gone is rebuilt"

done_testing
