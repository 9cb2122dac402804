"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives and can refuse.

with SMTPServer() as smtp:
    smtp.replies["bob@example.org"] = "550 5.1.1 No such user"   # refuse at RCPT
    ... send to 127.0.0.1:smtp.port ...
    smtp.received  -> [(envelope sender, [recipients], message bytes)]
"""

import socket

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Handler:
    def __init__(self, server: "SMTPServer") -> None:
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.server.replies.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.server.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


class SMTPServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.replies: dict[str, str] = {}  # lower-cased address -> reply at RCPT (e.g. "451 ...")
        self.received: list[tuple[str, list[str], bytes]] = []
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> "SMTPServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
