"""Uploads: a limit on the file data a view accepts, and room for long file names.

The body of a request is limited before Django reads it (core.limits). Within that, a view
that takes one file inserts LimitedUploadHandler, which stops at the file's own limit."""

from contextlib import contextmanager

from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import multipartparser
from django.utils.translation import gettext as _

from .errors import DomainError

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


def one_file(request, *, max_bytes: int, field: str = "upload"):
    """The one file of an API request (multipart), read no further than `max_bytes`: a body
    declared or found larger is refused `too_large`, a missing file `file_required`. A body
    Django cannot read is answered by FormErrorMiddleware."""
    megabytes = {"mb": max_bytes // (1024 * 1024)}
    too_large = DomainError(_("The file is larger than %(mb)s MB.") % megabytes, code="too_large")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > max_bytes + 64 * 1024:
        raise too_large
    limited = LimitedUploadHandler(request, limit=max_bytes)
    request.upload_handlers.insert(0, limited)
    # A file cut off at the limit is absorbed by the parser and said here.
    upload = request.FILES.get(field)
    if limited.received > limited.limit:
        raise too_large
    if upload is None:
        raise DomainError(_("Choose a file (at most %(mb)s MB).") % megabytes, code="file_required")
    return upload


@contextmanager
def stored_files(storage):
    """The names of the files stored (in `storage`) within the block, removed if it fails:
    a refusal or a crash in the transaction around them stores nothing."""
    stored: list[str] = []
    try:
        yield stored
    except BaseException:
        for name in stored:
            storage.delete(name)
        raise
