#!/usr/bin/env python3
"""A small TDS 7.4 server for tests: it speaks the wire protocol of SQL Server (MS-TDS) to
real clients (FreeTDS's ODBC driver, tsql), serves tables declared with SQL Server types and
takes tables and rows into them, in transactions.

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
its result. Every statement received is appended to LOG, one line each, as "batch: SQL",
"rpc NAME: SQL | TYPE=VALUE | ..." (each parameter with the wire type the client sent it
as), "tm: begin|commit|rollback" for transaction-manager requests.

Understood: PRELOGIN without TLS, LOGIN7 with SQL logins, attention; SQL batches and the RPCs
sp_executesql, sp_prepexec, sp_prepare, sp_execute and sp_unprepare (several in one request);
transaction-manager requests and BEGIN TRANSACTION / COMMIT / ROLLBACK, SET
IMPLICIT_TRANSACTIONS ON; CREATE TABLE t (c type [NOT] NULL, ...) and DROP TABLE t, which a
rollback takes back with the rows; INSERT INTO t (cols) VALUES (...), ... with parameters or
literals, and INSERT INTO t (cols) SELECT ... WHERE NOT EXISTS (SELECT 1 FROM t WHERE c = @Pn)
(xprestore --skip-existing), each value converted into its column's type as SQL Server converts it
(tds_types.py); SELECT cols FROM t [WHERE window] [ORDER BY col], SELECT COUNT(*) FROM t, and
the catalog queries xpdump makes. Enough for the statements xpdump, xprestore and tsql send,
not a database.
"""
import argparse
import decimal
import json
import os
import re
import socketserver
import struct
import sys
import threading

sys.dont_write_bytecode = True  # nothing written beside the sources
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tds_types import (COLLATION, SqlError, Type, read_param, show,  # noqa: E402
                       sort_key, utf16)

PKT_BATCH, PKT_RPC, PKT_REPLY, PKT_ATTN, PKT_LOGIN7, PKT_TM, PKT_PRELOGIN = (
    1, 3, 4, 6, 16, 14, 18)
DONE_MORE, DONE_ERROR, DONE_COUNT, DONE_ATTN = 0x1, 0x2, 0x10, 0x20
PACKET = 4096
LEVELS = {"READ UNCOMMITTED": 1, "READ COMMITTED": 2, "REPEATABLE READ": 3,
          "SERIALIZABLE": 4, "SNAPSHOT": 5}
TM_BEGIN, TM_COMMIT, TM_ROLLBACK = 5, 7, 8


def us_varchar(s):
    b = s.encode("utf-16-le")
    return struct.pack("<H", len(b) // 2) + b


def b_varchar(s):
    b = s.encode("utf-16-le")
    return struct.pack("<B", len(b) // 2) + b


# ---- request parsing ----

def skip_all_headers(data):
    if len(data) >= 4:
        total = struct.unpack_from("<I", data)[0]
        if 4 <= total <= len(data) and total >= 22:
            return data[total:]
    return data


PROCS = {10: "sp_executesql", 13: "sp_prepexec", 11: "sp_prepare", 12: "sp_execute",
         15: "sp_unprepare", 1: "sp_cursor", 2: "sp_cursoropen"}


def parse_rpcs(data):
    """The RPCs of one request: [(proc, [(name, wire type, value)])]."""
    data, i, out = skip_all_headers(data), 0, []
    while i < len(data):
        n = struct.unpack_from("<H", data, i)[0]
        if n == 0xFFFF:
            pid = struct.unpack_from("<H", data, i + 2)[0]
            proc, i = PROCS.get(pid, "proc%d" % pid), i + 4
        else:
            proc, i = utf16(data[i + 2:i + 2 + 2 * n]), i + 2 + 2 * n
        i += 2  # option flags
        params = []
        while i < len(data) and data[i] not in (0x80, 0xFF, 0xFE):
            name, tn, value, i = read_param(data, i)
            params.append((name, tn, value))
        out.append((proc, params))
        if i < len(data):  # the batch separator
            i += 1
    return out

# ---- the session ----

class Session:
    def __init__(self, server, sock):
        self.srv, self.sock = server, sock
        self.level = 2
        self.trancount = 0
        self.implicit = False
        self.undo = None  # the tables as they were when the transaction began
        self.prepared, self.next_handle = {}, 1
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
                with self.srv.lock:
                    self.send(self.execute(text, []))
            elif ptype == PKT_RPC:
                try:
                    rpcs = parse_rpcs(data)
                except SqlError as e:
                    self.log("rpc: %d %s" % (e.number, e.text))
                    self.send(error_token(e) + done(DONE_ERROR, 0, 0xFE))
                    continue
                out = b""
                with self.srv.lock:
                    for k, (proc, params) in enumerate(rpcs):
                        out += self.rpc(proc, params, DONE_MORE if k < len(rpcs) - 1 else 0)
                self.send(out)
            elif ptype == PKT_ATTN:
                self.log("attention")
                self.send(done(DONE_ATTN, 0))
            elif ptype == PKT_TM:
                with self.srv.lock:
                    self.send(self.tm(skip_all_headers(data)))
            else:
                return

    # -- transactions: begun by a transaction-manager request, BEGIN TRANSACTION or, with
    # implicit transactions on, the first statement that reads or changes a table; a rollback
    # puts back the tables (created, dropped, rows) as they were --

    def begin(self):
        self.trancount += 1
        if self.trancount > 1:
            return b""
        self.undo = {k: dict(t, rows=list(t["rows"])) for k, t in self.srv.tables.items()}
        return envchange(8, bytes([8]) + struct.pack("<Q", self.spid) + b"\x00")

    def end(self, commit):
        if not self.trancount:
            return b""
        self.trancount = 0
        if not commit:
            self.srv.tables.clear()
            self.srv.tables.update(self.undo)
        self.undo = None
        return envchange(9 if commit else 10, b"\x00" + bytes([8]) + struct.pack("<Q", self.spid))

    def tm(self, data):
        kind = struct.unpack_from("<H", data)[0]
        if kind == TM_BEGIN:
            self.log("tm: begin")
            return self.begin() + done(0, 0)
        if kind in (TM_COMMIT, TM_ROLLBACK):
            nlen = data[2]
            flags = data[3 + 2 * nlen] if len(data) > 3 + 2 * nlen else 0
            again = " and begin" if flags & 1 else ""
            self.log("tm: %s%s" % ("commit" if kind == TM_COMMIT else "rollback", again))
            out = self.end(kind == TM_COMMIT)
            if flags & 1:
                out += self.begin()
            return out + done(0, 0)
        self.log("tm: request %d not served" % kind)
        return error_token(SqlError(8004, "transaction-manager request %d" % kind)) + \
            done(DONE_ERROR, 0)

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

    def rpc(self, proc, params, more):
        """The reply to one RPC: the statement's results, its return status, the handle of a
        statement prepared, DONEPROC."""
        status = bytes([0x79]) + struct.pack("<i", 0)
        shown = "".join(" | " + show(tn, v) for _, tn, v in params)
        if proc in ("sp_executesql", "sp_prepexec", "sp_prepare", "sp_execute"):
            handle = None
            if proc == "sp_execute":  # @handle, then the values
                handle = params[0][2] if params else None
                sql, values = self.prepared.get(handle), params[1:]
                if sql is None:
                    self.log("rpc sp_execute: no statement %r" % handle)
                    return error_token(SqlError(8179, "Could not find prepared statement with "
                                                "handle %r." % handle)) + \
                        done(DONE_ERROR | more, 0, 0xFE)
                shown = "".join(" | " + show(tn, v) for _, tn, v in values)
            elif proc == "sp_executesql":  # @stmt, @params, the values
                sql, values = params[0][2] if params else "", params[2:]
                shown = "".join(" | " + show(tn, v) for _, tn, v in values)
            else:  # @handle OUTPUT, @params, @stmt, the values (sp_prepare: options)
                sql, values = params[2][2] if len(params) > 2 else "", params[3:]
                handle, self.next_handle = self.next_handle, self.next_handle + 1
                self.prepared[handle] = sql
                shown = "".join(" | " + show(tn, v) for _, tn, v in values)
                if proc == "sp_prepare":
                    self.log("rpc sp_prepare: %s | %s" % (sql, params[1][2]))
                    return status + returnvalue(params[0][0], handle) + done(more, 0, 0xFE)
            self.log("rpc %s: %s%s" % (proc, sql, shown))
            out = self.execute(sql, [v for _, _, v in values], inproc=True)
            if proc == "sp_prepexec":
                status += returnvalue(params[0][0], handle)
            return out + status + done(more, 0, 0xFE)
        if proc == "sp_unprepare":
            self.log("rpc sp_unprepare%s" % shown)
            if params:
                self.prepared.pop(params[0][2], None)
            return status + done(more, 0, 0xFE)
        self.log("rpc %s: not served" % proc)
        return error_token(SqlError(2812, "Could not find stored procedure '%s'." % proc)) + \
            done(DONE_ERROR | more, 0, 0xFE)

    def execute(self, text, params, inproc=False):
        """The reply to a batch (or the statement of an RPC)."""
        tok = 0xFF if inproc else 0xFD
        out = b""
        stmts = [s for s in split_statements(text)]
        # in an RPC, DONEPROC follows: every DONEINPROC says there is more
        last = 0 if not inproc else DONE_MORE
        for k, sql in enumerate(stmts):
            more = DONE_MORE if k < len(stmts) - 1 else last
            try:
                self.srv.check_fail(sql)
                out += self.statement(sql, params, more, tok)
            except SqlError as e:
                self.log("error %d: %s" % (e.number, e.text))
                return out + error_token(e) + done(DONE_ERROR | last, 0, tok)
            except (ValueError, OverflowError, KeyError, IndexError) as e:  # say so
                self.log("server error: %r" % e)
                return out + error_token(SqlError(50000, "test server: %r" % e)) + \
                    done(DONE_ERROR | last, 0, tok)
        return out or done(last, 0, tok)

    def statement(self, sql, params, more, tok):
        s = " ".join(sql.split())
        u = s.upper()
        m = re.fullmatch(r"SET TRANSACTION ISOLATION LEVEL (READ UNCOMMITTED|READ COMMITTED|"
                         r"REPEATABLE READ|SERIALIZABLE|SNAPSHOT)", u)
        if m:
            self.level = LEVELS[m.group(1)]
            return done(more, 0, tok)
        if re.fullmatch(r"BEGIN TRAN(SACTION)?", u):
            return self.begin() + done(more, 0, tok)
        if re.fullmatch(r"(IF @@TRANCOUNT > 0 )?(COMMIT|ROLLBACK)( TRAN(SACTION)?)?", u):
            if not self.trancount and not u.startswith("IF"):
                raise SqlError(3903, "The %s TRANSACTION request has no corresponding BEGIN "
                               "TRANSACTION." % u.split()[0])
            return self.end("COMMIT" in u) + done(more, 0, tok)
        m = re.fullmatch(r"SET IMPLICIT_TRANSACTIONS (ON|OFF)", u)
        if m:
            self.implicit = m.group(1) == "ON"
            return done(more, 0, tok)
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
        if u == "SELECT @@TRANCOUNT":
            return self.result([("", Type("int"))], [[self.trancount]], more, tok)
        # with implicit transactions, the first statement on a table begins one
        env = self.begin() if self.implicit and not self.trancount and re.match(
            r"(SELECT .* FROM|CREATE|DROP|INSERT) ", u) else b""
        if u.startswith("CREATE TABLE "):
            return env + self.create(sql, more, tok)
        if u.startswith("DROP TABLE "):
            return env + self.drop(s, more, tok)
        if u.startswith("INSERT INTO "):
            return env + self.insert(sql, params, more, tok)
        m = re.fullmatch(r"SELECT COUNT\(\*\) FROM (\S+)", s, re.I)
        if m:
            t = self.table(m.group(1))
            return env + self.result([("", Type("int"))], [[len(t["rows"])]], more, tok)
        if u.startswith("SELECT "):
            return env + self.select(s, params, more, tok)
        raise SqlError(102, "Incorrect syntax near '%s'." % s.split()[0])

    def table(self, quoted):
        name = unquote(quoted).split(".")[-1]
        t = self.srv.tables.get(name)
        if t is None:
            raise SqlError(208, "Invalid object name '%s'." % unquote(quoted))
        return t

    def create(self, sql, more, tok):
        m = re.fullmatch(r"\s*CREATE\s+TABLE\s+(\"(?:[^\"]|\"\")+\"|\[[^\]]+\]|[\w.]+)\s*\((.*)\)\s*",
                         sql, re.I | re.S)
        if not m:
            raise SqlError(102, "Incorrect syntax near 'TABLE'.")
        name = unquote(m.group(1)).split(".")[-1]
        if name in self.srv.tables:
            raise SqlError(2714, "There is already an object named '%s' in the database." % name)
        cols, notnull = [], set()
        for d in split_list(m.group(2)):
            dm = re.fullmatch(r"(\"(?:[^\"]|\"\")+\"|\[[^\]]+\]|\w+)\s+(\w+(?:\s*\([^)]*\))?)"
                              r"(\s+NOT\s+NULL|\s+NULL)?", d.strip(), re.I)
            if not dm:
                raise SqlError(102, "Incorrect syntax near '%s'." % d.strip()[:30])
            c = unquote(dm.group(1))
            if c in [k for k, _ in cols]:
                raise SqlError(2705, "Column names in each table must be unique. Column name "
                               "'%s' in table '%s' is specified more than once." % (c, name))
            cols.append((c, Type(dm.group(2))))
            if dm.group(3) and "NOT" in dm.group(3).upper():
                notnull.add(c)
        self.srv.tables[name] = {"columns": cols, "rows": [], "notnull": notnull}
        return done(more, 0, tok)

    def drop(self, s, more, tok):
        name = unquote(s.split()[2]).split(".")[-1]
        if name not in self.srv.tables:
            raise SqlError(3701, "Cannot drop the table '%s', because it does not exist or you "
                           "do not have permission." % name)
        del self.srv.tables[name]
        return done(more, 0, tok)

    def insert(self, sql, params, more, tok):
        """INSERT INTO t [(cols)] VALUES (v, ...), ...: every row converted before any is
        added, as one statement does; or INSERT INTO t [(cols)] SELECT v, ... [WHERE NOT
        EXISTS (SELECT 1 FROM t2 WHERE c = v)]: the one row, unless t2 holds one whose c
        equals v as SQL Server compares them (v converted to c's type; text without regard
        to case or trailing spaces, as the CI_AS collation has it)."""
        m = re.fullmatch(r"\s*INSERT\s+INTO\s+(\"(?:[^\"]|\"\")+\"|\[[^\]]+\]|[\w.]+)\s*"
                         r"(?:\(([^)]*)\))?\s*(?:VALUES\s*(.*?)|SELECT\s+(.*?)"
                         r"(?:\s+WHERE\s+NOT\s+EXISTS\s*\(\s*SELECT\s+1\s+FROM\s+"
                         r"(\"(?:[^\"]|\"\")+\"|\[[^\]]+\]|[\w.]+)\s+WHERE\s+"
                         r"(\"(?:[^\"]|\"\")+\"|\[[^\]]+\]|\w+)\s*=\s*(@P\d+|\?|N?'(?:[^']|'')*'|[+-]?\d+)"
                         r"\s*\))?)\s*",
                         sql, re.I | re.S)
        if not m:
            raise SqlError(102, "Incorrect syntax near 'INSERT'.")
        t = self.table(m.group(1))
        tname = unquote(m.group(1)).split(".")[-1]
        names = [c for c, _ in t["columns"]]
        pick = list(range(len(names)))
        if m.group(2) is not None:
            pick = []
            for c in split_list(m.group(2)):
                if unquote(c) not in names:
                    raise SqlError(207, "Invalid column name '%s'." % unquote(c))
                pick.append(names.index(unquote(c)))
        if m.group(3) is not None:
            given = parse_values(m.group(3), params)
        else:
            given = parse_values("(" + m.group(4) + ")", params)
            if m.group(5) and self.exists(m.group(5), m.group(6), m.group(7), m.group(4),
                                          params):
                given = []
        rows = []
        for values in given:
            if len(values) != len(pick):
                raise SqlError(110, "There are fewer columns in the INSERT statement than "
                               "values specified in the VALUES clause.")
            row = [None] * len(names)
            for k, v in zip(pick, values):
                c, typ = t["columns"][k]
                row[k] = typ.store(v, ("%s.dbo.%s" % (self.srv.cfg["database"], tname), c))
            for k, c in enumerate(names):
                if row[k] is None and c in t.get("notnull", ()):
                    raise SqlError(515, "Cannot insert the value NULL into column '%s', table "
                                   "'%s.dbo.%s'; column does not allow nulls. INSERT fails."
                                   % (c, self.srv.cfg["database"], tname))
            rows.append(row)
        t["rows"] = t["rows"] + rows
        return done(more | DONE_COUNT, len(rows), tok)

    def exists(self, table, col, marker, before, params):
        """Whether table holds a row whose col equals the literal or parameter marker (@Pn,
        or the ? after those in before), converted to col's type as SQL Server converts it."""
        t = self.table(table)
        names = [c for c, _ in t["columns"]]
        if unquote(col) not in names:
            raise SqlError(207, "Invalid column name '%s'." % unquote(col))
        k = names.index(unquote(col))
        if marker[0] in "@?":
            n = int(marker[2:]) - 1 if marker != "?" else len(re.findall(r"\?", before))
            if n >= len(params):
                raise SqlError(137, "Must declare the scalar variable \"%s\"." % marker)
            given = params[n]
        else:
            given = parse_values("(" + marker + ")", [])[0][0]
        typ = t["columns"][k][1]
        v = typ.store(given, (table, unquote(col)))
        if v is None:  # = NULL is true of no row
            return False

        def same(a):
            if isinstance(a, str) and isinstance(v, str):
                return a.rstrip(" ").casefold() == v.rstrip(" ").casefold()
            return sort_key(typ, a) == sort_key(typ, v)
        return any(r[k] is not None and same(r[k]) for r in t["rows"])

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
        return self.result(meta, [[r[k] for k in pick] for r in rows], more, tok,
                           t.get("notnull", ()))

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

    def result(self, meta, rows, more, tok, notnull=()):
        out = bytes([0x81]) + struct.pack("<H", len(meta))
        for name, typ in meta:
            flags = 0x0008 | (0 if name in notnull else 0x0001)  # updatable, nullable
            out += struct.pack("<IH", 0, flags) + typ.info + b_varchar(name)
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
    """Items of a comma-separated list, outside quotes and parentheses."""
    out, cur, q, depth = [], "", None, 0
    for ch in s:
        if q:
            cur += ch
            q = None if ch == q else q
        elif ch in "\"[":
            q = "]" if ch == "[" else ch
            cur += ch
        elif ch in "()":
            depth += 1 if ch == "(" else -1
            cur += ch
        elif ch == "," and not depth:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    return out + [cur.strip()]


LITERAL = re.compile(r"""\s*(?:(?P<str>N?'(?:[^']|'')*')|(?P<bin>0x[0-9a-fA-F]*)|(?P<null>NULL)\b|
    (?P<float>[+-]?(?:\d+\.?\d*|\.\d+)[eE][+-]?\d+)|(?P<dec>[+-]?(?:\d+\.\d*|\.\d+))|
    (?P<int>[+-]?\d+)|(?P<param>@P\d+|\?)|(?P<punct>[(),]))""", re.I | re.X)


def parse_values(text, params):
    """The rows of a VALUES list: literals as SQL Server reads them ('text', N'text', 0x..,
    NULL, 1, 1.5 a decimal, 1e5 a float) and parameters (@Pn, or ? in order)."""
    rows, row, i, nth = [], None, 0, 0
    while i < len(text.rstrip()):
        m = LITERAL.match(text, i)
        if not m:
            raise SqlError(102, "Incorrect syntax near '%s'." % text[i:i + 20].strip())
        i = m.end()
        kind, tokv = m.lastgroup, m.group(m.lastgroup)
        if kind == "punct":
            if tokv == "(" and row is None:
                row = []
            elif tokv == ")" and row is not None:
                rows.append(row)
                row = None
            elif tokv != "," or (row is None and not rows):
                raise SqlError(102, "Incorrect syntax near '%s'." % tokv)
            continue
        if row is None:
            raise SqlError(102, "Incorrect syntax near '%s'." % tokv)
        if kind == "str":
            row.append(tokv[tokv.index("'") + 1:-1].replace("''", "'"))
        elif kind == "bin":
            row.append(bytes.fromhex(tokv[2:]))
        elif kind == "null":
            row.append(None)
        elif kind == "float":
            row.append(float(tokv))
        elif kind == "dec":
            row.append(decimal.Decimal(tokv))
        elif kind == "int":
            row.append(int(tokv))
        else:
            k = int(tokv[2:]) - 1 if tokv != "?" else nth
            nth += 1
            if k >= len(params):
                raise SqlError(137, "Must declare the scalar variable \"%s\"." % tokv)
            row.append(params[k])
    if row is not None or not rows:
        raise SqlError(102, "Incorrect syntax near the end of the VALUES list.")
    return rows


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
        self.args, self.cfg, self.lock = args, cfg, threading.RLock()
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
