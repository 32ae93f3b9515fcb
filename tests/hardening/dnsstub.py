#!/usr/bin/env python3
"""A tiny authoritative DNS responder (stdlib only) for the hardening
tests: answers A, AAAA, TXT, MX and CNAME from a Python dict, over UDP and
TCP, on one address (127.0.0.1:53 inside a private network namespace).

    zone = {("mta-sts.a.test", "A"): ["10.0.0.1"],
            ("_mta-sts.a.test", "TXT"): [["v=STSv1; id=1"]],
            ("a.test", "MX"): [(10, "mx.a.test")]}
    srv = Stub("127.0.0.1", 53, zone); srv.start(); ...; srv.stop()

A name that owns no record at all gets NXDOMAIN, a known name without the
asked type NOERROR/NODATA. No EDNS (answers stay small), no compression.
"""

import socket
import struct
import threading

TYPES = {"A": 1, "CNAME": 5, "MX": 15, "TXT": 16, "AAAA": 28}


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode("ascii")
    return out + b"\0"


def read_name(msg, off):
    labels = []
    while True:
        n = msg[off]
        if n == 0:
            return ".".join(labels), off + 1
        if n & 0xC0:
            raise ValueError("compression in a query")
        labels.append(msg[off + 1:off + 1 + n].decode("ascii", "replace"))
        off += 1 + n


def rdata(rtype, value):
    if rtype == "A":
        return socket.inet_pton(socket.AF_INET, value)
    if rtype == "AAAA":
        return socket.inet_pton(socket.AF_INET6, value)
    if rtype == "TXT":
        out = b""
        for s in value:
            b = s.encode() if isinstance(s, str) else s
            out += bytes([len(b)]) + b
        return out
    if rtype == "MX":
        return struct.pack(">H", value[0]) + encode_name(value[1])
    if rtype == "CNAME":
        return encode_name(value)
    raise ValueError(rtype)


class Stub:
    def __init__(self, addr, port, zone):
        self.addr, self.port = addr, port
        self.zone = {(k[0].lower().rstrip("."), k[1]): v
                     for k, v in zone.items()}
        self.names = {k[0] for k in self.zone}
        self.queries = []          # (name, type) as received
        self.stopping = False
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.udp.bind((addr, port))
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind((addr, port))
        self.tcp.listen(16)
        self.threads = []

    def answer(self, q):
        qid, flags, qd = struct.unpack(">HHH", q[:6])
        name, off = read_name(q, 12)
        qtype, qclass = struct.unpack(">HH", q[off:off + 4])
        question = q[12:off + 4]
        key = name.lower().rstrip(".")
        tname = {v: k for k, v in TYPES.items()}.get(qtype, str(qtype))
        self.queries.append((key, tname))
        answers = []
        cur = key
        for _ in range(10):         # follow CNAMEs inside the stub's data
            if (cur, "CNAME") in self.zone and tname != "CNAME":
                target = self.zone[(cur, "CNAME")][0]
                answers.append((cur, "CNAME", target))
                cur = target.lower().rstrip(".")
                continue
            for v in self.zone.get((cur, tname), []):
                answers.append((cur, tname, v))
            break
        rcode = 0 if (answers or key in self.names) else 3
        body = b""
        for owner, t, v in answers:
            rd = rdata(t, v)
            body += encode_name(owner) + struct.pack(">HHIH", TYPES[t], 1, 60,
                                                     len(rd)) + rd
        hdr = struct.pack(">HHHHHH", qid, 0x8400 | (flags & 0x0100) | rcode,
                          1, len(answers), 0, 0)
        return hdr + question + body

    def serve_udp(self):
        self.udp.settimeout(0.2)
        while not self.stopping:
            try:
                q, peer = self.udp.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                self.udp.sendto(self.answer(q), peer)
            except (ValueError, IndexError, struct.error, OSError):
                pass

    def serve_tcp(self):
        self.tcp.settimeout(0.2)
        while not self.stopping:
            try:
                c, _ = self.tcp.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                c.settimeout(2)
                n = struct.unpack(">H", c.recv(2))[0]
                q = b""
                while len(q) < n:
                    part = c.recv(n - len(q))
                    if not part:
                        break
                    q += part
                a = self.answer(q)
                c.sendall(struct.pack(">H", len(a)) + a)
            except (ValueError, IndexError, struct.error, OSError):
                pass
            finally:
                c.close()

    def start(self):
        for fn in (self.serve_udp, self.serve_tcp):
            t = threading.Thread(target=fn, daemon=True)
            t.start()
            self.threads.append(t)

    def stop(self):
        self.stopping = True
        for t in self.threads:
            t.join(2)
        self.udp.close()
        self.tcp.close()
