"""The import framework shared by the three imports (technicians, certifications, CE credits):
reading CSV and XLSX files, validating every row set-based, writing in bulk with history.

An import is all or nothing (PRODUCT.md sections 4 and 5):

1. The file is read and its header checked: CSV (UTF-8, with or without a byte-order mark;
   comma, semicolon or tab separated) or XLSX (the first worksheet), at most
   ``IMPORT_MAX_BYTES`` (20 MB unless settings say otherwise) and ``MAX_ROWS`` data rows. The
   type is decided by the content, never by the name. Headers are matched without regard to
   case, spaces or hyphens ("Employee ID" is ``employee_id``); an unknown or repeated column is
   an error, so a misspelt optional column cannot be dropped silently. Blank lines are skipped.
   A cell holds one line: a control character in it (a line break, a tab, NUL; the rule of
   ``careerladder.core.validators``) is an error of its row and column.
2. Every row is validated against the database in a fixed number of queries (sites, tiers,
   the technicians the file names and their current tier assignments are loaded per 10,000
   employee ids, never per row). Any error: nothing is written, and every error is reported
   as ``{row, column, message}`` where row 1 is the header and data starts on row 2.
3. Otherwise the whole file is applied in one transaction with bulk inserts and updates that
   also write the audit history (django-simple-history) with the importing user. Imports are
   serialised (a Postgres advisory lock; SQLite takes its write lock when the transaction
   begins), and validation runs inside that transaction, so two imports at once behave as if
   one ran after the other. After the commit the KPI snapshots of the affected sites and the
   organisation are recomputed in the background, from the month of the earliest date that
   changed (``metrics.services.kpi_snapshots_enqueue``). With the embedded default (no broker)
   Celery runs that in process, so the page answers once the recompute is done.

Limits: what a file may make a worker unpack or hold, so that a small file cannot take a
worker's memory or time (a 445 KB workbook once unpacked to 187 MB of shared strings). Each is
refused with a 400 before the rows are read: a file problem as ``{file: [message]}``, the
header as a row 1 error.

- The upload: at most ``IMPORT_MAX_BYTES`` (20 MB), read once as a stream, never copied
  whole into memory.
- CSV: no line, and no record (a quoted cell may hold line breaks), longer than
  ``MAX_RECORD_CHARS`` (64 K characters; a real row is under 2 K), checked as each line is
  read, so a header of millions of columns is refused after its first 64 K characters.
- XLSX (a zip of XML parts), from the sizes its zip directory declares, before openpyxl opens
  it (``_check_zip``): at most ``MAX_XLSX_PARTS`` (1,000) parts; ``MAX_UNPACKED_BYTES`` (64 MB)
  unpacked in all (100,000 rows of ten columns unpack to about 54 MB as openpyxl writes them,
  less with Excel's shared strings; reading that takes about 25 s); the shared strings,
  which openpyxl holds in memory whole (about 5 bytes of memory per byte of XML), at most
  ``MAX_SHARED_STRINGS_BYTES`` (16 MB); every other part it reads whole (styles, theme,
  workbook) at most ``MAX_XLSX_PART_BYTES`` (4 MB); and no part over 1 MB packed more than
  ``MAX_XLSX_RATIO`` (100) to 1 (real worksheets pack about 10 to 1; a zip bomb about 1,000).
  The worksheet is streamed (openpyxl's read-only mode) and its declared dimensions ignored,
  and at most ``MAX_COLUMNS`` + 1 columns of a row are read.
- Both: at most ``MAX_COLUMNS`` (100) columns in the header (the imports know 11 at most),
  and ``MAX_ROWS`` data rows. The rows themselves are held until the file is validated, as
  an all-or-nothing import must: bounded by ``MAX_ROWS`` and the file size.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import logging
import re
import struct
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Model, TextChoices
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history, get_history_model_for_model

from careerladder.core import versions
from careerladder.core.errors import ApplicationError
from careerladder.core.queue import task
from careerladder.core.validators import (
    DATE_RANGE_MESSAGE,
    EARLIEST_DATE,
    LATEST_DATE,
    control_character,
    describe_character,
    printable,
)
from imports.models import ImportRun
from technicians.models import Technician

logger = logging.getLogger(__name__)


DEFAULT_MAX_BYTES = 20 * 1024 * 1024


MAX_ROWS = 200_000


# What a file may make the reader hold or unpack (see "Limits" in the module docstring).
MAX_COLUMNS = 100


MAX_RECORD_CHARS = 64 * 1024


MAX_UNPACKED_BYTES = 64 * 1024 * 1024


MAX_SHARED_STRINGS_BYTES = 16 * 1024 * 1024


MAX_XLSX_PART_BYTES = 4 * 1024 * 1024


MAX_XLSX_PARTS = 1_000


MAX_XLSX_DIRECTORY_BYTES = 1024 * 1024


MAX_XLSX_RATIO = 100


RATIO_CHECKED_FROM = 1024 * 1024  # small parts (a theme, empty styles) may pack better


ZIP_END_SEARCH = 22 + 65_535  # the end record and the longest zip comment


CELL_CONTROL_WORDS = (
    "a cell holds one line of text. Remove it (a line break typed in the cell, or pasted in) and save the file again."
)


WORKSHEET_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


SHARED_STRINGS_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


ERRORS_LISTED = 1_000


SAMPLE_ROWS = 10


LOOKUP_CHUNK = 10_000  # ids per ``IN (...)`` query (SQLite allows fewer parameters; see _chunks)


INSERT_BATCH = 2_000  # rows per statement of the ORM's bulk operations (SQLite)


UPDATE_BATCH = 500


# Any constant identifies the import lock; every import (technicians, certifications, CE
# credits) takes the same one, so they also never interleave with each other.
IMPORT_LOCK_KEY = 7_164_032_001


XLSX_SIGNATURE = b"PK\x03\x04"


OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls


FORMATS_IN_WORDS = "a CSV file (UTF-8) or an Excel workbook (.xlsx)"


# Files people upload by mistake, recognised by their first bytes.
OTHER_SIGNATURES = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"{\\rtf", "an RTF document"),
)


def max_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


class ImportFileError(ApplicationError):
    """The file as a whole cannot be read (type, size, encoding): reported on the ``file`` field."""

    def __init__(self, message: str):
        super().__init__(message, field="file")


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportResult:
    """What an import did, or would do (``dry_run``), or why it was refused (``errors``)."""

    kind: str
    dry_run: bool
    file_name: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    tier_changes: int = 0
    separations: int = 0
    errors: list[RowError] = field(default_factory=list)
    # change kind -> the first rows of that kind, for the page's "what would change" lists
    samples: dict[str, list[dict]] = field(default_factory=dict)
    run: ImportRun | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "tier_changes": self.tier_changes,
            "separations": self.separations,
        }

    @property
    def errors_listed(self) -> list[RowError]:
        return self.errors[:ERRORS_LISTED]

    @property
    def errors_not_listed(self) -> int:
        return max(0, len(self.errors) - ERRORS_LISTED)

    def error_payload(self) -> dict:
        """The 400 answer: every error up to ``ERRORS_LISTED``, and how many more there are."""
        payload = {
            "errors": [e.as_dict() for e in self.errors_listed],
            "error_count": len(self.errors),
            "detail": f"Nothing was imported: {_plural(len(self.errors), 'error')} in the file.",
        }
        if self.errors_not_listed:
            payload["detail"] += (
                f" The first {ERRORS_LISTED:,} are listed; {self.errors_not_listed:,} more are not. "
                "Fix these and check the file again."
            )
        return payload

    def sample(self, kind: str, row: Callable[[], dict]) -> None:
        """Keep the first ``SAMPLE_ROWS`` rows of a kind of change (``row`` builds one)."""
        rows = self.samples.setdefault(kind, [])
        if len(rows) < SAMPLE_ROWS:
            rows.append(row())


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def shorten(raw: str, limit: int = 60) -> str:
    return raw if len(raw) <= limit else raw[: limit - 1] + "…"


@dataclass(frozen=True)
class Columns:
    """The columns of one kind of import, in the order of its template file."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    template: tuple[str, ...] = ()

    @property
    def known(self) -> tuple[str, ...]:
        return self.required + self.optional

    def template_header(self) -> tuple[str, ...]:
        return self.template or self.known


@dataclass
class Table:
    file_name: str
    columns: tuple[str, ...]  # the (normalised) columns the file has
    rows: list[tuple[int, dict[str, str]]]  # (row number, column -> text)

    def has(self, column: str) -> bool:
        return column in self.columns


def normalise_header(raw: str) -> str:
    """``" Employee ID"`` -> ``employee_id``."""
    return re.sub(r"[\s\-]+", "_", (raw or "").replace("\ufeff", "").strip().lower())


def read_upload(upload, *, columns: Columns) -> tuple[Table, list[RowError]]:
    """Read an uploaded CSV or XLSX file; returns the table and the header's errors (row 1).

    The upload is read once, as a stream: a CSV through a text wrapper, line by line; an XLSX
    by openpyxl in read-only mode, after its zip directory has been checked (``_check_zip``).
    Raises ``ImportFileError`` when the file as a whole is unusable."""
    name = getattr(upload, "name", "") or ""
    raw = getattr(upload, "file", None) or upload
    limit = max_bytes()
    size = _upload_size(upload, raw)
    if size is not None and size > limit:
        raise ImportFileError(
            f"The file is {size / 1048576:.1f} MB; the limit is {limit / 1048576:.0f} MB. Split it into smaller files."
        )
    raw.seek(0)
    head = raw.read(8192)
    raw.seek(0)
    if not head.strip():
        raise ImportFileError("The file is empty.")
    for signature, label in OTHER_SIGNATURES:
        if head.startswith(signature):
            raise ImportFileError(f"This is {label}, whatever its name. Upload {FORMATS_IN_WORDS}.")
    if head.startswith(XLSX_SIGNATURE):
        raw_rows = _xlsx_rows(raw)
    elif head.startswith(OLE_SIGNATURE):
        raise ImportFileError("This is an old Excel workbook (.xls): save it as .xlsx or as CSV UTF-8 and upload that.")
    else:
        if b"\x00" in head:
            raise ImportFileError(f"This file is not text. Upload {FORMATS_IN_WORDS}.")
        raw_rows = _csv_rows(raw)
    return _table(raw_rows, columns=columns, file_name=name[:200])


def _upload_size(upload, raw) -> int | None:
    size = getattr(upload, "size", None)
    if size is None and hasattr(raw, "seek"):
        raw.seek(0, io.SEEK_END)
        size = raw.tell()
    return size


def _not_utf8(raw) -> ImportFileError:
    """The message for a file that is not UTF-8, naming its first bad byte (counted from 1)."""
    raw.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    offset = 0
    while chunk := raw.read(1 << 16):
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            offset += exc.start - pending
            break
        offset += len(chunk)
    return ImportFileError(
        f"The file is not UTF-8 text (byte {offset + 1:,} is not). In Excel choose "
        "“Save as: CSV UTF-8”, or upload the .xlsx workbook itself."
    )


def _csv_rows(raw) -> Iterator[list[str]]:
    """The records of a CSV file, read through a text wrapper one line at a time: no line or
    record (a quoted cell may hold line breaks) may be longer than ``MAX_RECORD_CHARS``, so
    that neither a huge header nor one endless line is ever held whole."""
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    record_chars = 0
    line_number = 0

    def lines() -> Iterator[str]:
        nonlocal record_chars, line_number
        while line := text.readline(MAX_RECORD_CHARS + 1):
            line_number += 1
            record_chars += len(line)
            if record_chars > MAX_RECORD_CHARS:
                raise ImportFileError(
                    f"Line {line_number:,} of the file is longer than {MAX_RECORD_CHARS:,} characters: "
                    f"this is not an import file. Upload {FORMATS_IN_WORDS}."
                )
            yield line

    def rows() -> Iterator[list[str]]:
        nonlocal record_chars
        try:
            source = lines()
            first = next(source, "")
            delimiter = max((",", ";", "\t"), key=first.count)
            reader = csv.reader(itertools.chain([first], source), delimiter=delimiter)
            for values in reader:
                record_chars = 0
                yield [v.strip() for v in values]
        except UnicodeDecodeError:
            raise _not_utf8(raw) from None
        except csv.Error as exc:
            raise ImportFileError(f"The CSV file cannot be read at line {line_number:,}: {exc}.") from None
        finally:
            text.detach()  # the upload stays open for its owner

    return rows()


def _cell_text(value: Any) -> str:
    """An XLSX cell as the text a CSV would hold: dates as YYYY-MM-DD, 12345.0 as 12345."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0, 0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _zip_directory(raw) -> tuple[int, int] | None:
    """(entries, bytes) of a zip file's central directory, from its end record, before
    ``zipfile`` reads the directory itself; ``None`` when there is no end record."""
    raw.seek(0, io.SEEK_END)
    end = raw.tell()
    raw.seek(max(0, end - ZIP_END_SEARCH))
    tail = raw.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return None
    entries, directory_bytes = struct.unpack("<HI", tail[at + 10 : at + 16])
    return entries, directory_bytes


def _part_types(archive: zipfile.ZipFile) -> dict[str, set[str]]:
    """Each part's content types as ``[Content_Types].xml`` declares them (openpyxl finds the
    shared strings by theirs, whatever the part is called). Parsed with openpyxl's own XML
    parser, which reads this part anyway, once its size is known to be small."""
    from openpyxl.xml.functions import fromstring

    info = archive.getinfo("[Content_Types].xml")
    if info.file_size > MAX_XLSX_PART_BYTES:
        raise ImportFileError(_part_too_big("[Content_Types].xml", info.file_size, MAX_XLSX_PART_BYTES))
    types: dict[str, set[str]] = {}
    try:
        for override in fromstring(archive.read(info)):
            if override.tag.endswith("}Override"):
                part = (override.get("PartName") or "").lstrip("/")
                types.setdefault(part, set()).add(override.get("ContentType") or "")
    except Exception:  # a damaged part: XML errors of whichever parser openpyxl uses, bad CRC
        raise ImportFileError("The Excel workbook cannot be read; open it in Excel and save it again.") from None
    return types


def _part_too_big(part: str, size: int, limit: int) -> str:
    return (
        f"The workbook's part {shorten(part, 40)} unpacks to {size / 1048576:,.1f} MB; at most "
        f"{limit / 1048576:g} MB of it may be read. This is not an import file: save the worksheet "
        "as CSV UTF-8 and upload that."
    )


def _check_zip(raw) -> None:
    """Refuse an XLSX whose zip directory declares more than an import may unpack, before
    anything is decompressed and before openpyxl sees it (Python's ``zipfile``, which openpyxl
    uses, never unpacks more of a member than it declares; one that lies fails its CRC check).

    The limits (module constants): the directory itself (``MAX_XLSX_PARTS``), the whole
    unpacked size (``MAX_UNPACKED_BYTES``), the shared strings (``MAX_SHARED_STRINGS_BYTES``)
    and every other part openpyxl reads whole (``MAX_XLSX_PART_BYTES``; only the worksheets
    are streamed), and the packing ratio of every large part (``MAX_XLSX_RATIO``)."""
    directory = _zip_directory(raw)
    if directory is not None and (directory[0] > MAX_XLSX_PARTS or directory[1] > MAX_XLSX_DIRECTORY_BYTES):
        raise ImportFileError(f"The workbook has more than {MAX_XLSX_PARTS:,} parts; this is not an import file.")
    try:
        raw.seek(0)
        with zipfile.ZipFile(raw) as archive:
            members = archive.infolist()
            names = {member.filename for member in members}
            if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
                raise ImportFileError(f"This zip archive is not an Excel workbook. Upload {FORMATS_IN_WORDS}.")
            if len(members) > MAX_XLSX_PARTS:
                raise ImportFileError(
                    f"The workbook has more than {MAX_XLSX_PARTS:,} parts; this is not an import file."
                )
            unpacked = sum(member.file_size for member in members)
            if unpacked > MAX_UNPACKED_BYTES:
                raise ImportFileError(
                    f"The workbook unpacks to {unpacked / 1048576:,.0f} MB; the limit is "
                    f"{MAX_UNPACKED_BYTES / 1048576:.0f} MB. Split it into smaller files."
                )
            types = _part_types(archive)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise ImportFileError(
            f"The file looks like a zip archive but cannot be opened. Upload {FORMATS_IN_WORDS}."
        ) from None
    for member in members:
        declared = types.get(member.filename, set())
        # The content types come from the file itself: a larger limit is given only where
        # openpyxl would use the part that way. It streams worksheets, which Excel keeps under
        # xl/worksheets/, and reads the styles, the workbook, its relations and themes whole by
        # name whatever they are declared as.
        read_whole_by_name = member.filename in ("xl/styles.xml", "xl/workbook.xml") or member.filename.startswith(
            ("xl/theme/", "xl/_rels/", "_rels/", "docProps/")
        )
        if declared == {WORKSHEET_CONTENT_TYPE} and member.filename.startswith("xl/worksheets/"):
            limit = MAX_UNPACKED_BYTES
        elif SHARED_STRINGS_CONTENT_TYPE in declared and not read_whole_by_name:
            limit = MAX_SHARED_STRINGS_BYTES
        else:
            limit = MAX_XLSX_PART_BYTES
        if member.file_size > limit:
            raise ImportFileError(_part_too_big(member.filename, member.file_size, limit))
        if member.file_size > RATIO_CHECKED_FROM and member.file_size > MAX_XLSX_RATIO * max(member.compress_size, 1):
            raise ImportFileError(
                f"The workbook's part {shorten(member.filename, 40)} unpacks to "
                f"{member.file_size / max(member.compress_size, 1):,.0f} times its packed size; a real workbook "
                f"packs at most about {MAX_XLSX_RATIO} to 1. This is not an import file."
            )


def _xlsx_rows(raw) -> Iterator[list[str]]:
    _check_zip(raw)
    import openpyxl

    try:
        raw.seek(0)
        workbook = openpyxl.load_workbook(raw, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of error on a damaged workbook
        raise ImportFileError("The Excel workbook cannot be read; open it in Excel and save it again.") from None
    if not workbook.worksheets:
        raise ImportFileError("The Excel workbook has no worksheet.")
    sheet = workbook.worksheets[0]
    # The sheet's declared dimensions (up to A1:XFD1048576) would pad every row to them.
    sheet.reset_dimensions()

    def rows() -> Iterator[list[str]]:
        try:
            # One column past the widest header read, so that a cell beyond it is still seen.
            for values in sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True):
                yield [_cell_text(v) for v in values] if any(v is not None for v in values) else []
        except ImportFileError:
            raise
        except Exception:  # a damaged sheet part shows only while reading
            raise ImportFileError("The Excel workbook cannot be read; open it in Excel and save it again.") from None
        finally:
            workbook.close()

    return rows()


def _table(raw_rows: Iterator[list[str]], *, columns: Columns, file_name: str) -> tuple[Table, list[RowError]]:
    header = next(raw_rows, None)
    if header is None:
        raise ImportFileError("The file is empty.")
    if not any(header):
        raise ImportFileError("Row 1 is empty: the first row must name the columns.")
    width = max(index + 1 for index, raw in enumerate(header) if raw)
    if width > MAX_COLUMNS:
        return Table(file_name, (), []), [
            RowError(
                1,
                f"column {MAX_COLUMNS + 1}",
                f"Row 1 names more than {MAX_COLUMNS} columns; an import file has at most {MAX_COLUMNS}. "
                f"The columns are: {', '.join(columns.known)}.",
            )
        ]
    errors: list[RowError] = []
    known = set(columns.known)
    positions: list[tuple[int, str]] = []
    seen: set[str] = set()
    for index, raw in enumerate(header):
        name = normalise_header(raw)
        if not name:
            continue
        if name not in known:
            label = shorten(printable(raw))
            errors.append(RowError(1, label, f"Unknown column '{label}'; the columns are: {', '.join(columns.known)}."))
        elif name in seen:
            errors.append(RowError(1, name, f"The column '{name}' appears more than once."))
        else:
            seen.add(name)
            positions.append((index, name))
    for name in columns.required:
        if name not in seen:
            errors.append(RowError(1, name, f"The required column '{name}' is missing."))
    if errors:
        return Table(file_name, tuple(seen), []), errors
    unnamed = {i for i, raw in enumerate(header) if not normalise_header(raw)}
    rows: list[tuple[int, dict[str, str]]] = []
    for number, values in enumerate(raw_rows, start=2):
        if not any(values):
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportFileError(f"The file has more than {MAX_ROWS:,} rows. Split it into smaller files.")
        for index in unnamed:
            if index < len(values) and values[index]:
                errors.append(
                    RowError(number, f"column {index + 1}", "This cell has a value but its column has no header.")
                )
        for index in range(len(header), len(values)):
            if values[index]:
                errors.append(RowError(number, f"column {index + 1}", "This cell is beyond the last named column."))
                break
        cells = {name: (values[i] if i < len(values) else "") for i, name in positions}
        for name, value in cells.items():
            char = control_character(value)
            if char is not None:
                errors.append(
                    RowError(
                        number,
                        name,
                        f"{name} holds a control character, {describe_character(char)}: {CELL_CONTROL_WORDS}",
                    )
                )
                cells[name] = printable(value)
        rows.append((number, cells))
    return Table(file_name, tuple(name for _, name in positions), rows), errors


def template_csv(columns: Columns) -> str:
    """The header row of an import file, as CSV."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(columns.template_header())
    return out.getvalue()


class RowReader:
    """Typed values of one row; each problem is added to ``errors`` as a ``RowError``."""

    def __init__(self, row: int, values: dict[str, str], errors: list[RowError]):
        self.row = row
        self.values = values
        self.errors = errors
        self.failed = False

    def error(self, column: str, message: str) -> None:
        self.failed = True
        self.errors.append(RowError(self.row, column, message))

    def raw(self, column: str) -> str:
        return self.values.get(column, "")

    def text(
        self,
        column: str,
        *,
        required: bool = False,
        max_length: int | None = None,
        validator: Callable[[str], None] | None = None,
    ) -> str:
        """The cell's text, at most ``max_length`` characters, checked with ``validator``
        (a Django validator such as ``validate_email``)."""
        value = self.raw(column)
        if not value:
            if required:
                self.error(column, f"{column} is empty; every row needs one.")
            return ""
        if max_length is not None and len(value) > max_length:
            self.error(
                column,
                f"{column} '{shorten(value)}' is too long: at most {max_length} characters (it has {len(value)}).",
            )
            return ""
        if validator is not None:
            try:
                validator(value)
            except ValidationError as exc:
                self.error(column, f"{column} '{shorten(value)}' is not valid: {' '.join(exc.messages)}")
                return ""
        return value

    def date(self, column: str, *, required: bool = False, not_after: dt.date | None = None) -> dt.date | None:
        value = self.raw(column)
        if not value:
            if required:
                self.error(column, f"{column} is empty; every row needs one.")
            return None
        day = None
        if len(value) == 10 and value[4] == "-" and value[7] == "-":
            try:
                day = dt.date.fromisoformat(value)
            except ValueError:
                day = None
        if day is None:
            self.error(column, f"{column} '{shorten(value)}' is not a date; write it as YYYY-MM-DD.")
            return None
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            self.error(column, f"{column} {value} is out of range: {DATE_RANGE_MESSAGE}")
            return None
        if not_after is not None and day > not_after:
            self.error(column, f"{column} {value} is in the future.")
            return None
        return day

    def choice(self, column: str, choices: type[TextChoices]) -> str:
        """A value of ``choices``, given as its value or its label in any case."""
        value = self.raw(column)
        if not value:
            return ""
        wanted = value.lower()
        for choice in choices:
            if wanted == choice.value.lower() or wanted == str(choice.label).lower():
                return choice.value
        self.error(column, f"{column} '{shorten(value)}' is not one of {', '.join(c.value for c in choices)}.")
        return ""


# Addresses of the usual shape pass this without Django's validator, which is slow at 100,000
# rows; anything else goes to the validator, which decides. The pattern accepts a subset of
# what the validator accepts (dot-atom local part; letter-digit-hyphen labels, a letter TLD).
PLAIN_EMAIL = re.compile(
    r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


def check_email(value: str) -> None:
    if not PLAIN_EMAIL.fullmatch(value):
        validate_email(value)


def max_length(model: type[Model], name: str) -> int | None:
    return model._meta.get_field(name).max_length


def validation_messages(exc: ValidationError) -> Iterable[tuple[str, str]]:
    """(field, message) pairs of a service's ``ValidationError``."""
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            for message in messages:
                yield name, message
    else:
        for message in exc.messages:
            yield "", message


def _chunks(values: list, size: int = LOOKUP_CHUNK) -> Iterator[list]:
    limit = connection.features.max_query_params
    if limit:
        size = min(size, limit - 50)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def load_in(queryset, field_name: str, values: Iterable, *, for_update: bool = False) -> list:
    """Rows of ``queryset`` whose ``field_name`` is in ``values``, in chunks of ``LOOKUP_CHUNK``
    (one query per chunk, never one per value)."""
    found: list = []
    if for_update:
        queryset = queryset.select_for_update()
    for chunk in _chunks(sorted(set(values))):
        found.extend(queryset.filter(**{f"{field_name}__in": chunk}))
    return found


def attnames(model: type[Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


def technician_records(employee_ids: Iterable[str], *, fields=None, for_update: bool = False) -> dict[str, dict]:
    """employee_id -> the technician's row as a dict (every column unless ``fields``)."""
    queryset = Technician.objects.order_by().values(*(fields or attnames(Technician)))
    return {r["employee_id"]: r for r in load_in(queryset, "employee_id", employee_ids, for_update=for_update)}


class BulkWriter:
    """Inserts and updates many rows of a model together with their history rows, in the shape
    django-simple-history writes them (``+`` created, ``~`` changed; the importing user, the
    moment and a reason), so the audit trail shows the import like any other change.

    Rows are dicts of column values (``attname`` -> value); an inserted row gets its ``id``.
    On Postgres the rows go through ``COPY`` (ids taken from the table's sequence beforehand;
    updates copied into a temporary table, then one ``UPDATE … FROM`` it), because building
    100,000 model instances and compiling them into SQL takes far longer than the database
    needs to store them. Elsewhere (SQLite, the embedded default) the ORM's bulk operations of
    ``simple_history.utils`` do the same work in batches.
    """

    def __init__(self, *, user, reason: str, now: dt.datetime | None = None):
        self.user = user
        self.reason = reason
        self.now = now or timezone.now()
        self.fast = connection.vendor == "postgresql"
        self.staged = 0  # temporary tables made so far (each gets its own name)

    # -- the interface --------------------------------------------------------------------------

    def insert(self, model: type[Model], rows: list[dict]) -> None:
        if not rows:
            return
        fields = model._meta.concrete_fields
        for row in rows:
            for f in fields:
                if f.attname in ("created_at", "updated_at"):
                    row[f.attname] = self.now
                elif f.attname not in row and not f.primary_key:
                    row[f.attname] = f.get_default()
        if self.fast:
            self._pg_insert(model, rows)
            staging = self._pg_stage(model, rows, [])
            self._pg_history(model, staging, "+")
            self._pg_drop(staging)
        else:
            objs = [model(**row) for row in rows]
            bulk_create_with_history(objs, model, batch_size=INSERT_BATCH, **self._history_kwargs())
            for row, obj in zip(rows, objs, strict=True):
                row[model._meta.pk.attname] = obj.pk

    def update(self, model: type[Model], rows: list[dict], fields: list[str]) -> None:
        """Write ``fields`` (attnames) of ``rows``; the history row keeps every column, so
        ``rows`` are whole rows."""
        if not rows:
            return
        for row in rows:
            row["updated_at"] = self.now
        fields = [*fields, "updated_at"]
        if self.fast:
            staging = self._pg_stage(model, rows, fields)
            qn = connection.ops.quote_name
            pk = qn(model._meta.pk.column)
            columns = [qn(model._meta.get_field(name).column) for name in fields]
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {qn(model._meta.db_table)} AS t SET {', '.join(f'{c} = v.{c}' for c in columns)} "  # noqa: S608 - names from the model
                    f"FROM {staging} AS v WHERE t.{pk} = v.{pk}"
                )
            self._pg_history(model, staging, "~")
            self._pg_drop(staging)
        else:
            objs = [model(**row) for row in rows]
            names = [model._meta.get_field(name).name for name in fields]
            bulk_update_with_history(objs, model, names, batch_size=UPDATE_BATCH, **self._history_kwargs())

    # -- the two implementations -------------------------------------------------------------------

    def _history_kwargs(self) -> dict:
        return {"default_user": self.user, "default_change_reason": self.reason, "default_date": self.now}

    @staticmethod
    def _copy(sql: str, rows: Iterable[tuple]) -> None:
        """``COPY … FROM STDIN`` on the connection's own cursor (so inside the transaction). The
        statement is logged like any other when queries are being captured."""
        started = time.monotonic()
        # The driver's cursor, wrapped so that its errors are Django's (DatabaseError …).
        with connection.cursor() as cursor, connection.wrap_database_errors:
            with cursor.cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
        if connection.queries_logged:
            connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})

    def _pg_insert(self, model: type[Model], rows: list[dict]) -> None:
        """Take ids from the table's sequence, then ``COPY`` the rows in."""
        qn = connection.ops.quote_name
        table = model._meta.db_table
        pk = model._meta.pk
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk.column, len(rows)],
            )
            for row, (new_id,) in zip(rows, cursor.fetchall(), strict=True):
                row[pk.attname] = new_id
        fields = model._meta.concrete_fields
        names = [f.attname for f in fields]
        columns = ", ".join(qn(f.column) for f in fields)
        self._copy(f"COPY {qn(table)} ({columns}) FROM STDIN", ([row[n] for n in names] for row in rows))

    def _pg_stage(self, model: type[Model], rows: list[dict], names: list[str]) -> str:
        """A temporary table of the rows' ids (and the columns ``names``), dropped at commit."""
        qn = connection.ops.quote_name
        fields = [model._meta.pk] + [model._meta.get_field(name) for name in names]
        self.staged += 1
        staging = qn(f"import_{self.staged}_{model._meta.db_table}")
        definitions = ", ".join(f"{qn(f.column)} {f.db_type(connection)}" for f in fields)
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMPORARY TABLE {staging} ({definitions}) ON COMMIT DROP")
        attnames_ = [f.attname for f in fields]
        self._copy(
            f"COPY {staging} ({', '.join(qn(f.column) for f in fields)}) FROM STDIN",
            ([row[n] for n in attnames_] for row in rows),
        )
        return staging

    @staticmethod
    def _pg_drop(staging: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {staging}")

    def _pg_history(self, model: type[Model], staging: str, history_type: str) -> None:
        """The history rows, copied by the database from the rows just written."""
        qn = connection.ops.quote_name
        history_model = get_history_model_for_model(model)
        extra = {
            "history_date": self.now,
            "history_change_reason": self.reason,
            "history_type": history_type,
            "history_user_id": self.user.pk if self.user else None,
        }
        tracked = [f for f in history_model._meta.concrete_fields if f.attname not in extra and not f.primary_key]
        source = {f.attname: f.column for f in model._meta.concrete_fields}
        pk = qn(model._meta.pk.column)
        columns = [qn(f.column) for f in tracked] + [qn(history_model._meta.get_field(n).column) for n in extra]
        selected = [f"t.{qn(source[f.attname])}" for f in tracked] + ["%s"] * len(extra)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {qn(history_model._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608 - names from the models
                f"SELECT {', '.join(selected)} FROM {qn(model._meta.db_table)} AS t JOIN {staging} AS v ON v.{pk} = t.{pk}",
                list(extra.values()),
            )


def import_lock() -> None:
    """Serialise imports (held until the transaction ends). On SQLite the transaction already
    holds the database's write lock from its start (``transaction_mode = IMMEDIATE``)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])


def history_reason(file_name: str) -> str:
    return f"HR import: {file_name}"[:100] if file_name else "HR import"


def after_commit(description: str, action: Callable[[], Any]) -> None:
    """Run ``action`` once the import has committed. A failure there (the broker is down; an
    in-process task failed) is logged, never turned into an error for an import that is done:
    the nightly jobs catch up."""

    def run() -> None:
        try:
            action()
        except Exception:
            logger.exception("After an import, %s failed; the nightly job will catch up.", description)

    transaction.on_commit(run)


def kpi_recompute_after_import(*, earliest: dt.date | None, site_ids: Iterable[int], today: dt.date) -> None:
    """Queue the KPI snapshots of ``site_ids`` and the organisation (scope ``None``) for every
    month from ``earliest``'s to today's, once the import commits."""
    if earliest is None:
        return
    from metrics import kpis
    from metrics import services as metric_services

    months = kpis.months_from_to(min(earliest, today), today)
    scopes = [None, *sorted(set(site_ids))]
    after_commit("the KPI recompute", lambda: metric_services.kpi_snapshots_enqueue(months=months, site_ids=scopes))


def incentives_after_import(technician_ids: Iterable[int]) -> None:
    ids = sorted(set(technician_ids))
    if not ids:
        return

    after_commit("the incentive check", lambda: task("incentives.tasks.incentive_triggers_for").delay(ids))


def record_run(result: ImportResult, *, user) -> None:
    counts = result.counts()
    counts.pop("dry_run")
    result.run = ImportRun.objects.create(kind=result.kind, file_name=result.file_name, imported_by=user, **counts)


def run_import(
    *,
    upload,
    columns: Columns,
    kind: str,
    dry_run: bool,
    plan: Callable[[Table, ImportResult], Callable[[], None] | None],
) -> ImportResult:
    """Read, then validate and plan inside one transaction (after the import lock), then apply
    the plan unless there are errors or it is a dry run.

    ``plan(table, result)`` fills ``result`` (counts, samples, errors) and returns the
    function that writes the changes."""
    table, header_errors = read_upload(upload, columns=columns)
    result = ImportResult(kind=kind, dry_run=dry_run, file_name=table.file_name, rows=len(table.rows))
    result.errors.extend(header_errors)
    if any(e.row == 1 for e in header_errors):
        return result
    with transaction.atomic():
        if not dry_run:
            import_lock()
        apply = plan(table, result)
        result.errors.sort(key=lambda e: e.row)
        if result.errors or dry_run or apply is None:
            return result
        apply()
        # Bulk writes send no model signals: the cached reads start again (core/versions.py).
        versions.touch_all()
    return result


def import_run_get(pk: int) -> ImportRun | None:
    """One applied import (the page's "done" summary), or None."""
    return ImportRun.objects.select_related("imported_by").filter(pk=pk).first()


def recent_imports(*, limit: int = 10):
    """The latest applied imports, for the imports page."""
    return ImportRun.objects.select_related("imported_by").order_by("-created_at", "-id")[:limit]
