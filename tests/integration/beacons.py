#!/usr/bin/env python3
"""Records and replays beacons on loopback, as an attacker on the LAN could (it needs no key).

  beacons.py capture DPORT SECONDS FILE   listen on the beacon port (shared, as vestad does)
  beacons.py replay DPORT FILE            send each recorded datagram to 127.255.255.255

Bounded: a capture lasts SECONDS (at most 30) and keeps at most 1000 datagrams; a replay sends
what was recorded, once. Traffic stays on 127.0.0.0/8.
"""
import socket
import sys
import time


def capture(dport, seconds, path):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", dport))
    deadline = time.monotonic() + min(seconds, 30)
    packets = []
    while len(packets) < 1000:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            data, _ = s.recvfrom(2048)
        except socket.timeout:
            break
        packets.append(data.hex())
    with open(path, "w") as f:
        f.write("\n".join(packets) + "\n")
    print(len(packets))


def replay(dport, path):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    sent = 0
    for line in open(path):
        if line.strip():
            s.sendto(bytes.fromhex(line.strip()), ("127.255.255.255", dport))
            sent += 1
    print(sent)


if __name__ == "__main__":
    if sys.argv[1] == "capture":
        capture(int(sys.argv[2]), float(sys.argv[3]), sys.argv[4])
    else:
        replay(int(sys.argv[2]), sys.argv[3])
