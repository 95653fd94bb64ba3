#!/usr/bin/env python3
"""Floods link ports on 127.0.0.1 with connections that never send a byte, as anyone on the LAN
could without the key: up to CONCURRENT open per port, each reopened as soon as the node closes
it, at most RATE new connections a second in all.

  link_flood.py SECONDS RATE CONCURRENT PORT...

Bounded: it stops after SECONDS (at most 120), RATE is capped at 1000 and CONCURRENT at 300;
it connects only to 127.0.0.1. Prints how many it opened and how many the nodes closed.
"""
import selectors
import socket
import sys
import time


def main():
    seconds = min(float(sys.argv[1]), 120.0)
    rate = min(int(sys.argv[2]), 1000)
    concurrent = min(int(sys.argv[3]), 300)
    ports = [int(p) for p in sys.argv[4:]]
    sel = selectors.DefaultSelector()
    open_now = {p: 0 for p in ports}
    opened = closed = 0
    tokens, last = 0.0, time.monotonic()
    end = last + seconds
    while True:
        now = time.monotonic()
        if now >= end:
            break
        tokens = min(float(rate), tokens + (now - last) * rate)
        last = now
        for port in ports:
            while open_now[port] < concurrent and tokens >= 1:
                s = socket.socket()
                s.setblocking(False)
                s.connect_ex(("127.0.0.1", port))
                sel.register(s, selectors.EVENT_READ, port)
                open_now[port] += 1
                opened += 1
                tokens -= 1
        for key, _ in sel.select(timeout=0.01):
            s = key.fileobj
            try:
                data = s.recv(64)
            except BlockingIOError:
                continue
            except OSError:
                data = b""  # refused (the node is down) or reset: reopen it
            if not data:
                sel.unregister(s)
                s.close()
                open_now[key.data] -= 1
                closed += 1
    print(f"opened {opened}, closed by the nodes {closed}", flush=True)


if __name__ == "__main__":
    main()
