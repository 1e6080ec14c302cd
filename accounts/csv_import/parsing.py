"""Reading a CSV upload: encodings and byte-order marks, binary files, the delimiter, headers,
the size limits; and the normalised copy kept between preview and import. Pure: no database."""

from __future__ import annotations

import codecs
import io
import re

import pandas as pd

from accounts.csv_import.format import (
    COLUMNS,
    CONTACTS,
    KINDS,
    LINE,
    MAX_BYTES,
    MAX_ROWS,
    NUL_MARK,
    Parsed,
)

# Byte-order marks, longest first (UTF-32 LE starts like UTF-16 LE).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
_BINARY_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f]")


# --- reading -------------------------------------------------------------------------------------


def normalise_header(name: str) -> str:
    return "_".join(str(name).strip().lower().replace("-", " ").split())


def _decode(data: bytes) -> str:
    """The file's text: by its byte-order mark (UTF-8, UTF-16 or UTF-32, as Excel's "Unicode text"
    writes), else UTF-8, else Windows-1252 (Excel's "CSV" on Windows)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise ValueError(f"The file starts as {encoding.upper()} but is not valid {encoding.upper()}.") from exc
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError("The file is not UTF-8 text.")


def _looks_binary(text: str) -> bool:
    """More than 5% control characters (other than tab and line ends) near the start: not text. A
    stray NUL in a cell of a text file is the row's problem, reported by line."""
    head = text[:4096]
    return bool(head) and len(_BINARY_CONTROLS.findall(head)) * 20 > len(head)


def _delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    return max((",", ";", "\t"), key=header.count)


def parse_upload(kind: str, data: bytes) -> Parsed:
    """Read an uploaded CSV. Problems with the file as a whole go to ``file_errors``."""
    if kind not in KINDS:
        raise ValueError(f"Unknown import kind {kind!r}")
    empty = Parsed(kind=kind, frame=pd.DataFrame(columns=[LINE]), columns=[])
    if len(data) > MAX_BYTES:
        empty.file_errors.append(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it.")
        return empty
    try:
        text = _decode(data)
    except ValueError as exc:
        text = data[:4096].decode("latin-1")  # only to tell binary from mis-encoded text
        if not _looks_binary(text):
            empty.file_errors.append(f"The file could not be read as CSV: {exc}")
            return empty
    if _looks_binary(text):
        empty.file_errors.append(
            "This is not a CSV text file. Save it as CSV (UTF-8), or as Unicode text with its byte-order mark."
        )
        return empty
    try:
        text = text.replace(NUL_MARK, "\ufffd").replace("\x00", NUL_MARK)
        raw = pd.read_csv(
            io.StringIO(text), header=None, dtype=str, keep_default_na=False, na_filter=False,
            skip_blank_lines=False, sep=_delimiter(text), quotechar='"', engine="c",
        )
    except pd.errors.EmptyDataError:
        empty.file_errors.append("The file is empty.")
        return empty
    except (pd.errors.ParserError, ValueError) as exc:
        empty.file_errors.append(f"The file could not be read as CSV: {str(exc).strip()}")
        return empty
    raw = raw.fillna("").astype(str)
    headers = [normalise_header(h) for h in raw.iloc[0]]
    body = raw.iloc[1:].copy()
    body.columns = range(len(headers))
    # A quoted cell may span lines: each embedded newline pushes the following rows down one line.
    newlines = body.apply(lambda col: col.str.count("\n")).sum(axis=1)
    lines = 2 + pd.Series(range(len(body)), index=body.index) + newlines.cumsum().shift(fill_value=0)
    body = body.apply(lambda col: col.str.strip())
    keep = (body != "").any(axis=1)
    return _shape(kind, headers, body[keep], lines[keep])


def _shape(kind: str, headers: list[str], body: pd.DataFrame, lines: pd.Series) -> Parsed:
    """Name the columns, keep the known ones, and check the header as a whole."""
    known = COLUMNS[kind]
    file_errors: list[str] = []
    duplicated = sorted(h for h, n in pd.Series(headers).value_counts().items() if n > 1 and h)
    if duplicated:
        file_errors.append(f"Columns appear more than once: {', '.join(duplicated)}.")
    columns = [h for h in dict.fromkeys(headers) if h in known]
    ignored = [h for h in dict.fromkeys(headers) if h not in known and h]
    frame = pd.DataFrame({h: body[headers.index(h)].to_numpy() for h in columns}, index=range(len(body)))
    frame.insert(0, LINE, lines.to_numpy().astype(int))
    if "name" not in columns:
        file_errors.append("The file needs a `name` column.")
    if kind == CONTACTS and not {"account_external_id", "account_id"} & set(columns):
        file_errors.append("The file needs an `account_external_id` or an `account_id` column.")
    if not file_errors and frame.empty:
        file_errors.append("The file has a header but no rows.")
    if len(frame) > MAX_ROWS:
        file_errors.append(f"The file has {len(frame)} rows; import at most {MAX_ROWS} at a time.")
    return Parsed(kind=kind, frame=frame, columns=columns, ignored_columns=ignored, file_errors=file_errors)


def to_stored_csv(parsed: Parsed) -> str:
    """The normalised rows (with their original line numbers) as CSV, to keep between preview and import."""
    return parsed.frame[[LINE, *parsed.columns]].to_csv(index=False)


def parse_stored(kind: str, text: str) -> Parsed:
    """Read back what ``to_stored_csv`` wrote."""
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False)
    columns = [c for c in frame.columns if c != LINE]
    frame[LINE] = frame[LINE].astype(int)
    return Parsed(kind=kind, frame=frame.reset_index(drop=True), columns=columns)


# --- validation ----------------------------------------------------------------------------------


