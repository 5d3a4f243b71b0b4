"""Serving the hub: uvicorn on the chosen address, with the settings the hub relies on."""

from __future__ import annotations

from brain.share.hub import HubSettings, create_app

# h11 refuses longer request heads with a bare 400; above our own limit, so that an
# oversized link still gets brain's clear 414.
_MAX_REQUEST_HEAD = 256 * 1024


def serve(settings: HubSettings) -> None:
    """Run the hub until interrupted."""
    import socket

    import uvicorn

    from brain.errors import EnvironmentFailure

    # uvicorn would log a bind failure and exit 1; say it as brain says things instead.
    try:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((settings.host, settings.port))
    except OSError as error:
        raise EnvironmentFailure(f"cannot listen on {settings.host}:{settings.port}: "
                                 f"{error.strerror}",
                                 hint="pick another --port, or stop what listens there") \
            from None
    app = create_app(settings)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning",
                            http="h11", h11_max_incomplete_event_size=_MAX_REQUEST_HEAD,
                            # X-Forwarded-* are the gate's to judge (--trusted-proxy), never
                            # uvicorn's: it would believe any local peer by default.
                            proxy_headers=False, lifespan="on",
                            # Longer than a reverse proxy's own idle timeout (nginx: 60s), so the
                            # hub never closes a kept-alive connection a client is about to reuse.
                            timeout_keep_alive=75)
    uvicorn.Server(config).run()
