#!/usr/bin/env python3
"""A delaying TCP relay for the network bench (bench/network/run), and its calibration peers.

    relay.py relay --listen 127.0.0.1:0 --upstream HOST:PORT [--delay-ms 25] [--connect-rtts 1]
                   --stats FILE [--trace FILE]
    relay.py peer --listen HOST:PORT          # echo / sink / source, for `probe`
    relay.py probe --target HOST:PORT [--pings 20] [--up-mb 20] [--down-mb 20]

`relay` accepts TCP connections, opens one upstream connection for each, and forwards every
chunk read from either side after holding it `--delay-ms` (a per-direction queue of
(due time, bytes): data keeps flowing while it waits, so the delay costs no throughput; up to
--hold-kib a direction a connection is held before reading stops, which caps one connection at
hold / delay: 512 KiB / 25 ms = 168 Mbit/s). Socket buffers are kept small (256 KiB: the
client-facing receive buffer, the upstream send buffer) so that the client is held back by the
shaped link within a fraction of a second rather than filling megabytes of buffers on loopback. The application sees a round
trip of 2 x delay on every request/response turn. Because the relay answers the TCP handshake
itself, the first bytes of a new connection are held `--connect-rtts` round trips longer (1 =
TCP's SYN/SYN-ACK; 2 or 3 would add TLS 1.3 / 1.2, which the plain-HTTP sandbox does not have).
What it cannot model: the client's TCP sees the relay's sub-millisecond RTT, so TCP slow start
and the congestion window at 50 ms are not reproduced (an ideal pipe, not a real path).

On exit (SIGTERM/SIGINT) it writes --stats: connections accepted, bytes each way (TCP payload,
as seen on the client's side), each connection's open/close times and bytes, and a timeline
of bytes per 100 ms each way (read from the client / handed back to it). --trace writes one
JSON line per request/response turn seen on the client's side (HTTP/1.1 without pipelining: a
request begins when the client sends after the server did): the request line, when its first
and last bytes came from the client, when the first and last bytes of the answer were handed
back to the client (relay clock, seconds since start), bytes each way. Prints
"listening on HOST:PORT" on stdout once ready.
"""
import argparse
import asyncio
import collections
import json
import os
import signal
import socket
import statistics
import struct
import sys
import time

CHUNK = 256 * 1024
SOCK_BUF = 256 * 1024  # receive buffer of the client-facing sockets, send buffer upstream
BIN = 0.1  # seconds per bin of the byte timeline in --stats
METHODS = (b"GET ", b"POST ", b"PUT ", b"PATCH ", b"DELETE ", b"HEAD ", b"OPTIONS ")


def hostport(s):
    host, _, port = s.rpartition(":")
    return host, int(port)


class Conn:
    def __init__(self, relay, cid):
        self.relay, self.id = relay, cid
        self.opened = relay.now()
        self.closed = None
        self.up = self.down = 0  # bytes client->server, server->client
        self.turn = None  # the current request/response turn (dict), or None
        self.last_dir = None

    def saw_up(self, t, data):
        """Bytes read from the client at relay time t."""
        self.up += len(data)
        self.relay.up += len(data)
        self.relay.bin_add(self.relay.bins_up, t, len(data))
        if self.last_dir != "up":
            self.close_turn()
            line = b""
            if data.startswith(METHODS):
                line = data.split(b"\r\n", 1)[0][:300]
            self.turn = {"conn": self.id, "req": line.decode("latin-1"), "t_req0": t, "t_req1": t,
                         "up": 0, "t_resp0": None, "t_resp1": None, "down": 0}
            self.last_dir = "up"
        self.turn["t_req1"] = t
        self.turn["up"] += len(data)

    def gave_down(self, t, n):
        """n bytes handed to the client at relay time t."""
        self.down += n
        self.relay.down += n
        self.relay.bin_add(self.relay.bins_down, t, n)
        if self.turn is None:  # server spoke first (not HTTP): a turn without a request
            self.turn = {"conn": self.id, "req": "", "t_req0": None, "t_req1": None, "up": 0,
                         "t_resp0": None, "t_resp1": None, "down": 0}
        if self.turn["t_resp0"] is None:
            self.turn["t_resp0"] = t
        self.turn["t_resp1"] = t
        self.turn["down"] += n
        self.last_dir = "down"

    def close_turn(self):
        if self.turn is not None:
            self.relay.turn_done(self.turn)
            self.turn = None


class Relay:
    def __init__(self, a):
        self.upstream = hostport(a.upstream)
        self.delay = a.delay_ms / 1000.0
        self.hold = a.hold_kib * 1024
        self.bins_up, self.bins_down = [], []
        self.connect_extra = a.connect_rtts * 2 * self.delay
        self.stats_path, self.trace_path = a.stats, a.trace
        self.t0 = time.monotonic()
        self.t0_unix = time.time()
        self.accepted = 0
        self.up = self.down = 0
        self.conns = []
        self.trace = open(a.trace, "w") if a.trace else None
        self.failures = 0
        self.open = {}  # connection id -> (client writer, upstream writer)

    async def close_all(self):
        for cw, sw in list(self.open.values()):
            for w in (cw, sw):
                w.transport.abort()
        for _ in range(50):
            if not self.open:
                break
            await asyncio.sleep(0.01)

    def now(self):
        return time.monotonic() - self.t0

    @staticmethod
    def bin_add(bins, t, n):
        i = int(t / BIN)
        if i >= len(bins):
            bins.extend([0] * (i + 1 - len(bins)))
        bins[i] += n

    def turn_done(self, turn):
        if self.trace:
            self.trace.write(json.dumps(turn) + "\n")

    async def handle(self, creader, cwriter):
        self.accepted += 1
        conn = Conn(self, self.accepted)
        # asyncio sets TCP_NODELAY only on sockets made with proto IPPROTO_TCP, not on these: without
        # it, Nagle + the peer's delayed ACK would hold a second small write ~40 ms (a relay artefact)
        cwriter.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conns.append(conn)
        try:
            up = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            up.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCK_BUF)
            up.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            up.setblocking(False)
            await asyncio.get_running_loop().sock_connect(up, self.upstream)
            sreader, swriter = await asyncio.open_connection(sock=up)
        except OSError as e:
            self.failures += 1
            print(f"relay: upstream {self.upstream}: {e}", file=sys.stderr)
            cwriter.close()
            conn.closed = self.now()
            return
        first_due = time.monotonic() + self.connect_extra
        tasks = [asyncio.ensure_future(self.pipe(creader, swriter, conn, "up", first_due)),
                 asyncio.ensure_future(self.pipe(sreader, cwriter, conn, "down", 0.0))]

        def on_done(t):  # a broken side ends the whole connection
            if not t.cancelled() and t.exception() is not None:
                for w in (cwriter, swriter):
                    w.transport.abort()

        for t in tasks:
            t.add_done_callback(on_done)
        self.open[conn.id] = (cwriter, swriter)
        try:
            done = await asyncio.gather(*tasks, return_exceptions=True)
        except asyncio.CancelledError:  # the relay is stopping
            done = []
        finally:
            self.open.pop(conn.id, None)
        for w in (cwriter, swriter):
            try:
                w.close()
            except Exception:  # noqa: BLE001
                pass
        conn.close_turn()
        conn.closed = self.now()
        for d in done:
            if isinstance(d, Exception) and not isinstance(d, (ConnectionError, OSError)):
                print(f"relay: connection {conn.id}: {d!r}", file=sys.stderr)

    async def pipe(self, reader, writer, conn, direction, not_before):
        """Read chunks, stamp each with its due time, and write them out once due."""
        q = collections.deque()
        held = 0
        cond = asyncio.Condition()
        eof = False

        async def read_side():
            nonlocal held, eof
            try:
                while True:
                    data = await reader.read(CHUNK)
                    if not data:
                        break
                    t = time.monotonic()
                    if direction == "up":
                        conn.saw_up(t - self.t0, data)
                    async with cond:
                        q.append((max(t + self.delay, not_before + self.delay), data))
                        held += len(data)
                        cond.notify_all()
                        await cond.wait_for(lambda: held < self.hold)
            finally:
                async with cond:
                    eof = True
                    cond.notify_all()

        async def write_side():
            nonlocal held
            while True:
                async with cond:
                    await cond.wait_for(lambda: q or eof)
                    if not q:
                        break
                    due, data = q[0]
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(data)
                await writer.drain()
                if direction == "down":
                    conn.gave_down(time.monotonic() - self.t0, len(data))
                async with cond:
                    q.popleft()
                    held -= len(data)
                    cond.notify_all()
            try:
                if writer.can_write_eof():
                    writer.write_eof()
            except (OSError, RuntimeError):
                pass

        r = asyncio.ensure_future(read_side())
        try:
            await write_side()
        finally:
            if not r.done():
                r.cancel()
            try:
                await r
            except (asyncio.CancelledError, ConnectionError, OSError):
                pass

    def write_stats(self):
        for c in self.conns:
            c.close_turn()
        if self.trace:
            self.trace.close()
            self.trace = None
        doc = {
            "connections": self.accepted,
            "bytes_up": self.up,
            "bytes_down": self.down,
            "upstream_failures": self.failures,
            "delay_ms_each_way": self.delay * 1000,
            "connect_rtts": self.connect_extra / (2 * self.delay) if self.delay else 0,
            "elapsed": self.now(),
            "t0_unix": self.t0_unix,
            "bin_seconds": BIN,
            "bins_up": self.bins_up,
            "bins_down": self.bins_down,
            "conns": [{"id": c.id, "opened": round(c.opened, 6),
                       "closed": None if c.closed is None else round(c.closed, 6),
                       "up": c.up, "down": c.down} for c in self.conns],
        }
        tmp = self.stats_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(doc, f)
        os.replace(tmp, self.stats_path)


async def run_relay(a):
    relay = Relay(a)
    host, port = hostport(a.listen)
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCK_BUF)  # inherited by accepted sockets
    lsock.bind((host, port))
    server = await asyncio.start_server(relay.handle, sock=lsock, backlog=512)
    sock = server.sockets[0].getsockname()
    print(f"listening on {sock[0]}:{sock[1]}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        server.close()
        await relay.close_all()
        relay.write_stats()


# --- calibration: a peer behind the relay, and a probe in front of it -----------------------

async def peer_conn(reader, writer):
    try:
        while True:
            cmd = await reader.readexactly(1)
            if cmd == b"p":
                writer.write(b"p")
            elif cmd == b"u":  # sink n bytes, then answer "k"
                (n,) = struct.unpack("!Q", await reader.readexactly(8))
                while n:
                    got = await reader.read(min(n, CHUNK))
                    if not got:
                        raise ConnectionError("closed")
                    n -= len(got)
                writer.write(b"k")
            elif cmd == b"d":  # send n bytes
                (n,) = struct.unpack("!Q", await reader.readexactly(8))
                block = b"\0" * CHUNK
                while n:
                    k = min(n, CHUNK)
                    writer.write(block[:k])
                    await writer.drain()
                    n -= k
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def run_peer(a):
    host, port = hostport(a.listen)
    server = await asyncio.start_server(peer_conn, host, port)
    sock = server.sockets[0].getsockname()
    print(f"listening on {sock[0]}:{sock[1]}", flush=True)
    async with server:
        await server.serve_forever()


async def run_probe(a):
    reader, writer = await asyncio.open_connection(*hostport(a.target))
    rtts = []
    for _ in range(a.pings + 1):  # the first includes the emulated handshake
        t = time.perf_counter()
        writer.write(b"p")
        await writer.drain()
        await reader.readexactly(1)
        rtts.append(time.perf_counter() - t)
    connect_rtt, rtts = rtts[0], rtts[1:]
    rtt = statistics.median(rtts)
    out = {"rtt_ms": rtt * 1000, "rtt_min_ms": min(rtts) * 1000, "rtt_max_ms": max(rtts) * 1000,
           "first_exchange_ms": connect_rtt * 1000}
    if a.up_mb:
        n = int(a.up_mb * 1e6)
        block = b"\1" * CHUNK
        t = time.perf_counter()
        writer.write(b"u" + struct.pack("!Q", n))
        left = n
        while left:
            k = min(left, CHUNK)
            writer.write(block[:k])
            await writer.drain()
            left -= k
        await reader.readexactly(1)
        dt = time.perf_counter() - t
        # the answer's round trip is not transfer time
        out.update(up_bytes=n, up_seconds=dt, up_payload_bps=8 * n / max(dt - rtt, 1e-9))
    if a.down_mb:
        n = int(a.down_mb * 1e6)
        t = time.perf_counter()
        writer.write(b"d" + struct.pack("!Q", n))
        await writer.drain()
        left = n
        while left:
            left -= len(await reader.read(min(left, CHUNK)))
        dt = time.perf_counter() - t
        out.update(down_bytes=n, down_seconds=dt, down_payload_bps=8 * n / max(dt - rtt, 1e-9))
    writer.close()
    print(json.dumps(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("relay")
    r.add_argument("--listen", default="127.0.0.1:0")
    r.add_argument("--upstream", required=True)
    r.add_argument("--delay-ms", type=float, default=25.0, help="hold in each direction (RTT = 2x)")
    r.add_argument("--connect-rtts", type=float, default=1.0,
                   help="extra round trips before a new connection's first bytes go out")
    r.add_argument("--hold-kib", type=int, default=512, help="bytes held a direction a connection")
    r.add_argument("--stats", required=True)
    r.add_argument("--trace")
    p = sub.add_parser("peer")
    p.add_argument("--listen", required=True)
    q = sub.add_parser("probe")
    q.add_argument("--target", required=True)
    q.add_argument("--pings", type=int, default=20)
    q.add_argument("--up-mb", type=float, default=20)
    q.add_argument("--down-mb", type=float, default=20)
    a = ap.parse_args()
    fn = {"relay": run_relay, "peer": run_peer, "probe": run_probe}[a.cmd]
    try:
        asyncio.run(fn(a))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
