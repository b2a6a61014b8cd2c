# Writes ROWS lines of a video-management audit log as CSV (header first), deterministically:
#   id,time,user,client_ip,camera,category,action,message,result,guid
# Usage: awk -v ROWS=1000000 -f gen-auditlog.awk
# A Park-Miller generator (exact in double arithmetic) instead of rand(), so every awk
# writes the same bytes.
function rnd(n) {
	seed = (seed * 16807) % 2147483647
	return seed % n
}
function hex(n, w,    s) {
	s = ""
	while (w-- > 0) {
		s = substr("0123456789abcdef", n % 16 + 1, 1) s
		n = int(n / 16)
	}
	return s
}
BEGIN {
	if (!ROWS)
		ROWS = 1000000
	seed = 20261124
	split("31 28 31 30 31 30 31 31 30 31 30 31", mlen, " ")
	d = 0
	for (m = 1; m <= 12; m++)
		for (day = 1; day <= mlen[m]; day++)
			date[d++] = sprintf("2026-%02d-%02d", m, day)
	ncat = split("Login,Playback,Export,Configuration,Alarm,PTZ,Bookmark,Evidence lock", cat, ",")
	nact = split("view live,play recording,export clip,change settings,acknowledge alarm," \
		"move camera,add bookmark,lock evidence,log in,log out", act, ",")
	nsite = split("Entrance North,Entrance South,Parking Level 1,Parking Level 2,Lobby," \
		"Loading Dock,Server Room,Warehouse Aisle 4,Reception,Stairwell B", site, ",")
	nfirst = split("anna,bjorn,carla,dmitri,elif,farid,greta,hiro,ines,jonas,kasia,lars", first, ",")
	print "id,time,user,client_ip,camera,category,action,message,result,guid"
	t = 0
	for (i = 1; i <= ROWS; i++) {
		t += 1 + rnd(4)
		s = t % 86400
		c = rnd(ncat) + 1
		a = rnd(nact) + 1
		cam = rnd(400) + 1
		u = first[rnd(nfirst) + 1] "." rnd(90) + 10
		ip = "10." rnd(8) "." rnd(256) "." rnd(254) + 1
		ok = rnd(20) ? "Success" : "Failure"
		msg = u " " act[a] " on Camera " cam
		if (ok == "Failure")
			msg = msg "; denied: missing permission"
		printf "%d,%sT%02d:%02d:%02dZ,%s,%s,\"Camera %03d - %s\",%s,%s,\"%s\",%s,%s-%s-4%s-%s-%s%s\n",
			i, date[int(t / 86400) % 365], int(s / 3600), int(s % 3600 / 60), s % 60, u, ip,
			cam, site[cam % nsite + 1], cat[c], act[a], msg, ok,
			hex(rnd(65536), 4) hex(rnd(65536), 4), hex(rnd(65536), 4), hex(rnd(4096), 3),
			hex(rnd(65536), 4), hex(rnd(65536), 4), hex(rnd(65536), 4) hex(rnd(65536), 4)
	}
}
