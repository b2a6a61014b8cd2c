#!/bin/bash
# make dist-win in the Windows build (make check-wine runs this): xpbackup-VERSION-win64.zip
# holds exactly what README.md "Installing on Windows" puts in C:\Program Files\xpbackup\
# (the tools stripped, the man pages as HTML, the examples, README.md and the licences of
# what the tools link statically); each tool, unpacked into a folder whose name has a blank,
# runs under wine and says its version, and needs no DLL that Windows does not have.
. "$XP_SRCDIR/tests/lib.sh"
[ -n "${XP_EXE_WRAP:-}" ] || skip_all "the Windows zip is made in a Windows build (make check-wine)"
command -v unzip >/dev/null || skip_all "no unzip to list the zip (apt-get install unzip)"

rm -f "$XP_BUILDDIR"/xpbackup-*-win64.zip
run make -s -C "$XP_BUILDDIR" dist-win
zips=("$XP_BUILDDIR"/xpbackup-*-win64.zip)
is "$rc:${#zips[@]}" "0:1" "make dist-win makes one zip"
Z=${zips[0]}
V=${Z##*/xpbackup-}
V=${V%-win64.zip}
like "$V" "[0-9]*.[0-9]*.[0-9]*" "named xpbackup-VERSION-win64.zip ($V)"

tools="xpcopy xpdump xperase xpexpire xprestore xpseal xpverify"
want=$(
	for t in $tools; do echo "xpbackup/$t.exe"; done
	for m in xpbackup-drill.1 xpbackup-job.8 xpbackup.7 xpcopy.1 xpdump.1 xperase.1 xpexpire.1 \
		xprestore.1 xpseal.1 xpseal.5 xpverify.1; do echo "xpbackup/man/html/$m.html"; done
	echo xpbackup/examples/xpbackup.conf
	echo xpbackup/examples/xpbackup-task.xml
	echo xpbackup/README.md
	for l in gcc-runtime libarchive libsodium libzstd mingw-w64; do echo "xpbackup/licenses/$l.txt"; done
)
is "$(unzip -Z1 "$Z" | sort)" "$(sort <<<"$want")" "the zip holds exactly the tools, pages, examples, README and licences"

D="$T/Program Files"
mkdir -p "$D"
unzip -q "$Z" -d "$D"
cmp -s "$D/xpbackup/README.md" "$XP_SRCDIR/README.md" &&
	cmp -s "$D/xpbackup/examples/xpbackup-task.xml" "$XP_SRCDIR/examples/windows/xpbackup-task.xml" &&
	cmp -s "$D/xpbackup/licenses/libsodium.txt" /usr/share/doc/libsodium-dev/copyright
ok $? "README, examples and licences are the tree's and Debian's files"
like "$(head -n 3 "$D/xpbackup/man/html/xpseal.1.html")" "*<html>*" "the pages are HTML"

for t in $tools; do
	e="$D/xpbackup/$t.exe"
	run "$XP_EXE_WRAP" "$e" --version
	is "$rc:$(head -n 1 <<<"$out" | tr -d '\r')" "0:$t (xpbackup) $V" "$t.exe from the zip runs under wine: $t (xpbackup) $V"
	is "$(x86_64-w64-mingw32-nm "$e" 2>&1 | tr -d '\n')" "x86_64-w64-mingw32-nm: $e: no symbols" \
		"$t.exe is stripped"
	is "$(x86_64-w64-mingw32-objdump -p "$e" | sed -n 's/^[[:space:]]*DLL Name: //p' |
		grep -v -x -i -e advapi32.dll -e kernel32.dll -e odbc32.dll -e shell32.dll -e user32.dll -e msvcrt.dll)" "" \
		"$t.exe needs no DLL but Windows' own (kernel32, advapi32, user32, shell32, msvcrt, odbc32)"
done
rm -f "$Z"

done_testing
