# An SFTP server for the copy tests: Debian's openssh-server run as the current user on a free
# loopback port, with its own host key and authorized_keys in $T/sftp, and an rclone config
# ($T/sftp/rclone.conf, remote "sftp1") that reaches it with a key file and pins its host key.
# Source it after tests/lib.sh.
# shellcheck shell=bash

SFTP_PID=
SFTP_PORT=

# sftp_stop: stops the server and the sessions it forked (by their parent's id).
sftp_stop() {
	[ -n "$SFTP_PID" ] || return 0
	pkill -P "$SFTP_PID" 2>/dev/null
	kill "$SFTP_PID" 2>/dev/null
	wait "$SFTP_PID" 2>/dev/null
	SFTP_PID=
}

# _sftp_launch PORT: starts sshd on PORT; 0 once it accepts connections.
_sftp_launch() {
	local d=$T/sftp
	cat >"$d/sshd_config" <<-EOF
		Port $1
		ListenAddress 127.0.0.1
		HostKey $d/host_key
		AuthorizedKeysFile $d/authorized_keys
		StrictModes no
		PubkeyAuthentication yes
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		UsePAM no
		PermitRootLogin prohibit-password
		PidFile $d/sshd.pid
		Subsystem sftp internal-sftp
	EOF
	/usr/sbin/sshd -D -f "$d/sshd_config" -E "$d/sshd.log" &
	SFTP_PID=$!
	for _ in $(seq 1 50); do
		kill -0 "$SFTP_PID" 2>/dev/null || break
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
			SFTP_PORT=$1
			return 0
		fi
		sleep 0.1
	done
	sftp_stop
	return 1
}

# sftp_start: keys, the server and rclone's config; 1 (and $T/sftp/sshd.log) when it cannot.
sftp_start() {
	local d=$T/sftp port
	[ -x /usr/sbin/sshd ] && command -v rclone >/dev/null && command -v ssh-keygen >/dev/null ||
		return 1
	mkdir -p "$d" && chmod 700 "$d"
	ssh-keygen -q -t ed25519 -N '' -C xptest-host -f "$d/host_key" &&
		ssh-keygen -q -t ed25519 -N '' -C xptest-client -f "$d/client_key" || return 1
	cp "$d/client_key.pub" "$d/authorized_keys"
	# root's sshd needs its privilege separation directory, which Debian's service makes at boot
	if [ "$(id -u)" -eq 0 ] && [ ! -d /run/sshd ]; then
		mkdir -m 0755 /run/sshd || return 1
	fi
	at_exit sftp_stop
	for _ in 1 2 3 4 5; do
		port=$((20000 + RANDOM % 20000))
		_sftp_launch "$port" && break
	done
	[ -n "$SFTP_PORT" ] || return 1
	printf '[127.0.0.1]:%s %s\n' "$SFTP_PORT" "$(cut -d' ' -f1,2 "$d/host_key.pub")" >"$d/known_hosts"
	cat >"$d/rclone.conf" <<-EOF
		[sftp1]
		type = sftp
		host = 127.0.0.1
		port = $SFTP_PORT
		user = $(id -un)
		key_file = $d/client_key
		known_hosts_file = $d/known_hosts
		shell_type = unix
		md5sum_command = none
		sha1sum_command = none
	EOF
}

# sftp_restart: the server again, on the same port with the same keys.
sftp_restart() {
	sftp_stop
	_sftp_launch "$SFTP_PORT"
}
