"""SQL Server's types for the TDS test server (tds_server.py): a declared column type, its
TYPE_INFO and value bytes in a result set; the parameters a client sends in an RPC, read with
their own wire types; and a value converted into a column of a declared type the way SQL
Server converts it (its documented CAST and CONVERT rules: integers and decimals checked
against the type's range, decimals and times rounded to the type's scale, text and binary
checked against the column's length), with SQL Server's own error numbers when it cannot.

Values are kept as Python values in SQL Server's literal form: int for integer types and
bit, float for float and real, str for decimals and money ("-0.0000000001"), times
("2026-01-02 03:04:05.1234567", "... +02:00" for datetimeoffset), uniqueidentifier
(upper case) and text, bytes for binary, None for NULL.
"""
import datetime
import decimal
import re
import struct
import uuid

COLLATION = bytes([0x09, 0x04, 0xD0, 0x00, 0x34])  # SQL_Latin1_General_CP1_CI_AS: cp1252
INTS = {"tinyint": 1, "smallint": 2, "int": 4, "bigint": 8}
INT_RANGE = {"tinyint": (0, 255), "smallint": (-2 ** 15, 2 ** 15 - 1),
             "int": (-2 ** 31, 2 ** 31 - 1), "bigint": (-2 ** 63, 2 ** 63 - 1)}
MONEY_RANGE = (decimal.Decimal("-922337203685477.5808"), decimal.Decimal("922337203685477.5807"))
FLT_MAX = 3.4028234663852886e38
CTX = decimal.Context(prec=200)


class SqlError(Exception):
    def __init__(self, number, text, severity=16):
        super().__init__(text)
        self.number, self.text, self.severity = number, text, severity


# ---- declared types ----

class Type:
    """A declared SQL Server type ("datetime2(7)", "nvarchar(max)", "decimal(38,10)")."""

    def __init__(self, decl):
        self.decl = decl.strip().lower()
        m = re.fullmatch(r"(\w+)\s*(?:\(\s*(\w+)\s*(?:,\s*(\d+)\s*)?\))?", self.decl)
        if not m:
            raise ValueError("bad type " + decl)
        self.name, a, b = m.group(1), m.group(2), m.group(3)
        if self.name == "integer":
            self.name = "int"
        self.size = None if a is None else (-1 if a == "max" else int(a))
        self.scale = int(b) if b is not None else None
        n = self.name
        if n in INTS:
            self.info = bytes([0x26, INTS[n]])
        elif n == "bit":
            self.info = bytes([0x68, 1])
        elif n in ("decimal", "numeric"):
            self.prec = self.size or 18
            self.scale = self.scale or 0
            if not 1 <= self.prec <= 38 or self.scale > self.prec:
                raise SqlError(2750, "Column or parameter has specified a precision of %d. "
                               "The maximum is 38." % self.prec)
            self.info = bytes([0x6A if n == "decimal" else 0x6C, 17, self.prec, self.scale])
        elif n in ("float", "real"):
            self.info = bytes([0x6D, 8 if n == "float" else 4])
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
            raise SqlError(2715, "Column, parameter, or variable #1: Cannot find data type %s."
                           % decl)
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
            if isinstance(v, bytes):
                return v
            return bytes.fromhex(v[2:] if v.startswith("0x") else v)
        if n in INTS:
            return int(v).to_bytes(INTS[n], "little", signed=n != "tinyint")
        if n == "bit":
            return bytes([1 if v in (1, True, "1") else 0])
        if n in ("decimal", "numeric"):
            i = int(CTX.scaleb(decimal.Decimal(str(v)), self.scale).to_integral_exact(context=CTX))
            return bytes([0 if i < 0 else 1]) + abs(i).to_bytes(16, "little")
        if n in ("float", "real"):
            return struct.pack("<d" if n == "float" else "<f", float(v))
        if n == "money":
            i = int(CTX.scaleb(decimal.Decimal(str(v)), 4).to_integral_exact(context=CTX))
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

    # -- a value converted into a column of this type --

    def store(self, v, col):
        """v (a parameter's or literal's value) as this type holds it, or SqlError as SQL
        Server raises it converting v into column col."""
        if v is None:
            return None
        n = self.name
        if n in INTS:
            i = to_int(v, n)
            lo, hi = INT_RANGE[n]
            if not lo <= i <= hi:
                if n == "bigint":
                    raise SqlError(8115, "Arithmetic overflow error converting expression to "
                                   "data type bigint.")
                raise SqlError(220, "Arithmetic overflow error for data type %s, value = %d."
                               % (n, i))
            return i
        if n == "bit":
            if isinstance(v, str):
                s = v.strip().upper()
                if s in ("TRUE", "FALSE"):
                    return 1 if s == "TRUE" else 0
            return 0 if to_number(v, "bit") == 0 else 1
        if n in ("decimal", "numeric", "money"):
            d = to_number(v, "numeric")
            if isinstance(d, float):
                if d != d or d in (float("inf"), float("-inf")):
                    raise SqlError(8115, "Arithmetic overflow error converting float to data "
                                   "type numeric.")
                d = decimal.Decimal(repr(d))
            scale = 4 if n == "money" else self.scale
            q = decimal.Decimal(1).scaleb(-scale)
            d = decimal.Decimal(d).quantize(q, rounding=decimal.ROUND_HALF_UP, context=CTX)
            if n == "money":
                if not MONEY_RANGE[0] <= d <= MONEY_RANGE[1]:
                    raise SqlError(8115, "Arithmetic overflow error converting expression to "
                                   "data type money.")
            elif d.adjusted() >= self.prec - self.scale and d != 0:
                raise SqlError(8115, "Arithmetic overflow error converting %s to data type "
                               "numeric." % ("nvarchar" if isinstance(v, str) else "numeric"))
            return str(d)
        if n in ("float", "real"):
            f = float(to_number(v, n))
            if f != f or f in (float("inf"), float("-inf")):
                raise SqlError(8115, "Arithmetic overflow error converting expression to data "
                               "type %s." % n)
            if n == "real":
                if abs(f) > FLT_MAX and abs(f) >= 3.4028235677973366e38:
                    raise SqlError(8115, "Arithmetic overflow error converting expression to "
                                   "data type real.")
                f = struct.unpack("<f", struct.pack("<f", max(-FLT_MAX, min(FLT_MAX, f))))[0]
            return f
        if n in ("varchar", "nvarchar"):
            s = v if isinstance(v, str) else text_of(v)
            if n == "varchar":  # the column's code page: what it lacks becomes '?'
                s = s.encode("cp1252", "replace").decode("cp1252")
            units = len(s.encode("utf-16-le")) // 2 if n == "nvarchar" else len(s.encode("cp1252"))
            if self.size not in (None, -1) and units > self.size or self.size is None and units > 1:
                raise truncated(col, s)
            return s
        if n == "varbinary":
            if isinstance(v, str):
                raise SqlError(257, "Implicit conversion from data type nvarchar to varbinary "
                               "is not allowed. Use the CONVERT function to run this query.")
            b = bytes(v)
            if self.size not in (None, -1) and len(b) > self.size or self.size is None and len(b) > 1:
                raise truncated(col, "0x" + b.hex())
            return b
        if n == "uniqueidentifier":
            try:
                return str(v if isinstance(v, uuid.UUID) else uuid.UUID(v.strip())).upper()
            except (ValueError, AttributeError):
                raise SqlError(8169, "Conversion failed when converting from a character string "
                               "to uniqueidentifier.")
        if n in ("date", "time", "datetime", "datetime2", "datetimeoffset"):
            return self.store_time(v)
        raise SqlError(206, "Operand type clash: %s is incompatible with %s" % (type(v), n))

    def store_time(self, v):
        n = self.name
        if not isinstance(v, str):
            raise SqlError(206, "Operand type clash: %s is incompatible with %s"
                           % (type(v).__name__, n))
        m = re.fullmatch(r"\s*(?:(\d{4})-(\d\d)-(\d\d))?(?:[ T]?(\d\d?):(\d\d)(?::(\d\d)"
                         r"(?:\.(\d{1,7}))?)?)?\s*(?:([+-])(\d\d):(\d\d)|Z)?\s*", v)
        if not m or not (m.group(1) or m.group(4)):
            raise conversion_failed()
        g = m.groups()
        try:
            y, mo, d = (int(g[0]), int(g[1]), int(g[2])) if g[0] else (1900, 1, 1)
            day = datetime.date(y, mo, d)
            h, mi, s = int(g[3] or 0), int(g[4] or 0), int(g[5] or 0)
            if h > 23 or mi > 59 or s > 59:
                raise ValueError
        except ValueError:
            raise conversion_failed()
        off = 0
        if g[7]:
            off = (int(g[8]) * 60 + int(g[9])) * (1 if g[7] == "+" else -1)
            if abs(off) > 14 * 60:
                raise conversion_failed()
        frac = int((g[6] or "0").ljust(7, "0"))
        if n == "date":
            return day.isoformat()
        scale = 3 if n == "datetime" else self.scale
        # rounded to the type's scale, as SQL Server rounds (datetime to 1/300 s)
        t = datetime.datetime.combine(day, datetime.time(h, mi, s))
        if n == "datetime":
            if y < 1753:
                raise SqlError(242, "The conversion of a nvarchar data type to a datetime data "
                               "type resulted in an out-of-range value.")
            ticks = round((frac / 10 ** 7) * 300)
            t += datetime.timedelta(seconds=ticks // 300)
            ms = round((ticks % 300) * 1000 / 300)
            return stamp(t) + ".%03d" % ms
        step = 10 ** (7 - scale)
        units = (frac + step // 2) // step * step
        if units >= 10 ** 7:
            units -= 10 ** 7
            t += datetime.timedelta(seconds=1)
        if t.year > 9999:
            raise conversion_failed()
        text = "%s.%07d" % (t.strftime("%H:%M:%S") if n == "time" else stamp(t),
                            units)
        if n == "datetimeoffset":
            text += " %s%02d:%02d" % ("-" if off < 0 else "+", abs(off) // 60, abs(off) % 60)
        return text


def stamp(t):
    """A datetime as SQL Server prints it, to the second (years of four digits)."""
    return "%04d-%02d-%02d %02d:%02d:%02d" % (t.year, t.month, t.day, t.hour, t.minute, t.second)


def truncated(col, value):
    return SqlError(2628, "String or binary data would be truncated in table '%s', column "
                    "'%s'. Truncated value: '%s'." % (col[0], col[1], value[:40]))


def conversion_failed():
    return SqlError(241, "Conversion failed when converting date and/or time from character "
                    "string.")


def to_int(v, name):
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return int(v)
    if isinstance(v, decimal.Decimal):
        return int(v)
    if isinstance(v, str) and re.fullmatch(r"\s*[+-]?\d+\s*", v):
        return int(v)
    raise SqlError(245, "Conversion failed when converting the nvarchar value '%s' to data "
                   "type %s." % (v, name))


def to_number(v, name):
    if isinstance(v, (int, float, decimal.Decimal)):
        return v
    if isinstance(v, str):
        s = v.strip()
        if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)", s):
            return decimal.Decimal(s)
        if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+", s) and name in ("float", "real"):
            return float(s)
    raise SqlError(8114, "Error converting data type nvarchar to %s." % name)


def text_of(v):
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, bytes):
        return "0x" + v.hex().upper()
    return str(v)


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


# ---- parameters of an RPC, by their own wire type ----

def utf16(b):
    return b.decode("utf-16-le")


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


FIXED = {0x30: ("tinyint", 1), 0x34: ("smallint", 2), 0x38: ("int", 4), 0x7F: ("bigint", 8),
         0x32: ("bit", 1), 0x3B: ("real", 4), 0x3E: ("float", 8), 0x3D: ("datetime", 8),
         0x3A: ("smalldatetime", 4), 0x3C: ("money", 8), 0x7A: ("smallmoney", 4)}
STRINGS = {0xE7: "nvarchar", 0xA7: "varchar", 0xEF: "nchar", 0xAF: "char", 0xA5: "varbinary",
           0xAD: "binary"}


def read_param(data, i):
    """One RPC parameter: (name, wire type as SQL Server names it, value, next offset)."""
    nlen = data[i]
    name = utf16(data[i + 1:i + 1 + 2 * nlen])
    i += 1 + 2 * nlen + 1  # and the status flags
    t = data[i]
    i += 1
    if t in FIXED:
        tn, n = FIXED[t]
        return (name, tn) + (decode_num(tn, data[i:i + n]), i + n)
    if t in STRINGS:
        tn = STRINGS[t]
        maxlen = struct.unpack_from("<H", data, i)[0]
        i += 2
        if t in (0xE7, 0xA7, 0xEF, 0xAF):
            i += 5
        if maxlen == 0xFFFF:
            b, i = read_plp(data, i)
            tn += "(max)"
        else:
            tn += "(%d)" % (maxlen // 2 if t in (0xE7, 0xEF) else maxlen)
            n = struct.unpack_from("<H", data, i)[0]
            i += 2
            b = None if n == 0xFFFF else data[i:i + n]
            i += 0 if b is None else n
        if b is None:
            return name, tn, None, i
        if t in (0xAD, 0xAF, 0xEF) and maxlen != 0xFFFF:  # binary(n), char(n): padded to n
            b = bytes(b).ljust(maxlen, b"\x00" if t == 0xAD else b" " if t == 0xAF else
                               " ".encode("utf-16-le"))
        if t in (0xE7, 0xEF):
            return name, tn, utf16(b), i
        if t in (0xA7, 0xAF):
            return name, tn, b.decode("cp1252"), i
        return name, tn, bytes(b), i
    if t in (0x63, 0x23, 0x22):  # ntext, text, image: LONGLEN size[, collation]
        tn = {0x63: "ntext", 0x23: "text", 0x22: "image"}[t]
        i += 4 + (5 if t != 0x22 else 0)
        n = struct.unpack_from("<i", data, i)[0]
        i += 4
        if n < 0:
            return name, tn, None, i
        b = data[i:i + n]
        i += n
        return name, tn, utf16(b) if t == 0x63 else b.decode("cp1252") if t == 0x23 else \
            bytes(b), i
    if t in (0x26, 0x68, 0x6D, 0x6E, 0x6F, 0x24):  # intn, bitn, floatn, moneyn, datetimen, guid
        maxlen = data[i]
        tn = {0x26: {1: "tinyint", 2: "smallint", 4: "int", 8: "bigint"},
              0x68: {1: "bit"}, 0x6D: {4: "real", 8: "float"},
              0x6E: {4: "smallmoney", 8: "money"}, 0x6F: {4: "smalldatetime", 8: "datetime"},
              0x24: {16: "uniqueidentifier"}}[t].get(maxlen)
        if tn is None:
            raise SqlError(8016, "parameter %s: type 0x%02x of length %d" % (name, t, maxlen))
        n = data[i + 1]
        b = data[i + 2:i + 2 + n]
        i += 2 + n
        if not n:
            return name, tn, None, i
        if tn == "uniqueidentifier":
            return name, tn, str(uuid.UUID(bytes_le=bytes(b))).upper(), i
        return name, tn, decode_num(tn, b), i
    if t in (0x6A, 0x6C):  # decimaln, numericn: length, precision, scale
        prec, scale = data[i + 1], data[i + 2]
        n = data[i + 3]
        b = data[i + 4:i + 4 + n]
        i += 4 + n
        tn = "%s(%d,%d)" % ("decimal" if t == 0x6A else "numeric", prec, scale)
        if not n:
            return name, tn, None, i
        v = decimal.Decimal(int.from_bytes(b[1:], "little") * (1 if b[0] else -1))
        return name, tn, str(CTX.scaleb(v, -scale)), i
    if t in (0x28, 0x29, 0x2A, 0x2B):  # date, time(n), datetime2(n), datetimeoffset(n)
        scale = 0 if t == 0x28 else data[i]
        i += 0 if t == 0x28 else 1
        n = data[i]
        b = data[i + 1:i + 1 + n]
        i += 1 + n
        tn = {0x28: "date", 0x29: "time", 0x2A: "datetime2", 0x2B: "datetimeoffset"}[t]
        if t != 0x28:
            tn += "(%d)" % scale
        if not n:
            return name, tn, None, i
        return name, tn, decode_time(t, scale, bytes(b)), i
    raise SqlError(8016, "parameter %s: type 0x%02x not served by the test server" % (name, t))


def decode_num(tn, b):
    if tn in ("tinyint", "smallint", "int", "bigint"):
        return int.from_bytes(b, "little", signed=tn != "tinyint")
    if tn == "bit":
        return 1 if b[0] else 0
    if tn in ("real", "float"):
        return struct.unpack("<f" if len(b) == 4 else "<d", b)[0]
    if tn in ("money", "smallmoney"):
        i = struct.unpack("<i", b)[0] if len(b) == 4 else \
            struct.unpack("<i", b[:4])[0] << 32 | struct.unpack("<I", b[4:])[0]
        return str(CTX.scaleb(decimal.Decimal(i), -4))
    if tn == "datetime":
        days, ticks = struct.unpack("<iI", b)
        t = datetime.datetime(1900, 1, 1) + datetime.timedelta(days=days, seconds=ticks // 300)
        return stamp(t) + ".%03d" % round((ticks % 300) * 1000 / 300)
    if tn == "smalldatetime":
        days, mins = struct.unpack("<HH", b)
        t = datetime.datetime(1900, 1, 1) + datetime.timedelta(days=days, minutes=mins)
        return stamp(t)
    raise ValueError(tn)


def decode_time(t, scale, b):
    """date, time, datetime2 or datetimeoffset bytes in SQL Server's literal form, with seven
    digits of a second's fraction."""
    if t == 0x28:
        return (datetime.date(1, 1, 1) + datetime.timedelta(days=int.from_bytes(b, "little"))) \
            .isoformat()
    tlen = 3 if scale <= 2 else 4 if scale <= 4 else 5
    units = int.from_bytes(b[:tlen], "little") * 10 ** (7 - scale)
    secs, frac = divmod(units, 10 ** 7)
    clock = "%02d:%02d:%02d.%07d" % (secs // 3600, secs // 60 % 60, secs % 60, frac)
    if t == 0x29:
        return clock
    day = datetime.datetime(1, 1, 1) + datetime.timedelta(
        days=int.from_bytes(b[tlen:tlen + 3], "little"), seconds=secs)
    if t == 0x2A:
        return "%s.%07d" % (stamp(day), frac)
    off = struct.unpack("<h", b[tlen + 3:tlen + 5])[0]  # the time is in UTC
    day += datetime.timedelta(minutes=off)
    return "%s.%07d %s%02d:%02d" % (stamp(day), frac,
                                    "-" if off < 0 else "+", abs(off) // 60, abs(off) % 60)


def show(tn, v):
    """A parameter as the statement log writes it: type=value."""
    if isinstance(v, bytes):
        return "%s=0x%s" % (tn, v.hex())
    return "%s=%r" % (tn, v)
