"""Debian's python3-websockets against fanout's /echo endpoint.

Run by interop_test.go with /usr/bin/python3 and FANOUT_ECHO_URL set: text,
binary, fragmented and 1 MiB messages, close codes both ways. Exits non-zero
on the first failure.
"""
import asyncio
import os
import sys

import websockets

URL = os.environ.get("FANOUT_ECHO_URL")
TIMEOUT = 30  # seconds for any one step; a hung server fails the run


async def connect():
    return await asyncio.wait_for(websockets.connect(URL, max_size=64 << 20, compression=None), TIMEOUT)


async def echo(ws, message):
    await ws.send(message)
    return await asyncio.wait_for(ws.recv(), TIMEOUT)


async def check_close(ws, code):
    await asyncio.wait_for(ws.close(code=code, reason="bye"), TIMEOUT)
    assert ws.close_code == code, f"close {code} answered with {ws.close_code}"


async def text():
    ws = await connect()
    got = await echo(ws, "Hello, fanout! κόσμε")
    assert got == "Hello, fanout! κόσμε", got
    await check_close(ws, 1000)


async def binary():
    ws = await connect()
    got = await echo(ws, bytes([0, 1, 2, 0xFE, 0xFF]))
    assert isinstance(got, bytes) and got == bytes([0, 1, 2, 0xFE, 0xFF]), got
    await check_close(ws, 1000)


async def fragmented():
    ws = await connect()
    got = await echo(ws, ["frag-", "ment-", "ed"])  # an iterable is sent as fragments
    assert got == "frag-ment-ed", got
    got = await echo(ws, [b"\x01\x02", b"\x03"])
    assert got == b"\x01\x02\x03", got
    await check_close(ws, 1000)


async def large():
    ws = await connect()
    t = "y" * (1 << 20)
    assert await echo(ws, t) == t, "1 MiB text differs"
    b = bytes(i * 7 % 256 for i in range(1 << 20))
    assert await echo(ws, b) == b, "1 MiB binary differs"
    chunks = [b[i:i + (64 << 10)] for i in range(0, len(b), 64 << 10)]
    assert await echo(ws, chunks) == b, "1 MiB in fragments differs"
    await check_close(ws, 1000)


async def close_codes():
    for code in (1000, 1001, 3000, 4000, 4999):
        ws = await connect()
        await check_close(ws, code)


async def ping():
    ws = await connect()
    waiter = await ws.ping(b"are you there")
    await asyncio.wait_for(waiter, TIMEOUT)
    await check_close(ws, 1000)


async def main():
    if not URL:
        sys.exit("FANOUT_ECHO_URL is not set (run through interop_test.go)")
    for case in (text, binary, fragmented, large, close_codes, ping):
        await case()
        print("ok", case.__name__, flush=True)


asyncio.run(main())
