"""Debian's python3-websockets offering permessage-deflate with small windows.

Run by interop_test.go with /usr/bin/python3 and FANOUT_ECHO_URL set. For
each window of 8 to 15 bits the client offers server_max_window_bits and
client_max_window_bits of that size (as the Autobahn cases 13.3.x-13.6.x
do), checks that the server accepts with the same server window, and
echoes messages whose repeats lie further back than the window, in both
directions compressed. Exits non-zero on the first failure.
"""
import asyncio
import os
import random
import sys

import websockets
from websockets.extensions import permessage_deflate as pmd

URL = os.environ.get("FANOUT_ECHO_URL")
TIMEOUT = 30  # seconds for any one step

# Count the server's frames that arrive compressed (RSV1 set).
compressed_in = 0
_decode = pmd.PerMessageDeflate.decode


def counting_decode(self, frame, *, max_size=None):
    global compressed_in
    if frame.rsv1:
        compressed_in += 1
    return _decode(self, frame, max_size=max_size)


pmd.PerMessageDeflate.decode = counting_decode


def messages():
    rng = random.Random(7)
    alphabet = "abcdefghijklmnopqrstuvwxyz{}\":,"
    def block(n):
        return "".join(rng.choice(alphabet) for _ in range(n))
    yield '{"event":"ping","data":{}}'
    yield block(300) * 5
    yield block(3000) * 4
    yield block(20000) * 2
    yield (block(1000) * 8).encode()  # binary


async def run_window(bits):
    global compressed_in
    compressed_in = 0
    # zlib cannot compress with an 8-bit raw window (it refuses -8), so the
    # client's own window stays at 9 or more; the server's may be 8.
    offer = pmd.ClientPerMessageDeflateFactory(server_max_window_bits=bits, client_max_window_bits=max(bits, 9))
    ws = await asyncio.wait_for(
        websockets.connect(URL, max_size=64 << 20, compression=None, extensions=[offer]), TIMEOUT)
    try:
        ext = ws.extensions
        assert len(ext) == 1 and ext[0].name == "permessage-deflate", f"window {bits}: extensions {ext}"
        assert ext[0].remote_max_window_bits == bits, \
            f"window {bits}: server answered window {ext[0].remote_max_window_bits}"
        sent = 0
        for m in messages():
            await ws.send(m)
            got = await asyncio.wait_for(ws.recv(), TIMEOUT)
            assert got == m, f"window {bits}: echo of {len(m)} bytes differs"
            sent += 1
        assert compressed_in == sent, f"window {bits}: {compressed_in} of {sent} echoes compressed"
        await asyncio.wait_for(ws.close(), TIMEOUT)
    finally:
        await ws.close()
    print(f"window {bits}: {sent} messages echoed compressed")


async def main():
    if not URL:
        sys.exit("FANOUT_ECHO_URL is not set (run through interop_test.go)")
    for bits in range(8, 16):
        await run_window(bits)


asyncio.run(main())
