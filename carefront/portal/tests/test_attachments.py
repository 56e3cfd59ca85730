import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from carefront.core.exceptions import ApplicationError
from carefront.portal.services import MAX_ATTACHMENTS, attachment_type_sniff, attachments_prepare
from carefront.portal.tests.conftest import PDF, PNG

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40
ZIP = b"PK\x03\x04" + b"\x00" * 40


@pytest.mark.parametrize(
    ("head", "filename", "expected"),
    [
        (PNG, "x.png", "image/png"),
        (PNG, "renamed.txt", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "x.jpg", "image/jpeg"),
        (b"GIF89a\x01\x00", "x.gif", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "x.webp", "image/webp"),
        (PDF, "x.pdf", "application/pdf"),
        (ZIP, "report.DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (ZIP, "sheet.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (ZIP, "notes.odt", "application/vnd.oasis.opendocument.text"),
        (OLE, "old.doc", "application/msword"),
        (OLE, "old.xls", "application/vnd.ms-excel"),
        ("Plain text, accentué ✓\n".encode(), "readme.txt", "text/plain"),
        (b"a,b\n1,2\n", "data.csv", "text/csv"),
        ("é".encode()[:1], "cut.txt", "text/plain"),  # a prefix may end inside a character
    ],
)
def test_allowed_types_are_recognised_by_their_first_bytes(head, filename, expected):
    assert attachment_type_sniff(head=head, filename=filename) == expected


@pytest.mark.parametrize(
    ("head", "filename"),
    [
        (b"MZ\x90\x00\x03", "invoice.pdf"),
        (b"\x7fELF\x02\x01", "photo.png"),
        (ZIP, "archive.zip"),
        (ZIP, "trojan.pdf"),
        (OLE, "macro.docx"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>", "logo.svg"),
        (b"<html><script>alert(1)</script>", "page.html"),
        (b"text\x00with nul", "odd.txt"),
        (b"\xff\xfe\x00\x00latin", "latin.txt"),
        (b"plain words", "no-extension"),
    ],
)
def test_other_types_are_refused_whatever_their_name(head, filename):
    assert attachment_type_sniff(head=head, filename=filename) is None


def test_empty_file_is_refused():
    with pytest.raises(ApplicationError, match="is empty"):
        attachments_prepare(files=[SimpleUploadedFile("empty.txt", b"")])


def test_too_many_files_are_refused():
    files = [SimpleUploadedFile(f"f{i}.txt", b"x") for i in range(MAX_ATTACHMENTS + 1)]
    with pytest.raises(ApplicationError) as refused:
        attachments_prepare(files=files)
    assert refused.value.field == "attachments"


def test_size_limit_comes_from_the_setting(settings):
    settings.CAREFRONT_MAX_ATTACHMENT_BYTES = len(PDF)
    assert attachments_prepare(files=[SimpleUploadedFile("ok.pdf", PDF)])[0].content_type == "application/pdf"
    with pytest.raises(ApplicationError, match="too large"):
        attachments_prepare(files=[SimpleUploadedFile("big.pdf", PDF + b" ")])
