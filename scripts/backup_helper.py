#!/usr/bin/env python3
"""Helpers of scripts/backup.sh and scripts/restore.sh (standard library only).

  backup_helper.py sqlite-backup SRC DST     online backup of an SQLite database (the
                                             sqlite3 backup API: consistent while the
                                             service writes, WAL included)
  backup_helper.py sqlite-restore SRC DST    copy SRC over DST (written beside it, renamed
                                             over it; DST's stale -wal/-shm removed): the
                                             service must be stopped
  backup_helper.py redis-dump URL PREFIX OUT every key under PREFIX as DUMP payloads with
                                             their absolute expiry, one JSON line a key
  backup_helper.py redis-restore URL FILE    RESTORE … REPLACE ABSTTL of every line of FILE
                                             (into a running server)

Redis is spoken to with a tiny RESP client: redis://[user:password@]host[:port][/db] and
rediss:// (TLS).
"""

import base64
import json
import os
import socket
import sqlite3
import ssl
import sys
import time
import urllib.parse


class Redis:
    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        if u.scheme not in ("redis", "rediss"):
            raise SystemExit(f"not a redis:// URL: {u.scheme}://…")
        sock = socket.create_connection((u.hostname or "127.0.0.1", u.port or 6379), timeout=30)
        if u.scheme == "rediss":
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=u.hostname)
        self.sock = sock
        self.buf = sock.makefile("rb")
        if u.password is not None:
            user = urllib.parse.unquote(u.username or "")
            password = urllib.parse.unquote(u.password)
            self.call(*(["AUTH", user, password] if user else ["AUTH", password]))
        db = (u.path or "/").lstrip("/")
        if db:
            self.call("SELECT", db)

    def call(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            if isinstance(a, str):
                a = a.encode()
            elif isinstance(a, int):
                a = str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return self.read()

    def read(self):
        line = self.buf.readline()
        if not line:
            raise ConnectionError("redis closed the connection")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError("redis: " + rest.decode(errors="replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.buf.read(n + 2)
            return data[:-2]
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RuntimeError(f"redis: unexpected reply {line!r}")


def glob_escape(prefix):
    return "".join("\\" + c if c in "*?[]\\" else c for c in prefix)


def redis_dump(url, prefix, out):
    r = Redis(url)
    tmp = out + ".tmp"
    n = 0
    with open(tmp, "w") as f:
        cursor = "0"
        while True:
            cursor, keys = r.call("SCAN", cursor, "MATCH", glob_escape(prefix) + "*", "COUNT", 1000)
            cursor = cursor.decode()
            for key in keys:
                payload = r.call("DUMP", key)
                if payload is None:  # expired or deleted since the SCAN
                    continue
                pttl = r.call("PTTL", key)
                expire_at_ms = int(time.time() * 1000) + pttl if pttl > 0 else 0
                f.write(json.dumps({"key": base64.b64encode(key).decode(),
                                    "expire_at_ms": expire_at_ms,
                                    "dump": base64.b64encode(payload).decode()}) + "\n")
                n += 1
            if cursor == "0":
                break
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, out)
    print(f"{n} keys")


def redis_restore(url, path):
    r = Redis(url)
    now_ms = int(time.time() * 1000)
    restored = expired = 0
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            key = base64.b64decode(rec["key"])
            payload = base64.b64decode(rec["dump"])
            at = rec["expire_at_ms"]
            if at and at <= now_ms:
                # RESTORE … ABSTTL with a time in the past would create nothing anyway: the
                # key would have expired by now had the server run on.
                expired += 1
                continue
            r.call("RESTORE", key, at, payload, "REPLACE", "ABSTTL")
            restored += 1
    print(f"{restored} keys restored, {expired} skipped (expired since the backup)")


def sqlite_backup(src, dst):
    if not os.path.exists(src):
        raise SystemExit(f"{src}: no such file")
    tmp = dst + ".tmp"
    source = sqlite3.connect(f"file:{urllib.parse.quote(os.path.abspath(src))}?mode=ro", uri=True)
    target = sqlite3.connect(tmp)
    with target:
        source.backup(target)
    check = target.execute("PRAGMA integrity_check").fetchone()[0]
    target.close()
    source.close()
    if check != "ok":
        raise SystemExit(f"{tmp}: integrity_check says {check}")
    os.replace(tmp, dst)


def sqlite_restore(src, dst):
    d = os.path.dirname(os.path.abspath(dst))
    os.makedirs(d, exist_ok=True)
    tmp = dst + ".restore-tmp"
    source = sqlite3.connect(f"file:{urllib.parse.quote(os.path.abspath(src))}?mode=ro", uri=True)
    target = sqlite3.connect(tmp)
    with target:
        source.backup(target)
    target.close()
    source.close()
    for suffix in ("-wal", "-shm"):
        try:
            os.remove(dst + suffix)
        except FileNotFoundError:
            pass
    os.replace(tmp, dst)


def main(argv):
    cmds = {"sqlite-backup": (sqlite_backup, 2), "sqlite-restore": (sqlite_restore, 2),
            "redis-dump": (redis_dump, 3), "redis-restore": (redis_restore, 2)}
    if len(argv) < 2 or argv[1] not in cmds or len(argv) - 2 != cmds[argv[1]][1]:
        print(__doc__, file=sys.stderr)
        return 2
    fn, _ = cmds[argv[1]]
    fn(*argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
