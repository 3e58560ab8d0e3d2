"""Refuse an oversized upload while it arrives, not after it was written to disk.

Views first refuse a declared Content-Length over the limit without reading the body; this
handler stops a body that arrives without one (chunked) once it passes the limit."""

from django.core.files.uploadhandler import FileUploadHandler, StopUpload


class LimitedUploadHandler(FileUploadHandler):
    """Stops reading the request body once `limit` bytes of file data have come in."""

    def __init__(self, request=None, *, limit: int):
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None
