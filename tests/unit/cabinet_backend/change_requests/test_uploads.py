from __future__ import annotations

import pytest

from frmr_sso.cabinet_backend.change_requests.uploads import (
    DOCUMENT_TYPES,
    JPEG,
    PDF,
    PNG,
    SCREENSHOT_TYPES,
    UploadBuffer,
    UploadRejected,
    new_document_id,
    safe_filename,
    sniff,
)
from tests.support import documents


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (documents.pdf(), PDF),
        (documents.jpeg(), JPEG),
        (documents.png(), PNG),
        (documents.EXECUTABLE, None),
        (documents.HTML_AS_PDF, None),
        (documents.TRUNCATED_JPEG, None),
        (b"%PDF-1.4\nstartxref\n999999\n%%EOF\n", None),  # the offset points past the end
        (b"", None),
    ],
)
def test_the_type_comes_from_the_content(data: bytes, kind: str | None) -> None:
    assert sniff(data) == kind


def test_a_disguised_file_is_refused_whatever_its_name() -> None:
    buffer = UploadBuffer("documents", "diploma.pdf")
    buffer.feed(documents.EXECUTABLE)
    with pytest.raises(UploadRejected) as raised:
        buffer.finish(DOCUMENT_TYPES)
    assert (raised.value.field, raised.value.reason) == ("documents", "type")


def test_a_png_is_a_screenshot_but_not_a_document() -> None:
    buffer = UploadBuffer("screenshot", "screen.png")
    buffer.feed(documents.png())
    assert buffer.finish(SCREENSHOT_TYPES).content_type == PNG
    again = UploadBuffer("documents", "screen.png")
    again.feed(documents.png())
    with pytest.raises(UploadRejected):
        again.finish(DOCUMENT_TYPES)


def test_the_limit_stops_the_upload_at_the_chunk_that_crosses_it() -> None:
    buffer = UploadBuffer("documents", "big.pdf", limit=1000)
    buffer.feed(b"x" * 600)
    with pytest.raises(UploadRejected) as raised:
        buffer.feed(b"x" * 401)
    assert raised.value.reason == "too_large"


def test_exactly_at_the_limit_is_accepted() -> None:
    data = documents.pdf()
    buffer = UploadBuffer("documents", "a.pdf", limit=len(data))
    buffer.feed(data)
    upload = buffer.finish(DOCUMENT_TYPES)
    assert (upload.size, len(upload.sha256)) == (len(data), 64)


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(UploadRejected) as raised:
        UploadBuffer("documents", "a.pdf").finish(DOCUMENT_TYPES)
    assert raised.value.reason == "empty"


def test_file_names_lose_paths_and_take_the_content_type_extension() -> None:
    assert safe_filename("../../etc/passwd", PDF) == "passwd.pdf"
    assert safe_filename("C:\\Users\\me\\Диплом 2010.exe", JPEG) == "Диплом 2010.jpg"
    assert safe_filename('a"; filename=evil\r\n.pdf', PDF) == "a_ filename_evil.pdf"
    assert safe_filename("...", PDF) == "document.pdf"


def test_document_ids_are_random() -> None:
    ids = {new_document_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(len(i) == 24 for i in ids)
