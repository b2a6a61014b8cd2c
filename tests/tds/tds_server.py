#!/usr/bin/env python3
"""A small TDS 7.4 server for tests: it speaks the wire protocol of SQL Server (MS-TDS) to
real clients (FreeTDS's ODBC driver, tsql) and serves tables declared with SQL Server types.

    tds_server.py --config CONFIG.json --port-file F --log LOG

CONFIG.json:
    {"database": "db", "user": "u", "password": "p",
     "snapshot": true,                  # ALLOW_SNAPSHOT_ISOLATION of the database
     "tables": {"t": {"columns": [["id", "bigint"], ["at", "datetime2(7)"], ...],
                      "rows": [[1, "2026-01-02 03:04:05.1234567"], ...]}},
     "fail": [{"match": "REGEX", "error": 3961, "nth": 1}]}

Values are JSON numbers or text in SQL Server's own literal form ("2026-01-02 03:04:05.123",
"... +02:00" for datetimeoffset, "0x00ff" for binary), null for NULL. A statement matching a
"fail" regex (its nth match, default every) gets an ERROR token with that number instead of
its result. Every statement received is appended to LOG, one line each, as "batch: SQL" or
"rpc NAME: SQL | PARAMS". Only PRELOGIN without TLS, LOGIN7 with SQL logins, SQL batches,
RPC sp_executesql / sp_prepexec, and attention are understood: enough for the statements
xpdump sends, not a database.
"""
import argparse
import datetime
import decimal
import json
import os
import re
import socket
import socketserver
import struct
import sys
import threading
import uuid

PKT_BATCH, PKT_RPC, PKT_REPLY, PKT_ATTN, PKT_LOGIN7, PKT_TM, PKT_PRELOGIN = (
    1, 3, 4, 6, 16, 14, 18)
DONE_MORE, DONE_ERROR, DONE_COUNT, DONE_ATTN = 0x1, 0x2, 0x10, 0x20
COLLATION = bytes([0x09, 0x04, 0xD0, 0x00, 0x34])  # SQL_Latin1_General_CP1_CI_AS: cp1252
PACKET = 4096
LEVELS = {"READ UNCOMMITTED": 1, "READ COMMITTED": 2, "REPEATABLE READ": 3,
          "SERIALIZABLE": 4, "SNAPSHOT": 5}


class SqlError(Exception):
    def __init__(self, number, text, severity=16):
        super().__init__(text)
        self.number, self.text, self.severity = number, text, severity


def us_varchar(s):
    b = s.encode("utf-16-le")
    return struct.pack("<H", len(b) // 2) + b


def b_varchar(s):
    b = s.encode("utf-16-le")
    return struct.pack("<B", len(b) // 2) + b


# ---- types: a declared SQL Server type -> TYPE_INFO bytes and value encoder ----

class Type:
    def __init__(self, decl):
        self.decl = decl.strip().lower()
        m = re.fullmatch(r"(\w+)\s*(?:\(\s*(\w+)\s*(?:,\s*(\d+)\s*)?\))?", self.decl)
        if not m:
            raise ValueError("bad type " + decl)
        self.name, a, b = m.group(1), m.group(2), m.group(3)
        self.size = None if a is None else (-1 if a == "max" else int(a))
        self.scale = int(b) if b is not None else None
        n = self.name
        ints = {"tinyint": 1, "smallint": 2, "int": 4, "bigint": 8}
        if n in ints:
            self.info = bytes([0x26, ints[n]])
        elif n == "bit":
            self.info = bytes([0x68, 1])
        elif n in ("decimal", "numeric"):
            self.prec = self.size or 18
            self.scale = self.scale or 0
            self.info = bytes([0x6A if n == "decimal" else 0x6C, 17, self.prec, self.scale])
        elif n == "money":
            self.info = bytes([0x6E, 8])
        elif n == "datetime":
            self.info = bytes([0x6F, 8])
        elif n == "date":
            self.info = bytes([0x28])
        elif n in ("time", "datetime2", "datetimeoffset"):
            self.scale = 7 if self.size is None else self.size
            code = {"time": 0x29, "datetime2": 0x2A, "datetimeoffset": 0x2B}[n]
            self.info = bytes([code, self.scale])
        elif n == "uniqueidentifier":
            self.info = bytes([0x24, 16])
        elif n in ("varchar", "nvarchar", "varbinary"):
            size = 1 if self.size is None else self.size
            if size == -1:
                maxlen = 0xFFFF
            else:
                maxlen = size * 2 if n == "nvarchar" else size
            code = {"varchar": 0xA7, "nvarchar": 0xE7, "varbinary": 0xA5}[n]
            self.info = bytes([code]) + struct.pack("<H", maxlen)
            if n != "varbinary":
                self.info += COLLATION
        else:
            raise ValueError("type not served: " + decl)
        self.plp = self.size == -1

    def encode(self, v):
        """The value's bytes in a ROW (length prefix included); v None is NULL."""
        n = self.name
        if self.plp:
            if v is None:
                return b"\xff" * 8
            b = self.raw(v)
            out = struct.pack("<Q", len(b))
            for i in range(0, len(b), 1000):  # several chunks, as servers send them
                out += struct.pack("<I", len(b[i:i + 1000])) + b[i:i + 1000]
            return out + struct.pack("<I", 0)
        if n in ("varchar", "nvarchar", "varbinary"):
            if v is None:
                return b"\xff\xff"
            b = self.raw(v)
            return struct.pack("<H", len(b)) + b
        if v is None:
            return b"\x00"
        b = self.raw(v)
        return bytes([len(b)]) + b

    def raw(self, v):
        n = self.name
        if n == "varchar":
            return v.encode("cp1252")
        if n == "nvarchar":
            return v.encode("utf-16-le")
        if n == "varbinary":
            return bytes.fromhex(v[2:] if v.startswith("0x") else v)
        if n in ("tinyint", "smallint", "int", "bigint"):
            size = {"tinyint": 1, "smallint": 2, "int": 4, "bigint": 8}[n]
            return int(v).to_bytes(size, "little", signed=n != "tinyint")
        if n == "bit":
            return bytes([1 if v in (1, True, "1") else 0])
        if n in ("decimal", "numeric"):
            ctx = decimal.Context(prec=80)
            i = int(ctx.scaleb(decimal.Decimal(str(v)), self.scale).to_integral_exact(context=ctx))
            return bytes([0 if i < 0 else 1]) + abs(i).to_bytes(16, "little")
        if n == "money":
            ctx = decimal.Context(prec=80)
            i = int(ctx.scaleb(decimal.Decimal(str(v)), 4).to_integral_exact(context=ctx))
            return struct.pack("<iI", i >> 32, i & 0xFFFFFFFF)
        if n == "datetime":
            t = parse_time(v)
            days = (t.date() - datetime.date(1900, 1, 1)).days
            ms = (t.hour * 3600 + t.minute * 60 + t.second) * 1000 + t.microsecond // 1000
            return struct.pack("<iI", days, round(ms * 300 / 1000))
        if n == "date":
            return date3(parse_time(v).date())
        if n == "uniqueidentifier":
            return uuid.UUID(v).bytes_le
        if n in ("time", "datetime2", "datetimeoffset"):
            frac, t, off = parse_frac(v)
            if n == "datetimeoffset":  # stored in UTC, with the offset beside it
                t = t - datetime.timedelta(minutes=off)
            units = (t.hour * 3600 + t.minute * 60 + t.second) * 10 ** self.scale
            units += frac // 10 ** (7 - self.scale)
            tlen = 3 if self.scale <= 2 else 4 if self.scale <= 4 else 5
            b = units.to_bytes(tlen, "little")
            if n == "time":
                return b
            b += date3(t.date())
            if n == "datetimeoffset":
                b += struct.pack("<h", off)
            return b
        raise ValueError(n)


def date3(d):
    return (d - datetime.date(1, 1, 1)).days.to_bytes(3, "little")


def parse_time(v):
    frac, t, _ = parse_frac(v)
    return t.replace(microsecond=frac // 10)


def parse_frac(v):
    """'[YYYY-MM-DD ][HH:MM:SS[.fffffff]][ +HH:MM]' -> (100 ns units, datetime, offset min)."""
    m = re.fullmatch(r"(?:(\d{4})-(\d\d)-(\d\d))?\s*(?:(\d\d):(\d\d):(\d\d)(?:\.(\d{1,7}))?)?"
                     r"\s*(?:([+-])(\d\d):(\d\d))?", v.strip())
    if not m:
        raise ValueError("bad time " + v)
    g = m.groups()
    y, mo, d = (int(g[0]), int(g[1]), int(g[2])) if g[0] else (1900, 1, 1)
    h, mi, s = (int(g[3]), int(g[4]), int(g[5])) if g[3] else (0, 0, 0)
    frac = int((g[6] or "0").ljust(7, "0"))
    off = 0
    if g[7]:
        off = (int(g[8]) * 60 + int(g[9])) * (1 if g[7] == "+" else -1)
    return frac, datetime.datetime(y, mo, d, h, mi, s), off


def sort_key(typ, v):
    """A value comparable with the window's bounds."""
    if typ.name in ("datetime", "datetime2", "date", "datetimeoffset"):
        frac, t, off = parse_frac(v)
        return (t - datetime.timedelta(minutes=off), frac)
    return v


# ---- request parsing ----

def utf16(b):
    return b.decode("utf-16-le")


def skip_all_headers(data):
    if len(data) >= 4:
        total = struct.unpack_from("<I", data)[0]
        if 4 <= total <= len(data) and total >= 22:
            return data[total:]
    return data


def read_plp(data, i):
    total = struct.unpack_from("<Q", data, i)[0]
    i += 8
    if total == 0xFFFFFFFFFFFFFFFF:
        return None, i
    out = b""
    while True:
        n = struct.unpack_from("<I", data, i)[0]
        i += 4
        if n == 0:
            return out, i
        out += data[i:i + n]
        i += n


def read_bytelen(data, i):
    """A value with a one-byte length (0: NULL): (bytes or None, next offset)."""
    n = data[i]
    return (data[i + 1:i + 1 + n] if n else None), i + 1 + n


def read_param(data, i):
    """One RPC parameter: (name, value as Python text/number/None, next offset)."""
    nlen = data[i]
    name = utf16(data[i + 1:i + 1 + 2 * nlen])
    i += 1 + 2 * nlen + 1  # and the status flags
    t = data[i]
    i += 1
    if t in (0xE7, 0xA7, 0xEF, 0xAF, 0xA5, 0xAD):  # n/var/char, var/binary: USHORT len
        maxlen = struct.unpack_from("<H", data, i)[0]
        i += 2
        if t in (0xE7, 0xA7, 0xEF, 0xAF):
            i += 5
        if maxlen == 0xFFFF:
            b, i = read_plp(data, i)
        else:
            n = struct.unpack_from("<H", data, i)[0]
            i += 2
            b = None if n == 0xFFFF else data[i:i + n]
            i += 0 if b is None else n
        if b is None:
            return name, None, i
        if t in (0xE7, 0xEF):
            return name, utf16(b), i
        if t in (0xA7, 0xAF):
            return name, b.decode("cp1252"), i
        return name, b, i
    if t in (0x63, 0x23):  # ntext, text: LONGLEN size, collation, table name parts
        i += 4 + 5
        n = struct.unpack_from("<i", data, i)[0]
        i += 4
        if n < 0:
            return name, None, i
        b = data[i:i + n]
        i += n
        return name, utf16(b) if t == 0x63 else b.decode("cp1252"), i
    if t in (0x26, 0x68, 0x6D, 0x6F):  # intn, bitn, floatn, datetimen
        b, i = read_bytelen(data, i + 1)
        n = len(b or b"")
        if b is None:
            return name, None, i
        if t == 0x26 or t == 0x68:
            return name, int.from_bytes(b, "little", signed=True), i
        if t == 0x6D:
            return name, struct.unpack("<d" if n == 8 else "<f", b)[0], i
        days, ticks = struct.unpack("<iI", b)
        dt = datetime.datetime(1900, 1, 1) + datetime.timedelta(days=days,
                                                                milliseconds=ticks * 10 / 3)
        return name, dt.strftime("%Y-%m-%d %H:%M:%S"), i
    if t in (0x2A, 0x28):  # datetime2n, daten
        scale = data[i] if t == 0x2A else 0
        b, i = read_bytelen(data, i + 1 if t == 0x2A else i)
        if b is None:
            return name, None, i
        days = int.from_bytes(b[-3:], "little")
        d = datetime.datetime(1, 1, 1) + datetime.timedelta(days=days)
        if t == 0x2A:
            units = int.from_bytes(b[:-3], "little")
            d += datetime.timedelta(microseconds=units * 10 ** 6 // 10 ** scale)
        return name, d.strftime("%Y-%m-%d %H:%M:%S"), i
    raise SqlError(8016, "parameter %s: type 0x%02x not served by the test server" % (name, t))


def parse_rpc(data):
    data = skip_all_headers(data)
    n = struct.unpack_from("<H", data)[0]
    if n == 0xFFFF:
        procs = {10: "sp_executesql", 13: "sp_prepexec", 11: "sp_prepare", 12: "sp_execute",
                 15: "sp_unprepare", 1: "sp_cursor", 2: "sp_cursoropen"}
        pid = struct.unpack_from("<H", data, 2)[0]
        proc, i = procs.get(pid, "proc%d" % pid), 4
    else:
        proc, i = utf16(data[2:2 + 2 * n]), 2 + 2 * n
    i += 2  # option flags
    params = []
    while i < len(data) and data[i] not in (0x80, 0xFF, 0xFE):
        name, value, i = read_param(data, i)
        params.append((name, value))
    return proc, params


# ---- the session ----

class Session:
    def __init__(self, server, sock):
        self.srv, self.sock = server, sock
        self.level = 2
        self.trancount = 0
        self.spid = 51 + threading.get_ident() % 1000

    def recv_message(self):
        """(type, payload) of the next message, or None at EOF."""
        payload, ptype = b"", None
        while True:
            hdr = self.recv_exact(8)
            if hdr is None:
                return None
            ptype, status, length = hdr[0], hdr[1], struct.unpack(">H", hdr[2:4])[0]
            body = self.recv_exact(length - 8)
            if body is None:
                return None
            payload += body
            if status & 1:
                return ptype, payload

    def recv_exact(self, n):
        b = b""
        while len(b) < n:
            c = self.sock.recv(n - len(b))
            if not c:
                return None
            b += c
        return b

    def send(self, data, ptype=PKT_REPLY):
        room = PACKET - 8
        chunks = [data[i:i + room] for i in range(0, len(data), room)] or [b""]
        for k, c in enumerate(chunks):
            last = k == len(chunks) - 1
            hdr = struct.pack(">BBHHBB", ptype, 1 if last else 0, len(c) + 8, self.spid,
                              (k + 1) % 256, 0)
            self.sock.sendall(hdr + c)

    def log(self, line):
        with self.srv.lock:
            with open(self.srv.args.log, "a", encoding="utf-8") as f:
                f.write(line.replace("\n", " ") + "\n")

    def run(self):
        while True:
            msg = self.recv_message()
            if msg is None:
                return
            ptype, data = msg
            if ptype == PKT_PRELOGIN:
                self.send(self.prelogin())
            elif ptype == PKT_LOGIN7:
                out, ok = self.login(data)
                self.send(out)
                if not ok:
                    return
            elif ptype == PKT_BATCH:
                text = utf16(skip_all_headers(data))
                self.log("batch: " + text)
                self.send(self.execute(text, []))
            elif ptype == PKT_RPC:
                try:
                    proc, params = parse_rpc(data)
                except SqlError as e:
                    self.send(error_token(e) + done(DONE_ERROR, 0, 0xFE))
                    continue
                self.send(self.rpc(proc, params))
            elif ptype == PKT_ATTN:
                self.log("attention")
                self.send(done(DONE_ATTN, 0))
            elif ptype == PKT_TM:
                self.log("transaction-manager request")
                self.send(done(0, 0))
            else:
                return

    def prelogin(self):
        opts = [(0, bytes([15, 0, 0x07, 0xD0, 0, 0])),  # version 15.0.2000
                (1, bytes([2])),  # ENCRYPT_NOT_SUP: no TLS
                (2, b"\x00"), (3, b""), (4, b"\x00")]
        off, head, body = 5 * len(opts) + 1, b"", b""
        for tag, val in opts:
            head += struct.pack(">BHH", tag, off + len(body), len(val))
            body += val
        return head + b"\xff" + body

    def login(self, data):
        def field(k):
            o, n = struct.unpack_from("<HH", data, 36 + 4 * k)
            return data[o:o + 2 * n]

        user = utf16(field(1))
        pw = bytes(((b ^ 0xA5) >> 4 | ((b ^ 0xA5) & 15) << 4) for b in field(2))
        db = utf16(field(8)) or self.srv.cfg["database"]
        self.log("login: user=%s database=%s" % (user, db))
        if user != self.srv.cfg.get("user") or utf16(pw) != self.srv.cfg.get("password"):
            return error_token(SqlError(18456, "Login failed for user '%s'." % user, 14)) + \
                done(DONE_ERROR, 0), False
        if db != self.srv.cfg["database"]:
            return error_token(SqlError(4060, "Cannot open database \"%s\" requested by the "
                                        "login. The login failed." % db, 11)) + \
                done(DONE_ERROR, 0), False
        out = envchange(1, b_varchar(db) + b_varchar("master"))
        out += envchange(7, bytes([5]) + COLLATION + b"\x00")
        out += info_token(5701, "Changed database context to '%s'." % db)
        prog = b_varchar("Microsoft SQL Server")
        ack = bytes([1]) + bytes([0x74, 0, 0, 4]) + prog + bytes([15, 0, 0x07, 0xD0])
        out += bytes([0xAD]) + struct.pack("<H", len(ack)) + ack
        out += envchange(4, b_varchar(str(PACKET)) + b_varchar(str(PACKET)))
        return out + done(0, 0), True

    def rpc(self, proc, params):
        shown = " | ".join("%s=%r" % p for p in params[2:])
        if proc in ("sp_executesql", "sp_prepexec"):
            k = 1 if proc == "sp_prepexec" else 0  # sp_prepexec: @handle OUTPUT first
            sql = params[k][1] if len(params) > k else ""
            self.log("rpc %s: %s | %s" % (proc, sql, shown))
            values = [v for _, v in params[k + 2:]]
            out = self.execute(sql, values, inproc=True)
            if proc == "sp_prepexec":
                out = returnvalue(params[0][0], 1) + out
            return out + bytes([0x79]) + struct.pack("<i", 0) + done(0, 0, 0xFE)
        if proc == "sp_unprepare":
            self.log("rpc sp_unprepare")
            return bytes([0x79]) + struct.pack("<i", 0) + done(0, 0, 0xFE)
        self.log("rpc %s: not served" % proc)
        return error_token(SqlError(2812, "Could not find stored procedure '%s'." % proc)) + \
            done(DONE_ERROR, 0, 0xFE)

    def execute(self, text, params, inproc=False):
        """The reply to a batch (or the statement of sp_executesql)."""
        tok = 0xFF if inproc else 0xFD
        out = b""
        stmts = [s for s in split_statements(text)]
        for k, sql in enumerate(stmts):
            more = DONE_MORE if k < len(stmts) - 1 else 0
            try:
                self.srv.check_fail(sql)
                out += self.statement(sql, params, more, tok)
            except SqlError as e:
                return out + error_token(e) + done(DONE_ERROR, 0, tok)
            except (ValueError, OverflowError, KeyError) as e:  # bad test data: say so
                self.log("server error: %r" % e)
                return out + error_token(SqlError(50000, "test server: %r" % e)) + \
                    done(DONE_ERROR, 0, tok)
        return out or done(0, 0, tok)

    def statement(self, sql, params, more, tok):
        s = " ".join(sql.split())
        u = s.upper()
        m = re.fullmatch(r"SET TRANSACTION ISOLATION LEVEL (READ UNCOMMITTED|READ COMMITTED|"
                         r"REPEATABLE READ|SERIALIZABLE|SNAPSHOT)", u)
        if m:
            self.level = LEVELS[m.group(1)]
            return done(more, 0, tok)
        if re.fullmatch(r"BEGIN TRAN(SACTION)?", u):
            self.trancount += 1
            return envchange(8, bytes([8]) + struct.pack("<Q", 1) + b"\x00") + done(more, 0, tok)
        if re.fullmatch(r"(IF @@TRANCOUNT > 0 )?(COMMIT|ROLLBACK)( TRAN(SACTION)?)?", u):
            was, self.trancount = self.trancount, 0
            if not was and not u.startswith("IF"):
                raise SqlError(3903, "The %s TRANSACTION request has no corresponding BEGIN "
                               "TRANSACTION." % u.split()[0])
            code = 9 if "COMMIT" in u else 10
            env = envchange(code, b"\x00" + bytes([8]) + struct.pack("<Q", 1)) if was else b""
            return env + done(more, 0, tok)
        if u.startswith("SET "):
            return done(more, 0, tok)
        if "SYS.DM_EXEC_SESSIONS" in u:
            return self.result([("transaction_isolation_level", Type("smallint"))],
                               [[self.level]], more, tok)
        if "SYS.DATABASES" in u:
            state = 1 if self.srv.cfg.get("snapshot", True) else 0
            return self.result([("snapshot_isolation_state", Type("tinyint")),
                                ("name", Type("nvarchar(128)"))],
                               [[state, self.srv.cfg["database"]]], more, tok)
        if u == "SELECT @@SPID":
            return self.result([("", Type("smallint"))], [[self.spid]], more, tok)
        if u.startswith("SELECT "):
            return self.select(s, params, more, tok)
        raise SqlError(102, "Incorrect syntax near '%s'." % s.split()[0])

    def select(self, s, params, more, tok):
        m = re.fullmatch(r"SELECT (.+?) FROM (\S+)(?: WHERE (.+?))?(?: ORDER BY (\S+))?", s,
                         re.I)
        if not m:
            raise SqlError(102, "Incorrect syntax near 'SELECT'.")
        cols, table, where, order = m.groups()
        name = unquote(table)
        t = self.srv.tables.get(name.split(".")[-1])
        if t is None:
            raise SqlError(208, "Invalid object name '%s'." % name)
        if self.level == 5 and self.trancount and not self.srv.cfg.get("snapshot", True):
            raise SqlError(3952, "Snapshot isolation transaction failed accessing database "
                           "'%s' because snapshot isolation is not allowed in this database. "
                           "Use ALTER DATABASE to allow snapshot isolation."
                           % self.srv.cfg["database"])
        names = [c for c, _ in t["columns"]]
        if cols.strip() == "*":
            pick = list(range(len(names)))
        else:
            pick = []
            for c in split_list(cols):
                c = unquote(c)
                if c not in names:
                    raise SqlError(207, "Invalid column name '%s'." % c)
                pick.append(names.index(c))
        rows = t["rows"]
        if where is not None:
            rows = [r for r in rows if self.where(where, params, t, r)]
        if order:
            k = names.index(unquote(order))
            typ = t["columns"][k][1]
            rows = sorted(rows, key=lambda r: (r[k] is not None, r[k] is not None and
                                               sort_key(typ, r[k])))
        meta = [t["columns"][k] for k in pick]
        return self.result(meta, [[r[k] for k in pick] for r in rows], more, tok)

    def where(self, where, params, t, row):
        """Evaluates 1=0, or ANDed `col >= ?|'lit'`, `col < ...`, `NOT (a AND b)`."""
        if where.strip() == "1=0":
            return False
        names = [c for c, _ in t["columns"]]
        pos = iter(params)
        expr = re.sub(r"'[^']*'|@P\d+|\?", lambda m: repr(next(pos) if m.group(0)[0] != "'"
                                                          else m.group(0)[1:-1]), where)

        def cond(m):
            col, op, val = unquote(m.group(1)), m.group(2), eval(m.group(3))
            k = names.index(col)
            typ = t["columns"][k][1]
            if row[k] is None:
                return "False"
            a, b = sort_key(typ, row[k]), sort_key(typ, val) if isinstance(val, str) else val
            return str(a >= b if op == ">=" else a < b)

        expr = re.sub(r"(\"[^\"]+\"|\[[^\]]+\]|\w+) (>=|<) ('[^']*'|\S+?)(?=\)| |$)", cond,
                      expr)
        expr = expr.replace("AND", "and").replace("NOT", "not")
        if not re.fullmatch(r"[\sandnotTrueFalse()]*", expr):
            raise SqlError(102, "Incorrect syntax in WHERE: " + where)
        return eval(expr)

    def result(self, meta, rows, more, tok):
        out = bytes([0x81]) + struct.pack("<H", len(meta))
        for name, typ in meta:
            out += struct.pack("<IH", 0, 0x0001 | 0x0008) + typ.info + b_varchar(name)
        for r in rows:
            nulls = [v is None for v in r]
            if any(nulls):  # NBCROW: a bitmap of NULLs, then the other values
                bits = bytearray((len(r) + 7) // 8)
                for k, isnull in enumerate(nulls):
                    if isnull:
                        bits[k // 8] |= 1 << (k % 8)
                out += bytes([0xD2]) + bytes(bits)
                out += b"".join(typ.encode(v) for (_, typ), v in zip(meta, r) if v is not None)
            else:
                out += bytes([0xD1]) + b"".join(typ.encode(v) for (_, typ), v in zip(meta, r))
        return out + done(more | DONE_COUNT, len(rows), tok)


def split_statements(text):
    """Statements of a batch: split at ';' outside quotes, and at the keywords BEGIN, COMMIT,
    ROLLBACK and SET that start a new statement."""
    parts, cur, q = [], "", None
    for ch in text:
        if q:
            cur += ch
            if ch == q:
                q = None
        elif ch in "'\"[":
            q = "]" if ch == "[" else ch
            cur += ch
        elif ch == ";":
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


def split_list(s):
    out, cur, q = [], "", None
    for ch in s:
        if q:
            cur += ch
            q = None if ch == q else q
        elif ch in "\"[":
            q = "]" if ch == "[" else ch
            cur += ch
        elif ch == ",":
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    return out + [cur.strip()]


def unquote(name):
    parts = re.findall(r'"((?:[^"]|"")*)"|\[([^\]]*)\]|([^."\[]+)', name)
    return ".".join((a.replace('""', '"') or b or c) for a, b, c in parts)


def envchange(kind, body):
    b = bytes([kind]) + body
    return bytes([0xE3]) + struct.pack("<H", len(b)) + b


def message(token, number, text, severity, state=1):
    b = struct.pack("<iBB", number, state, severity) + us_varchar(text) + b_varchar("tdstest")
    b += b_varchar("") + struct.pack("<i", 1)
    return bytes([token]) + struct.pack("<H", len(b)) + b


def error_token(e):
    return message(0xAA, e.number, e.text, e.severity)


def info_token(number, text):
    return message(0xAB, number, text, 0)


def returnvalue(name, value):
    b = struct.pack("<H", 0) + b_varchar(name) + bytes([1]) + struct.pack("<IH", 0, 0)
    return bytes([0xAC]) + b + bytes([0x26, 4, 4]) + struct.pack("<i", value)


def done(status, count, token=0xFD):
    return bytes([token]) + struct.pack("<HHQ", status, 0xC1, count)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, args, cfg):
        self.args, self.cfg, self.lock = args, cfg, threading.Lock()
        self.tables = {}
        for name, t in cfg.get("tables", {}).items():
            self.tables[name] = {"columns": [(c, Type(d)) for c, d in t["columns"]],
                                 "rows": t.get("rows", [])}
        self.fails = [dict(f, seen=0) for f in cfg.get("fail", [])]
        super().__init__(("127.0.0.1", args.port), Handler)

    def check_fail(self, sql):
        with self.lock:
            for f in self.fails:
                if re.search(f["match"], sql):
                    f["seen"] += 1
                    if f.get("nth", f["seen"]) == f["seen"]:
                        raise SqlError(f["error"],
                                   f.get("message", fail_text(f["error"], sql, self.cfg)))


def fail_text(number, sql, cfg):
    m = re.search(r"FROM (\S+)", sql)
    name = unquote(m.group(1)) if m else "?"
    if number == 3961:
        return ("Snapshot isolation transaction failed in database '%s' because the object "
                "accessed by the statement has been modified by a DDL statement in another "
                "concurrent transaction since the start of this transaction. It is disallowed "
                "because the metadata is not versioned. A concurrent update to metadata can "
                "lead to inconsistency if mixed with snapshot isolation." % cfg["database"])
    if number == 3952:
        return ("Snapshot isolation transaction failed accessing database '%s' because "
                "snapshot isolation is not allowed in this database. Use ALTER DATABASE to "
                "allow snapshot isolation." % cfg["database"])
    if number == 208:
        return "Invalid object name '%s'." % name
    return "Error %d." % number


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            Session(self.server, self.request).run()
        except (ConnectionError, OSError):
            pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    args = ap.parse_args()
    with open(args.config, encoding="utf-8") as f:
        cfg = json.load(f)
    srv = Server(args, cfg)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
