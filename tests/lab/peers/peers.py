#!/usr/bin/env python3
"""Hostile SMTP peers for the lab: what a real MTA will not do.

    peers.py RUNDIR CONFIG.json

CONFIG.json (written by lab.py) is {"port": 25, "cert": PEM, "key": PEM,
"peers": {kind: address}}. One asyncio process, one listening socket per
kind; each connection is logged to RUNDIR/peers.log as

    <unix time> <kind> <address> connect
    <unix time> <kind> <address> close sent=<bytes> secs=<seconds>

so tests can count connections per peer. The pid is in RUNDIR/peers.pid.

Kinds (the probe's expected verdict in data/verdict.md terms):
  silent       accepts and never greets                      -> unreachable
  slow         greets one byte per second                    -> unreachable
  endless      greets, answers EHLO with "250-" forever      -> unreachable
  longline     greets with one 1 MiB line                    -> unreachable
  greet554     "554" greeting                                -> unreachable
  close        closes before any greeting                    -> unreachable
  ehlo502      EHLO refused (502), HELO would work           -> starttls missing
  starttls454  STARTTLS advertised, answered 454             -> starttls missing
  tlsgarbage   STARTTLS answered 220, then garbage, not TLS  -> TLS failed
  tls10        STARTTLS with TLS 1.0 only (SECLEVEL=0)       -> TLS version

HTTPS policy-host kinds (port 443; the valid lab leaf, so only the peer's
behaviour is wrong):
  headers      response headers forever, one line per 50 ms       -> timeout
  headerflood  response headers forever, as fast as read     -> curl's 300 KiB cap
  drip         the whole response one byte a second               -> timeout
  garbage      answers the ClientHello with garbage, not TLS      -> TLS failed
  gigabyte     200, text/plain, a 1 GiB body from a generator (no
               Content-Length, ends at close)                     -> too large
The close line's sent=N tells how much the scanner actually read.

Every peer bounds its own resource use: at most MAX_CONNS connections at
once (more are closed at once), each closed after CONN_LIFETIME seconds,
at most SEND_CAP bytes sent and READ_CAP bytes buffered per connection.
"""

import asyncio
import ctypes
import json
import os
import signal
import ssl
import sys
import time
import warnings

MAX_CONNS = 256          # connections at once, all peers together
CONN_LIFETIME = 30.0     # seconds a connection may live
SEND_CAP = 128 << 20     # bytes sent per connection
HTTP_BODY = 1 << 30      # the gigabyte peer's body (generated, never held)
READ_CAP = 16 << 10      # bytes buffered per connection (one command line)
NAME = "lab.test"


class Peer:
    """One accepted connection of one kind."""

    def __init__(self, kind, addr, reader, writer, tls_ctx, log):
        self.kind, self.addr = kind, addr
        self.r, self.w = reader, writer
        self.tls_ctx, self.log = tls_ctx, log
        self.sent = 0

    async def send(self, data):
        """Writes data (respecting SEND_CAP) and waits for the peer to
        take it, so an endless writer never buffers more than a socket."""
        room = (HTTP_BODY + (1 << 20) if self.kind == "gigabyte"
                else SEND_CAP) - self.sent
        if room <= 0:
            raise ConnectionError("send cap")
        data = data[:room]
        if self.w.transport.is_closing():
            # asyncio's TLS transport drops writes after the client hung up
            # instead of failing: stop, so sent= is what the client got.
            raise ConnectionError("client closed")
        self.w.write(data)
        self.sent += len(data)
        await self.w.drain()
        # drain() need not suspend; yield so a client's close is noticed.
        await asyncio.sleep(0)

    async def line(self):
        """One command line from the client ('' at EOF)."""
        try:
            raw = await self.r.readuntil(b"\n")
        except asyncio.IncompleteReadError:
            return ""
        except asyncio.LimitOverrunError:
            raise ConnectionError("client line too long")
        return raw.decode("latin-1").strip()

    async def dialog(self, ehlo_reply, on_starttls):
        """A minimal SMTP server loop after the greeting: EHLO gets
        ehlo_reply, STARTTLS calls on_starttls, QUIT ends."""
        while True:
            cmd = await self.line()
            if not cmd:
                return
            verb = cmd.split(" ", 1)[0].upper()
            if verb == "EHLO":
                await ehlo_reply()
            elif verb == "HELO":
                await self.send(b"250 %s\r\n" % NAME.encode())
            elif verb == "STARTTLS":
                if await on_starttls():
                    return
            elif verb == "QUIT":
                await self.send(b"221 bye\r\n")
                return
            elif verb in ("MAIL", "RCPT", "DATA"):
                # The probe must never send these: say so in the log.
                self.log.write("%.3f %s %s saw-%s\n" %
                               (time.time(), self.kind, self.addr, verb))
                await self.send(b"554 no mail here\r\n")
            else:
                await self.send(b"502 unknown command\r\n")

    async def ehlo_tls(self):
        await self.send(b"250-%s\r\n250-PIPELINING\r\n250 STARTTLS\r\n" %
                        NAME.encode())

    async def run(self):
        k = self.kind
        if k == "silent":
            await asyncio.sleep(CONN_LIFETIME)
        elif k == "close":
            return
        elif k == "slow":
            for b in b"220 slow.lab.test ESMTP greets one byte a second\r\n":
                await self.send(bytes([b]))
                await asyncio.sleep(1.0)
            await self.dialog(self.ehlo_tls, self.refuse_tls)
        elif k == "greet554":
            await self.send(b"554 no SMTP service here\r\n")
            await self.dialog(self.ehlo_tls, self.refuse_tls)
        elif k == "longline":
            await self.send(b"220 " + b"x" * (1 << 20) + b"\r\n")
            await self.dialog(self.ehlo_tls, self.refuse_tls)
        elif k == "endless":
            await self.send(b"220 endless.lab.test ESMTP\r\n")
            cmd = await self.line()
            if cmd.upper().startswith("EHLO"):
                chunk = b"250-endless multi-line reply, never a last line\r\n"
                chunk *= 64
                while True:
                    await self.send(chunk)
        elif k == "ehlo502":
            await self.send(b"220 ehlo502.lab.test ESMTP\r\n")
            await self.dialog(self.refuse_ehlo, self.refuse_tls)
        elif k == "starttls454":
            await self.send(b"220 starttls454.lab.test ESMTP\r\n")
            await self.dialog(self.ehlo_tls, self.refuse_tls)
        elif k == "tlsgarbage":
            await self.send(b"220 tlsgarbage.lab.test ESMTP\r\n")
            await self.dialog(self.ehlo_tls, self.garbage_tls)
        elif k == "tls10":
            await self.send(b"220 tls10.lab.test ESMTP\r\n")
            await self.dialog(self.ehlo_tls, self.start_tls)

    async def http_request(self):
        """Reads the request head (up to the blank line); returns the
        scenario domain from the Host header (mta-sts.<d>), or "x"."""
        host = "mta-sts.x"
        while True:
            ln = await self.line()     # stripped: "" is the blank line
            if ln == "":
                return host[len("mta-sts."):] or "x"
            if ln.lower().startswith("host:"):
                host = ln[5:].strip().split(":")[0]

    async def run_http(self):
        k = self.kind
        if k == "garbage":
            # Wait for the ClientHello, then answer with junk.
            await self.r.read(512)
            # Not a TLS record header (0x99 is no content type), so the
            # client's parser fails at once instead of waiting for a record.
            await self.send(b"\x99\x99 this is not TLS at all\r\n" * 64)
            await asyncio.sleep(2.0)
            return
        d = (await self.http_request()).encode("latin-1")
        if k in ("headers", "headerflood"):
            # headers: one header line every 50 ms, never the blank line;
            # headerflood: as fast as the client reads.
            await self.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n")
            n = 0
            per = 1 if k == "headers" else 64
            while True:
                chunk = b"".join(b"X-Filler-%d: %s\r\n" % (n + i, b"h" * 40)
                                 for i in range(per))
                n += per
                await self.send(chunk)
                if k == "headers":
                    await asyncio.sleep(0.05)
        elif k == "drip":
            body = (b"version: STSv1\nmode: enforce\nmx: mx1.%s\n"
                    b"max_age: 604800\n" % d)
            resp = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                    b"Content-Length: %d\r\n\r\n" % len(body)) + body
            for b in resp:
                await self.send(bytes([b]))
                await asyncio.sleep(1.0)
        elif k == "gigabyte":
            await self.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                            b"Connection: close\r\n\r\n")
            head = (b"version: STSv1\nmode: enforce\nmx: mx1.%s\n"
                    b"max_age: 604800\n" % d)
            await self.send(head)
            line = b"x-padding: " + b"p" * 52 + b"\n"
            chunk = line * 256
            left = HTTP_BODY - len(head)
            while left > 0:
                await self.send(chunk[:left])
                left -= len(chunk)

    async def refuse_ehlo(self):
        await self.send(b"502 EHLO not implemented\r\n")

    async def refuse_tls(self):
        await self.send(b"454 TLS not available due to temporary reason\r\n")
        return False

    async def garbage_tls(self):
        await self.send(b"220 ready to start TLS\r\n")
        await self.send(b"this is not a TLS server hello\r\n" * 8)
        await asyncio.sleep(2.0)
        return True

    async def start_tls(self):
        await self.send(b"220 ready to start TLS\r\n")
        await self.w.start_tls(self.tls_ctx)
        await self.dialog(lambda: self.send(b"250-%s\r\n250 PIPELINING\r\n"
                                            % NAME.encode()),
                          self.refuse_tls)
        return True


class Server:
    def __init__(self, rundir, conf):
        self.rundir, self.conf = rundir, conf
        self.active = 0
        self.log = open(os.path.join(rundir, "peers.log"), "a", buffering=1)
        self.tls_ctx = None
        if conf.get("cert"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.minimum_version = ssl.TLSVersion.TLSv1
                ctx.maximum_version = ssl.TLSVersion.TLSv1
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
            ctx.load_cert_chain(conf["cert"], conf["key"])
            self.tls_ctx = ctx

    def handler(self, kind, addr, http=False):
        async def handle(reader, writer):
            if self.active >= MAX_CONNS:
                writer.transport.abort()
                return
            self.active += 1
            t0 = time.time()
            self.log.write("%.3f %s %s connect\n" % (t0, kind, addr))
            p = Peer(kind, addr, reader, writer, self.tls_ctx, self.log)
            try:
                await asyncio.wait_for(p.run_http() if http else p.run(),
                                       CONN_LIFETIME)
            except (OSError, ConnectionError, asyncio.TimeoutError,
                    ssl.SSLError, ValueError):
                pass
            finally:
                self.active -= 1
                self.log.write("%.3f %s %s close sent=%d secs=%.1f\n" %
                               (time.time(), kind, addr, p.sent,
                                time.time() - t0))
                writer.transport.abort()
        return handle

    async def main(self):
        port = self.conf.get("port", 25)
        servers = []
        for kind, addr in sorted(self.conf["peers"].items()):
            servers.append(await asyncio.start_server(
                self.handler(kind, addr), addr, port, limit=READ_CAP,
                reuse_address=True, backlog=64))
        if self.conf.get("http_peers"):
            hctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            hctx.load_cert_chain(self.conf["http_cert"], self.conf["key"])
            for kind, addr in sorted(self.conf["http_peers"].items()):
                tls = {} if kind == "garbage" else {
                    "ssl": hctx, "ssl_handshake_timeout": 10}
                servers.append(await asyncio.start_server(
                    self.handler(kind, addr, http=True), addr,
                    self.conf.get("http_port", 443), limit=READ_CAP,
                    reuse_address=True, backlog=64, **tls))
        with open(os.path.join(self.rundir, "peers.pid"), "w") as f:
            f.write("%d\n" % os.getpid())
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        for s in servers:
            s.close()


def set_comm(name):
    """Names the process (for lab.py's pid checks), like NSD does."""
    try:
        libc = ctypes.CDLL(None)
        libc.prctl(15, name.encode(), 0, 0, 0)   # PR_SET_NAME
    except (OSError, AttributeError):
        pass


def main(argv):
    if len(argv) != 3:
        print("usage: peers.py RUNDIR CONFIG.json", file=sys.stderr)
        return 2
    with open(argv[2], encoding="utf-8") as f:
        conf = json.load(f)
    set_comm("lab-peers")
    asyncio.run(Server(argv[1], conf).main())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
