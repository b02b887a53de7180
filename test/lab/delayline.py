#!/usr/bin/env python3
"""Layer-2 delay line between two interfaces (a stand-in for netem, which this kernel lacks).

    delayline.py [--vnet-hdr] IF_A IF_B DELAY_MS [MAX_SECONDS]

Every frame received on IF_A is sent out of IF_B DELAY_MS later, and vice versa. Frames are
forwarded unchanged (the kernel computes checksums before they reach us, as long as TX checksum
offload is off on the sending veth). With --vnet-hdr, frames are read and sent with their
virtio-net header (PACKET_VNET_HDR): GSO super-frames and partial checksums then pass through as
they are, so the veths on either side may keep TSO/GSO and checksum offload on. A constant delay keeps each direction in order, so a FIFO per
direction is enough. The process exits by itself after MAX_SECONDS (default 120) so it can never
outlive a broken lab run.
"""

import collections
import select
import signal
import socket
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4  # frames we transmitted ourselves show up on the socket too: ignore them
SOCK_BUF = 4 * 1024 * 1024
SOL_PACKET = 263  # linux/socket.h (the socket module does not export it)
PACKET_VNET_HDR = 15  # linux/if_packet.h
MAX_FRAME = 65535 + 14 + 4 + 10  # a GSO super-frame, a VLAN tag and the virtio-net header


def open_port(ifname: str, vnet_hdr: bool) -> socket.socket:
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    if vnet_hdr:
        s.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCK_BUF)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCK_BUF)
    s.bind((ifname, 0))
    s.setblocking(False)
    return s


def main() -> int:
    args = sys.argv[1:]
    vnet_hdr = bool(args) and args[0] == "--vnet-hdr"
    if vnet_hdr:
        args = args[1:]
    if len(args) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    if_a, if_b, delay = args[0], args[1], float(args[2]) / 1000.0
    deadline = time.monotonic() + (float(args[3]) if len(args) == 4 else 120.0)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    a, b = open_port(if_a, vnet_hdr), open_port(if_b, vnet_hdr)
    # queue per destination socket: (due time, frame)
    queues = {a: collections.deque(), b: collections.deque()}
    peer = {a: b, b: a}
    print(f"delayline {if_a}<->{if_b} {delay * 1000:.1f} ms ready", file=sys.stderr, flush=True)

    while True:
        now = time.monotonic()
        if now >= deadline:
            return 0
        # Send everything that is due.
        for out, q in queues.items():
            while q and q[0][0] <= now:
                frame = q.popleft()[1]
                try:
                    out.send(frame)
                except BlockingIOError:
                    pass  # like a full wire: the frame is lost, TCP recovers
        due = [q[0][0] for q in queues.values() if q]
        timeout = max(0.0, min(due) - time.monotonic()) if due else 0.5
        readable, _, _ = select.select([a, b], [], [], timeout)
        now = time.monotonic()
        for s in readable:
            while True:
                try:
                    frame, addr = s.recvfrom(MAX_FRAME)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue
                queues[peer[s]].append((now + delay, frame))


if __name__ == "__main__":
    sys.exit(main())
