"""A WebSocket app for the hub's proxy tests, with nothing but the standard library (so a
launch builds its environment offline and at once): a page whose button sends a message over
a WebSocket and shows the answer, `/headers` (what the app was sent), `/where` (its base path),
and `/ws`, an echo."""

from __future__ import annotations

WS_APP = r'''
import base64, hashlib, json, os, struct, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGE = """<!doctype html><html lang=en><head><meta charset=utf-8><title>echo</title>
<meta name=viewport content='width=device-width,initial-scale=1'></head><body><main>
<h1>Echo</h1><label for=say>Say</label> <input id=say value=hello>
<button id=send>Send</button><p id=reply role=status></p><p id=state>connecting</p>
<script>
const socket = new WebSocket(new URL('ws', location.href).href.replace(/^http/, 'ws'));
socket.onopen = () => document.getElementById('state').textContent = 'connected';
socket.onmessage = (event) => document.getElementById('reply').textContent = event.data;
document.getElementById('send').onclick = () => socket.send(document.getElementById('say').value);
</script></main></body></html>"""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # a WebSocket handshake answers 101 in HTTP/1.1

    def do_GET(self):
        if self.path == "/ws" and self.headers.get("Upgrade", "").lower() == "websocket":
            return self.echo()
        if self.path == "/headers":
            return self.answer(json.dumps({k.lower(): v for k, v in self.headers.items()}))
        if self.path == "/where":
            return self.answer(os.environ.get("BRAIN_BASE_PATH", ""))
        if self.path == "/away":
            self.send_response(302)
            self.send_header("Location", "/where")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path == "/":
            return self.answer(PAGE, "text/html")
        self.send_error(404)

    def do_POST(self):
        size = int(self.headers.get("Content-Length", "0"))
        self.answer(str(len(self.rfile.read(size))))

    def answer(self, text, kind="text/plain"):
        data = text.encode()
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def echo(self):
        key = self.headers["Sec-WebSocket-Key"]
        accept = base64.b64encode(hashlib.sha1(
            (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.wfile.flush()
        while True:
            head = self.rfile.read(2)
            if len(head) < 2:
                return
            opcode, size = head[0] & 0x0F, head[1] & 0x7F
            if size == 126:
                size = struct.unpack(">H", self.rfile.read(2))[0]
            elif size == 127:
                size = struct.unpack(">Q", self.rfile.read(8))[0]
            mask = self.rfile.read(4) if head[1] & 0x80 else b"\0\0\0\0"
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(self.rfile.read(size)))
            if opcode == 8:
                self.wfile.write(b"\x88\x00")
                return
            if opcode == 1:
                reply = ("echo: " + data.decode()).encode()
                frame = bytes([0x81, len(reply)]) if len(reply) < 126 else \
                    bytes([0x81, 126]) + struct.pack(">H", len(reply))
                self.wfile.write(frame + reply)
                self.wfile.flush()

    def log_message(self, *args):
        pass


if len(sys.argv) > 2:  # a slow start: seconds before listening
    import time
    time.sleep(float(sys.argv[2]))
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
'''

WS_SPEC = """\
name: echo
version: 0.1.0
description: Answers what you say, over a WebSocket
entry_points:
  app:
    type: app
    description: A page that talks to its server
    command: python echo.py {{ port }}
    parameters:
      port: {type: int, default: 8000}
  slow:
    type: app
    command: python echo.py {{ port }} 4
    parameters:
      port: {type: int, default: 8000}
"""

WS_FILES = {"onebrain.yml": WS_SPEC, "echo.py": WS_APP}
