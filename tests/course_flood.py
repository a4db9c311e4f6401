"""A flood for test_course_scene.py, in a process of its own so its TLS work never slows the test's own requests:
COUNT requests to URL at once, each on a new connection (COUNT visitors), each bounded by TIMEOUT seconds.

    python course_flood.py URL COUNT TIMEOUT CAFILE

Prints `flooding` once every request is under way, then one JSON list: each answer's status (or the client's
error), seconds, Content-Type and <h1>.
"""

from __future__ import annotations

import asyncio
import json
import re
import ssl
import sys
import time

import httpx

MAX_COUNT = 1000  # a bounded load, whatever the caller asks
MAX_TIMEOUT = 120.0
HEADING = re.compile(r"<h1>(.*?)</h1>")


async def one(client: httpx.AsyncClient, url: str) -> dict[str, object]:
    started = time.monotonic()
    try:
        answer = await client.get(url)
    except httpx.HTTPError as error:  # a request that failed is recorded, as one that was answered
        return {"status": type(error).__name__, "seconds": round(time.monotonic() - started, 3)}
    heading = HEADING.search(answer.text)
    return {
        "status": answer.status_code,
        "seconds": round(time.monotonic() - started, 3),
        "content_type": answer.headers.get("content-type", ""),
        "h1": heading[1] if heading else "",
    }


async def flood(url: str, count: int, timeout: float, cafile: str) -> list[dict[str, object]]:
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=0)  # a connection per request
    verify = ssl.create_default_context(cafile=cafile)
    async with httpx.AsyncClient(verify=verify, timeout=timeout, limits=limits) as client:
        requests = [asyncio.create_task(one(client, url)) for _ in range(count)]
        await asyncio.sleep(0.2)  # every request has begun connecting
        print("flooding", flush=True)
        return list(await asyncio.gather(*requests))


def main() -> None:
    url, count, timeout, cafile = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    answers = asyncio.run(flood(url, min(count, MAX_COUNT), min(timeout, MAX_TIMEOUT), cafile))
    print(json.dumps(answers))


if __name__ == "__main__":
    main()
