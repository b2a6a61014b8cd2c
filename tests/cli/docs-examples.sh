#!/bin/bash
# The docs cannot drift: every command in README.md's code blocks and in the EXAMPLES section
# of every man page, as mandoc renders it for a reader, is extracted and run, in order, in a
# sandbox per page (paths such as /srv/backup, ids such as 3f2a...c1 and DSN names are mapped
# onto a real repository, backup and SQLite databases). Each must exit 0; the few that cannot
# run here are skipped by name, with the reason. Each page's examples must also render as
# written in its source (an escape that roff eats, such as \t for \et, shows up there).
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$XP_SRCDIR/tests/cli/job-lib.sh"
command -v mandoc >/dev/null || skip_all "mandoc is not installed (the examples are read as it renders them)"
unset ODBCSYSINI

# render PAGE: the page as a reader sees it (mandoc -Tascii, without overstrike).
render() { mandoc -Tascii "$1" | sed 's/.\x08//g'; }

# displays PAGE: the lines of the displays in the rendered EXAMPLES section, each display's
# indentation removed, a blank line after each display.
displays() {
	render "$1" | awk '
		BEGIN { d = -1 }
		function end() { if (d >= 0) print ""; d = -1 }
		/^[^ ]/ { end(); ex = ($0 == "EXAMPLES"); base = -1; next }
		!ex { next }
		/^ *$/ { end(); next }
		{ match($0, /^ */) }
		base < 0 { base = RLENGTH }
		RLENGTH <= base { end(); next }
		d < 0 { d = RLENGTH }
		{ l = substr($0, d + 1); sub(/ +$/, "", l); print l }
		END { end() }'
}

# source_displays PAGE: the same lines as written in the page's source, with the escapes
# that stand for a character in a display decoded.
source_displays() {
	awk '
		/^\.Sh / { ex = ($2 == "EXAMPLES"); next }
		ex && /^\.Bd -literal/ { inb = 1; next }
		ex && /^\.Ed/ { inb = 0; print ""; next }
		inb {
			gsub(/\\e/, "\\"); gsub(/\\\(aq/, "'\''"); gsub(/\\\(dq/, "\""); gsub(/\\-/, "-")
			gsub(/\\&/, ""); sub(/ +$/, ""); print
		}' "$1"
}

# extract FILE: one line per documented command, "FILE<TAB>COMMAND": lines of a man page's
# EXAMPLES displays as rendered (joined at a trailing \ or |; with prompts, only the prompted
# lines) or of README.md's fenced code blocks (a ```cmd block's as "cmd.exe: COMMAND").
extract() {
	case $1 in
	*.md)
		awk -v f="${1##*/}" '
			/^```/ { inb = !inb; win = inb && $0 == "```cmd"; next }
			inb && NF && win { print f "\tcmd.exe: " $0; next }
			inb && NF {
				if (cont) sub(/^[ \t]+/, "")
				l = cont ? l " " $0 : $0
				sub(/[ \t]+#.*$/, "", l); gsub(/\t/, " ", l)
				cont = (l ~ /[|\\]$/)
				sub(/[ \t]*\\$/, "", l)
				if (!cont) print f "\t" l
			}' "$1"
		;;
	*)
		displays "$1" | awk -v f="${1##*/}" '
			/^$/ {
				for (i = 1; i <= n; i++) {
					l = L[i]
					if (prompted) { if (l !~ /^[$#] /) continue; l = substr(l, 3) }
					print f "\t" l
				}
				n = 0; prompted = 0; cont = 0; next
			}
			{
				if (cont) { sub(/^[ \t]+/, ""); L[n] = L[n] " " $0 } else { L[++n] = $0 }
				if (!cont && $0 ~ /^[$#] /) prompted = 1
				cont = 0
				if (L[n] ~ /\\$/) { sub(/[ \t]*\\$/, "", L[n]); cont = 1 }
				else if (L[n] ~ /\|$/) cont = 1
			}'
		;;
	esac
}

# Sandbox: ODBC data source names, a HOME, databases shaped like the examples expect.
export HOME=$T/home ODBCINI=$T/odbc.ini
mkdir -p "$HOME"
"$MKDB" -n 300 -d 30 -e 2026-11-27 "$T/audit.db" >/dev/null || { echo "Bail out! make-demo-db failed"; exit 1; }
cp "$T/audit.db" "$T/vms.db"
sqlite3 "$T/vms.db" 'ALTER TABLE audit_log RENAME COLUMN utc_time TO logged_at;'
cat >"$ODBCINI" <<EOF
[vms-audit]
Driver = SQLite3
Database = $T/vms.db

[scratch]
Driver = SQLite3
Database = $T/scratch.db
EOF
(umask 077 && sqlite_dsn "$T/audit.db" >"$T/dsn" && sqlite_dsn "$T/restored.db" >"$HOME/.xp-restore-dsn" &&
	sqlite_dsn "$T/scratch.db" >"$T/drill-dsn")
export DSN="Driver=SQLite3;Database=$T/audit.db"
# rclone's remote "offsite" of the examples: a local directory (relative to each page's cwd)
printf '[offsite]\ntype = local\n' >"$T/rclone.conf"
export XP_PASSWORD_FILE=$T/pw

# page_setup NAME FIRSTCMD: a fresh directory for one page's examples; unless the page starts
# by creating the repository, a repository with one backup, a saved dump, a copied backup.
page_setup() {
	P=$T/page-$1
	R=$P/repo
	mkdir -p "$P/cwd" "$P/usb" "$P/keydisk"
	export XP_SIGNING_KEY=$P/signer.key
	rm -f "$T/log.db" "$T/copy.db" "$T/scratch.db" "$T/restored.db"
	cp "$T/audit.db" "$T/log.db"
	sqlite3 "$T/audit.db" .schema | sed -n '/CREATE TABLE audit_log/,/);/p' | sqlite3 "$T/copy.db"
	conf "$T/job.conf" SIGNING_KEY="$P/signer.key"
	case $2 in xpseal\ init*) return 0 ;; esac
	if ! { xpseal init -r "$R" >/dev/null 2>&1 &&
		xpdump -q --dsn "$DSN" -t audit_log --time-column utc_time -o "$P/cwd/dump.tar" &&
		xpseal -q -r "$R" --source demo -i "$P/cwd/dump.tar" >/dev/null; }; then
		echo "Bail out! sandbox for $1 failed"
		exit 1
	fi
}

# sandbox CMD: the command with the documented paths, ids and names mapped onto the sandbox.
sandbox() {
	local id path
	id=$(awk -F'\t' '!/^#/ { print $3 "\t" $1 }' "$R/catalog" 2>/dev/null | sort | tail -n 1 | cut -f2)
	path=$(awk -F'\t' -v id="$id" '$1 == id { print $9 }' "$R/catalog" 2>/dev/null)
	if [ -n "$id" ] && [ ! -e "$P/usb/$id.xps" ]; then
		cp "$R/$path" "$P/usb/$id.xps"
		cp "$R/$path.minisig" "$P/usb/$id.xps.minisig"
	fi
	# shellcheck disable=SC2001 # one sed script reads better than a chain of expansions
	sed -E \
		-e "s#data/[0-9a-f]{2}/[0-9a-f]+(\.\.\.[0-9a-f]+)?\.xps#$path#g" \
		-e "s#/mnt/usb/[0-9a-f]+(\.\.\.[0-9a-f]+)?\.xps#$P/usb/$id.xps#g" \
		-e "s#\<[0-9a-f]{4}\.\.\.[0-9a-f]+\>#$id#g; s#\<[0-9a-f]{32}\>#$id#g; s#( open -r [^ ]+) ID\>#\1 $id#g" \
		-e "s#/mnt/keydisk#$P/keydisk#g; s#/mnt/copy/backup#$R#g" \
		-e "s#/srv/backup/audit|/srv/backup|/srv/xpbackup|\<REPO\>#$R#g" \
		-e "s#/var/lib/xpbackup/signer\.key#$P/signer.key#g; s#/etc/xpbackup/xpbackup\.conf#$T/job.conf#g" \
		-e "s#/etc/xpbackup/rclone\.conf#$T/rclone.conf#g; s#/mnt/usb/xpbackup#$P/usb/xpbackup#g" \
		-e "s#/etc/xpbackup/password#$T/pw#g; s#/etc/xpbackup/dsn#$T/dsn#g; s#/etc/xpbackup/drill-dsn#$T/drill-dsn#g; s#/var/tmp/#$T/#g" \
		-e "s#^xpbackup-job #$JOB #; s#^xpbackup-drill #$XP_SRCDIR/scripts/xpbackup-drill #" \
		-e "s#^examples/#$XP_SRCDIR/examples/#" <<<"$1"
}

# why_skip CMD: the reason a documented command cannot run in this sandbox, if any.
why_skip() {
	case $1 in
	scripts/setup*) echo "installs Debian packages and builds in place (examples/demo and make check run separately)" ;;
	psql\ *) echo "needs a PostgreSQL server with a table audit_log (tests/cli/dump-pg.sh loads dumps into PostgreSQL)" ;;
	xpseal\ passwd\ -r\ *) echo "asks for the new password twice on a terminal (tests/cli/seal-passwd.sh changes passwords)" ;;
	journalctl\ *) echo "reads the host's system journal" ;;
	esac
}

# run_doc FILE CMD: runs one documented command in its page's sandbox.
run_doc() {
	local why cmd
	why=$(why_skip "$2")
	if [ -n "$why" ]; then
		skip "$1: $2: $why"
		return
	fi
	cmd=$(sandbox "$2")
	# LeakSanitizer cannot tell the SQLite ODBC driver's own leak on a named DSN (the driver
	# is unloaded by then) from ours; valgrind can, and suppresses just that (job-lib.sh).
	case $cmd in
	*DSN=[a-z]*) (export LSAN_OPTIONS=detect_leaks=0 && cd "$P/cwd" && bash -o pipefail -c "$cmd") ;;
	*) (cd "$P/cwd" && bash -o pipefail -c "$cmd") ;;
	esac >"$T/doc.out" 2>"$T/doc.err"
	rc=$?
	is "$rc" 0 "$1: $2"
	[ "$rc" -eq 0 ] || { diag "ran: $cmd"; sed 's/^/# /' "$T/doc.err" | tail -5; }
}

pages=("$XP_SRCDIR"/man/*.[1-8])
[ "${#pages[@]}" -ge 7 ] || { echo "Bail out! expected at least 7 man pages, found ${#pages[@]}"; exit 1; }
n=0
for f in "${pages[@]}"; do
	is "$(displays "$f")" "$(source_displays "$f")" "${f##*/}: EXAMPLES render as written"
	extract "$f" >"$T/cmds"
	[ -s "$T/cmds" ] || { ok 1 "${f##*/}: has examples"; continue; }
	page_setup "${f##*/}" "$(head -n 1 "$T/cmds" | cut -f2)"
	while IFS=$'\t' read -r src cmd; do
		run_doc "$src" "$cmd"
		n=$((n + 1))
	done <"$T/cmds"
done

# README.md: in a sandbox of its own. scripts/setup is skipped; what follows it runs here
# from a tree made of the sources and the build (examples/demo finds the tools under its own
# ../src); a crontab line runs its command.
extract "$XP_SRCDIR/README.md" >"$T/cmds"
[ -s "$T/cmds" ]
ok $? "README.md: has commands"
page_setup README.md "xpseal init"
while IFS=$'\t' read -r src cmd; do
	case $cmd in
	'scripts/setup && '*)
		[ -n "${setup_skipped:-}" ] || run_doc "$src" "scripts/setup"
		setup_skipped=1
		cmd=${cmd#scripts/setup && }
		;;
	[0-9*]*' '[0-9*]*' '[0-9*]*' '[0-9*]*' '[0-9*]*' root '*)
		cmd=${cmd#* * * * * root }
		cmd=${cmd/#\/usr\/local\/bin\/xpbackup-job /xpbackup-job }
		;;
	esac
	case $cmd in
	examples/demo)
		top=$T/top
		mkdir -p "$top/examples"
		ln -s "$XP_BUILDDIR/src" "$top/src"
		ln -s "$XP_SRCDIR/examples/demo" "$XP_SRCDIR/examples/make-demo-db" "$top/examples/"
		(unset XP_PASSWORD_FILE XP_SIGNING_KEY && XP_DEMO_DIR=$T/demo "$top/examples/demo") >"$T/doc.out" 2>"$T/doc.err"
		rc=$?
		is "$rc" 0 "README.md: examples/demo"
		[ "$rc" -eq 0 ] || sed 's/^/# /' "$T/doc.err" | tail -5
		;;
	'make check') skip "README.md: make check: the suite this test is part of" ;;
	'cmd.exe: '*) skip "README.md: ${cmd#cmd.exe: }: a Windows command (docs-examples-windows.sh checks the schtasks line)" ;;
	'make install') skip "README.md: make install: installs under the prefix (tests/cli/install.sh installs into a staging directory)" ;;
	*) run_doc "$src" "$cmd" ;;
	esac
done <"$T/cmds"
diag "$n man page example commands"
done_testing
