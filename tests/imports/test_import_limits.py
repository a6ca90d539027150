"""What an import file may make a worker unpack or hold (``imports.framework``, "Limits").

A 445 KB workbook whose shared strings unpacked to 187 MB held a worker 120 s at about 1 GB
until it was killed, and a 19.5 MB CSV with 2.5 million header columns took 11 s and 1.2 GB
for its 400. Each file below is small; each is refused with a 400 that says why, nothing is
written, and the zip checks happen before openpyxl is given the file (``load_workbook`` is
replaced by a function that fails the test).
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from imports import framework
from imports.technicians import TECHNICIAN_COLUMNS
from technicians.models import Technician
from tests.imports.conftest import TECHNICIAN_HEADER, csv_bytes, table_contents, tech_row, xlsx_bytes

pytestmark = pytest.mark.django_db

SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
ROWS = [tech_row("N-1", "Nina", "North", "A01", "2024-03-01"), tech_row("N-2", "Omar", "Ortiz", "A01", "2024-03-02")]


@pytest.fixture
def openpyxl_never_opens(monkeypatch):
    import openpyxl

    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl was given a file the zip checks should have refused")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


def rezip(workbook: bytes, *, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    """``workbook`` with some parts replaced or added, packed as tightly as zip allows."""
    replace, add = replace or {}, add or {}
    source = zipfile.ZipFile(io.BytesIO(workbook))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            target.writestr(info.filename, replace.get(info.filename, source.read(info.filename)))
        for name, content in add.items():
            target.writestr(name, content)
    return out.getvalue()


def with_shared_strings(workbook: bytes, shared_strings: bytes) -> bytes:
    """A workbook with a shared strings part of the given content, declared where openpyxl looks."""
    types = zipfile.ZipFile(io.BytesIO(workbook)).read("[Content_Types].xml")
    override = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHARED_STRINGS_TYPE}"/>'.encode()
    return rezip(
        workbook,
        replace={"[Content_Types].xml": types.replace(b"</Types>", override + b"</Types>")},
        add={"xl/sharedStrings.xml": shared_strings},
    )


def shared_strings(count: int) -> bytes:
    head = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    return head + b"<si><t>x</t></si>" * count + b"</sst>"


def refusal(response) -> str:
    assert response.status_code == 400, response.content
    return response.json()["file"][0]


# ---- XLSX ----------------------------------------------------------------------------------


def test_a_zip_bomb_of_shared_strings_is_refused_before_openpyxl_opens_it(post_import, site_a, openpyxl_never_opens):
    bomb = with_shared_strings(xlsx_bytes(TECHNICIAN_HEADER, ROWS), shared_strings(1_200_000))  # 20.4 MB unpacked
    assert len(bomb) < 400_000
    before = table_contents()

    message = refusal(post_import("technicians", bomb, name="technicians.xlsx"))

    assert message.startswith("The workbook's part xl/sharedStrings.xml unpacks to 19.5 MB; at most 16 MB")
    assert table_contents() == before


def test_shared_strings_under_another_name_are_found_by_their_declared_type(post_import, openpyxl_never_opens):
    workbook = xlsx_bytes(TECHNICIAN_HEADER, ROWS)
    types = zipfile.ZipFile(io.BytesIO(workbook)).read("[Content_Types].xml")
    override = f'<Override PartName="/xl/worksheets/strings.xml" ContentType="{SHARED_STRINGS_TYPE}"/>'.encode()
    bomb = rezip(
        workbook,
        replace={"[Content_Types].xml": types.replace(b"</Types>", override + b"</Types>")},
        add={"xl/worksheets/strings.xml": shared_strings(1_200_000)},
    )

    message = refusal(post_import("technicians", bomb, name="technicians.xlsx"))

    assert message.startswith("The workbook's part xl/worksheets/strings.xml unpacks to 19.5 MB; at most 16 MB")


def test_a_part_packed_like_a_zip_bomb_is_refused(post_import, openpyxl_never_opens):
    """2 MB of shared strings is under their limit, but packs about 500 to 1; a real one, 10."""
    bomb = with_shared_strings(xlsx_bytes(TECHNICIAN_HEADER, ROWS), shared_strings(120_000))

    message = refusal(post_import("technicians", bomb, name="technicians.xlsx"))

    assert "times its packed size; a real workbook packs at most about 100 to 1" in message


def test_another_part_read_whole_has_a_smaller_limit(post_import, openpyxl_never_opens):
    workbook = xlsx_bytes(TECHNICIAN_HEADER, ROWS)
    styles = zipfile.ZipFile(io.BytesIO(workbook)).read("xl/styles.xml")
    padded = styles.replace(b"</styleSheet>", b"<!--" + b" " * (5 * 1024 * 1024) + b"--></styleSheet>")

    message = refusal(post_import("technicians", rezip(workbook, replace={"xl/styles.xml": padded}), name="t.xlsx"))

    assert message.startswith("The workbook's part xl/styles.xml unpacks to 5.0 MB; at most 4 MB")


@pytest.mark.parametrize("declared", ["worksheet", "sharedStrings"])
def test_a_part_read_whole_keeps_its_limit_whatever_it_is_declared_as(post_import, openpyxl_never_opens, declared):
    """The file's own [Content_Types].xml cannot give the styles a worksheet's (or the shared
    strings') larger limit: openpyxl reads xl/styles.xml whole by its name."""
    workbook = xlsx_bytes(TECHNICIAN_HEADER, ROWS)
    parts = zipfile.ZipFile(io.BytesIO(workbook))
    styles, types = parts.read("xl/styles.xml"), parts.read("[Content_Types].xml")
    padded = styles.replace(b"</styleSheet>", b"<!--" + b" " * (5 * 1024 * 1024) + b"--></styleSheet>")
    content_type = f"application/vnd.openxmlformats-officedocument.spreadsheetml.{declared}+xml"
    types = re.sub(rb'<Override PartName="/xl/styles.xml" ContentType="[^"]+"/>', b"", types)
    override = f'<Override PartName="/xl/styles.xml" ContentType="{content_type}"/>'.encode()
    bomb = rezip(
        workbook,
        replace={"xl/styles.xml": padded, "[Content_Types].xml": types.replace(b"</Types>", override + b"</Types>")},
    )

    message = refusal(post_import("technicians", bomb, name="t.xlsx"))

    assert message.startswith("The workbook's part xl/styles.xml unpacks to 5.0 MB; at most 4 MB")


def test_a_workbook_that_unpacks_to_more_than_the_limit_is_refused(post_import, monkeypatch, openpyxl_never_opens):
    workbook = xlsx_bytes(TECHNICIAN_HEADER, ROWS)
    unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(workbook)).infolist())
    monkeypatch.setattr(framework, "MAX_UNPACKED_BYTES", unpacked - 1)

    message = refusal(post_import("technicians", workbook, name="technicians.xlsx"))

    assert message.startswith("The workbook unpacks to 0 MB; the limit is 0 MB.")


def test_a_workbook_of_too_many_parts_is_refused(post_import, openpyxl_never_opens):
    parts = {f"xl/media/image{n}.png": b"" for n in range(1_001)}

    message = refusal(post_import("technicians", rezip(xlsx_bytes(TECHNICIAN_HEADER, ROWS), add=parts), name="t.xlsx"))

    assert message == "The workbook has more than 1,000 parts; this is not an import file."


def test_a_header_wider_than_the_limit_is_a_row_one_error(post_import):
    header = [*TECHNICIAN_HEADER, *(f"extra_{n}" for n in range(95))]
    before = table_contents()

    for content, name in ((xlsx_bytes(header, []), "t.xlsx"), (csv_bytes(header, []), "t.csv")):
        response = post_import("technicians", content, name=name)

        assert response.status_code == 400
        assert response.json()["errors"] == [
            {
                "row": 1,
                "column": "column 101",
                "message": "Row 1 names more than 100 columns; an import file has at most 100. The columns are: "
                + ", ".join(TECHNICIAN_COLUMNS.known)
                + ".",
            }
        ]
    assert table_contents() == before


def test_declared_sheet_dimensions_do_not_pad_the_rows(post_import, site_a):
    """A sheet may declare A1:XFD1048576 around two rows: openpyxl would pad each row it reads
    to 16,384 cells (a sheet of many one-cell rows then takes minutes). Rows are read at most
    101 cells wide: the widest header and one more, to see a cell beyond the last column."""
    workbook = xlsx_bytes(TECHNICIAN_HEADER, ROWS)
    sheet = zipfile.ZipFile(io.BytesIO(workbook)).read("xl/worksheets/sheet1.xml")
    start = sheet.index(b"<dimension")
    end = sheet.index(b"/>", start) + 2
    huge = rezip(
        workbook,
        replace={"xl/worksheets/sheet1.xml": sheet[:start] + b'<dimension ref="A1:XFD1048576"/>' + sheet[end:]},
    )

    assert [len(row) for row in framework._xlsx_rows(io.BytesIO(huge))] == [101, 101, 101]
    response = post_import("technicians", huge, name="t.xlsx")
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 2


# ---- CSV -----------------------------------------------------------------------------------


def test_a_header_of_hundreds_of_thousands_of_columns_is_refused_at_its_first_line(post_import):
    """The finding's file had 2.5 million columns; 300,000 show the same, in a 1.2 MB file."""
    content = b",".join(b"c%d" % n for n in range(300_000)) + b"\r\nN-1\r\n"
    before = table_contents()

    message = refusal(post_import("technicians", content, name="wide.csv"))

    assert message.startswith("Line 1 of the file is longer than 65,536 characters: this is not an import file.")
    assert table_contents() == before


def test_an_endless_line_after_the_header_is_refused(post_import, site_a):
    content = csv_bytes(TECHNICIAN_HEADER, ROWS) + b"x" * 200_000

    message = refusal(post_import("technicians", content))

    assert message.startswith("Line 4 of the file is longer than 65,536 characters")


def test_a_record_of_many_lines_counts_as_one(post_import, site_a):
    """A quoted cell may hold line breaks; a record made of many short lines is still bounded."""
    endless = b'N-3,"' + b"line\n" * 20_000 + b'",North,,A01,2024-03-01,,,,\r\n'
    content = csv_bytes(TECHNICIAN_HEADER, ROWS) + endless

    message = refusal(post_import("technicians", content))

    assert "is longer than 65,536 characters" in message
    assert Technician.objects.count() == 0


def test_a_quoted_cell_with_a_line_break_is_a_cell_error_not_a_file_error(post_import, site_a):
    content = csv_bytes(TECHNICIAN_HEADER, [tech_row("N-1", "Ni\nna", "North", "A01", "2024-03-01")])

    response = post_import("technicians", content)

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["row"], error["column"]) == (2, "first_name")
    assert error["message"].startswith("first_name holds a control character, U+000A (a line break)")


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x0b", "\t"])
def test_control_characters_in_a_cell_are_row_errors_and_nothing_is_written(post_import, site_a, char):
    """A NUL byte past the first 8 KB (where the file's type is sniffed) reached Postgres, which
    refuses it: the import answered 503 "database error" instead of naming the cell."""
    filler = [tech_row(f"F-{n:04d}", "Fill", "Er", "A01", "2024-03-01") for n in range(300)]
    bad = tech_row("N-9", "Nina", f"No{char}rth", "A01", "2024-03-01")
    content = csv_bytes(TECHNICIAN_HEADER, [*filler, bad])
    assert content.index(char.encode()) > 8192
    before = table_contents()

    response = post_import("technicians", content)

    assert response.status_code == 400, response.content
    [error] = response.json()["errors"]
    assert (error["row"], error["column"]) == (302, "last_name")
    assert "holds a control character" in error["message"]
    assert table_contents() == before


def test_a_bad_byte_far_into_the_file_is_named_exactly(post_import, site_a):
    rows = [tech_row(f"F-{n:05d}", "Fill", "Er", "A01", "2024-03-01") for n in range(3_000)]
    content = csv_bytes(TECHNICIAN_HEADER, rows)
    position = len(content) - 10
    content = content[:position] + b"\xff" + content[position + 1 :]

    message = refusal(post_import("technicians", content))

    assert message.startswith(f"The file is not UTF-8 text (byte {position + 1:,} is not).")


def test_uploads_kept_on_disk_are_read_as_streams_too(post_import, site_a, settings):
    """Django writes uploads over FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file."""
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0

    for n, (content, name) in enumerate(((csv_bytes, "t.csv"), (xlsx_bytes, "t.xlsx"))):
        rows = [tech_row(f"D{n}-{i}", "Dana", "Disk", "A01", "2024-03-01") for i in range(3)]
        response = post_import("technicians", content(TECHNICIAN_HEADER, rows), name=name)
        assert response.status_code == 200, response.content
        assert response.json()["created"] == 3


def test_the_upload_is_left_open_for_its_owner(site_a, hr_user):
    upload = SimpleUploadedFile("t.csv", csv_bytes(TECHNICIAN_HEADER, ROWS))

    table, errors = framework.read_upload(upload, columns=TECHNICIAN_COLUMNS)

    assert (len(table.rows), errors) == (2, [])
    assert not upload.closed
