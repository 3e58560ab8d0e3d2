"""A real TCP server on 127.0.0.1 that records every connection made to it: the tests of the
box point documents and programs at it and count what reached it."""

import socket
import threading


class Listener:
    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.requests: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _address = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with connection:
                connection.settimeout(1)
                try:
                    self.requests.append(connection.recv(512))
                except OSError:
                    self.requests.append(b"")

    @property
    def connections(self) -> int:
        return len(self.requests)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.server.close()
