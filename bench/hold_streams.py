#!/usr/bin/env python3
"""Open N streaming chat requests over HTTP/1.1, read each one's head and first SSE event,
hold them all open, then close them (scenario e of bench/run.sh). Stdlib only.

Prints one JSON line `{"event":"ready",...}` once every stream is open (or has failed), then
`{"event":"done",...}` after the hold. Bounded: gives up after --deadline seconds.
"""
import argparse
import asyncio
import json
import sys
import time


async def open_one(host, port, request, sem, timeout):
    async with sem:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        try:
            writer.write(request)
            await writer.drain()
            buf = b""
            deadline = time.monotonic() + timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no first event")
                data = await asyncio.wait_for(reader.read(65536), left)
                if not data:
                    raise ConnectionError("closed before the first event")
                buf += data
                head, sep, rest = buf.partition(b"\r\n\r\n")
                if not sep:
                    continue
                status = head.split(b"\r\n", 1)[0]
                if b" 200 " not in status + b" ":
                    raise ConnectionError(status.decode("latin-1"))
                if b"data:" in rest and b"\n\n" in rest.split(b"data:", 1)[1]:
                    return writer
        except BaseException:
            writer.close()
            raise


async def main(args):
    body = b'{"model":"mock-model","stream":true,"messages":[{"role":"user","content":"Say hello."}]}'
    request = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    sem = asyncio.Semaphore(args.parallel_opens)
    started = time.monotonic()
    results = await asyncio.gather(
        *(open_one(args.host, args.port, request, sem, args.timeout) for _ in range(args.n)),
        return_exceptions=True,
    )
    writers = [r for r in results if isinstance(r, asyncio.StreamWriter)]
    errors = [repr(r) for r in results if not isinstance(r, asyncio.StreamWriter)]
    print(json.dumps({
        "event": "ready",
        "open": len(writers),
        "failed": len(errors),
        "first_error": errors[0] if errors else None,
        "open_secs": round(time.monotonic() - started, 3),
    }), flush=True)
    await asyncio.sleep(args.hold)
    for w in writers:
        w.close()
    await asyncio.gather(*(w.wait_closed() for w in writers), return_exceptions=True)
    print(json.dumps({"event": "done"}), flush=True)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("-n", type=int, default=2000)
    p.add_argument("--hold", type=float, default=4.0, help="seconds to hold all streams open")
    p.add_argument("--parallel-opens", type=int, default=128)
    p.add_argument("--timeout", type=float, default=20.0, help="per-stream open timeout")
    p.add_argument("--deadline", type=float, default=120.0, help="overall limit, seconds")
    a = p.parse_args()
    try:
        asyncio.run(asyncio.wait_for(main(a), a.deadline))
    except asyncio.TimeoutError:
        print(json.dumps({"event": "deadline"}), flush=True)
        sys.exit(2)
