"""A farm of Redfish BMCs for the region benchmarks: every loopback address is a BMC.

    .venv/bin/python -m bench.bmc_farm --port 8443 [--latency 0.1]

Each address of 127.0.0.0/8 is one BMC with one system (``/redfish/v1/Systems/1``, powered
on), so ten thousand nodes can each have a BMC of their own, as in a region: a client keeps a
connection and a Redfish session per BMC, and that is what the benchmark measures. Every
request waits ``--latency`` seconds first, as a real BMC takes tens to hundreds of
milliseconds. It speaks what sushy needs to read a power state: the service root, the session
service (log in, log out) and the system.

sushy-tools' emulator answers for one address and a few hundred systems; this one is a single
asyncio process, so the BMCs' latency is concurrent and the farm is not the bottleneck.
``GET /farm/stats`` counts what it was asked (logins, logouts, system reads).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
from collections import Counter
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

SYSTEM = "/redfish/v1/Systems/1"
SESSIONS = "/redfish/v1/SessionService/Sessions"


def app(latency: float) -> Starlette:
    counts: Counter[str] = Counter()
    tokens = itertools.count(1)

    async def bmc(request: Request, what: str) -> None:
        host = request.client.host if request.client else ""
        if not host.startswith("127."):
            raise HTTPException(403)  # a benchmark's farm serves this machine only
        counts[what] += 1
        if latency:
            await asyncio.sleep(latency)

    async def root(request: Request) -> Response:
        await bmc(request, "root")
        return JSONResponse(
            {
                "@odata.id": "/redfish/v1/",
                "@odata.type": "#ServiceRoot.v1_5_0.ServiceRoot",
                "Id": "RootService",
                "Name": "Root Service",
                "RedfishVersion": "1.6.0",
                "UUID": "7f2c1d0e-0000-4000-8000-000000000001",
                "Systems": {"@odata.id": "/redfish/v1/Systems"},
                "SessionService": {"@odata.id": "/redfish/v1/SessionService"},
                "Links": {"Sessions": {"@odata.id": SESSIONS}},
            }
        )

    async def session_service(request: Request) -> Response:
        await bmc(request, "session_service")
        return JSONResponse(
            {
                "@odata.id": "/redfish/v1/SessionService",
                "Id": "SessionService",
                "ServiceEnabled": True,
                "SessionTimeout": 600,
                "Sessions": {"@odata.id": SESSIONS},
            }
        )

    async def login(request: Request) -> Response:
        await bmc(request, "login")
        token = next(tokens)
        return JSONResponse(
            {"@odata.id": f"{SESSIONS}/{token}", "Id": str(token), "UserName": "root"},
            status_code=201,
            headers={"X-Auth-Token": f"token-{token}", "Location": f"{SESSIONS}/{token}"},
        )

    async def logout(request: Request) -> Response:
        await bmc(request, "logout")
        return Response(status_code=204)

    async def system(request: Request) -> Response:
        await bmc(request, "system")
        return JSONResponse(
            {
                "@odata.id": SYSTEM,
                "@odata.type": "#ComputerSystem.v1_10_0.ComputerSystem",
                "Id": "1",
                "Name": "System",
                "PowerState": "On",
                "Status": {"State": "Enabled", "Health": "OK"},
            }
        )

    async def stats(_: Request) -> Response:
        return JSONResponse(dict(counts))

    return Starlette(
        routes=[
            Route("/redfish/v1/", root),
            Route("/redfish/v1", root),
            Route("/redfish/v1/SessionService", session_service),
            Route(SESSIONS, login, methods=["POST"]),
            Route(SESSIONS + "/{token}", logout, methods=["DELETE"]),
            Route(SYSTEM, system),
            Route("/farm/stats", stats),
        ]
    )


def address(index: int) -> str:
    """The loopback address of BMC ``index`` (0 → 127.1.0.1; 253 BMCs per last octet)."""
    return f"127.{1 + index // 64_009}.{index // 253 % 253}.{1 + index % 253}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per request")
    args: Any = parser.parse_args(argv)
    # All of 127.0.0.0/8 reaches this socket only if it listens on every address; requests
    # from anywhere but loopback are refused (see ``bmc``).
    uvicorn.run(
        app(args.latency),
        host="0.0.0.0",
        port=args.port,
        log_level="warning",
        backlog=4096,
        timeout_keep_alive=600,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
