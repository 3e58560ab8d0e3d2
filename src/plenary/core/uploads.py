"""Uploads: a limit on the file data a view accepts, and room for long file names.

The body of a request is limited before Django reads it (core.limits). Within that, a view
that takes one file inserts LimitedUploadHandler, which stops at the file's own limit."""

from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import multipartparser

# The headers of one part of a multipart body (its name, file name and type). Django allows
# 1 KB, so that a file name of some 900 characters (or 300 in Chinese) made the whole form
# unreadable; the name is then cut to 255 characters by Django and stored under a name of
# our own. A part's headers stay bounded: the body's limit (core.limits) bounds the rest.
PART_HEADERS_BYTES = 16 * 1024


def allow_long_file_names() -> None:
    """Let a part's headers be up to PART_HEADERS_BYTES (Django reads the module's constant
    each time it parses a part)."""
    multipartparser.MAX_TOTAL_HEADER_SIZE = max(
        multipartparser.MAX_TOTAL_HEADER_SIZE, PART_HEADERS_BYTES
    )


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
