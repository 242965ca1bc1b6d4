"""Checks an uploaded file before openpyxl opens it (DESIGN.md "Secure by default", TOOLCHAIN.md).

openpyxl defends against XML bombs only through defusedxml, and never against zip bombs. Python's zipfile
never inflates a member past its declared size (it truncates, then fails the CRC check), so checking the
declared sizes and ratios in the central directory bounds what openpyxl can ever read.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

MAX_COMPRESSION_RATIO = 100
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # .xls / encrypted Office files
_MB = 1024 * 1024


class UnsafeWorkbook(Exception):
    """The file is refused as a whole; .message is Chinese, for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def check_workbook_file(source: Path | str | BinaryIO, *, name: str | None = None, size: int | None = None) -> None:
    """Raise UnsafeWorkbook unless `source` looks like a plain .xlsx that is safe to open."""
    name = name if name is not None else Path(getattr(source, "name", str(source))).name
    if size is None:
        size = Path(source).stat().st_size if isinstance(source, str | Path) else _stream_size(source)
    limit = settings.IMPORT_MAX_UPLOAD_BYTES
    if size > limit:
        raise UnsafeWorkbook(f"文件太大（{size / _MB:.1f} MB），上限为 {limit / _MB:.0f} MB；请拆分后分批导入。")
    if size == 0:
        raise UnsafeWorkbook("文件是空的。")
    _check_extension(name)
    _check_archive(source)


def _stream_size(stream: BinaryIO) -> int:
    position = stream.tell()
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(position)
    return size


def _check_extension(name: str) -> None:
    suffix = Path(name.strip().lower()).suffix
    if suffix == ".xlsx":
        return
    if suffix in {".xlsm", ".xltm", ".xlam"}:
        raise UnsafeWorkbook("不接受启用宏的工作簿（.xlsm）：请在 Excel 中另存为“Excel 工作簿 (*.xlsx)”后再上传。")
    if suffix in {".xls", ".et", ".wps"}:
        raise UnsafeWorkbook("这是旧版 Excel 文件（.xls）：请在 Excel 中另存为“Excel 工作簿 (*.xlsx)”后再上传。")
    raise UnsafeWorkbook(f"只接受 Excel 工作簿（.xlsx），不接受“{suffix or name}”文件。")


def _check_archive(source: Path | str | BinaryIO) -> None:
    head = _read_head(source)
    if head.startswith(_OLE_MAGIC):
        raise UnsafeWorkbook("文件实际上是旧版 Excel（.xls）或加密的工作簿：请另存为不加密的 .xlsx 后再上传。")
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
            names = {member.filename for member in members}
            content_types = _small_member(archive, "[Content_Types].xml") if "[Content_Types].xml" in names else None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError):
        raise UnsafeWorkbook(
            "文件不是有效的 .xlsx 工作簿（无法按 zip 格式读取），可能已损坏或只是改了扩展名。"
        ) from None
    finally:
        if not isinstance(source, str | Path):
            source.seek(0)
    if content_types is None or "xl/workbook.xml" not in names:
        raise UnsafeWorkbook("文件不是 Excel 工作簿：缺少 [Content_Types].xml 或 xl/workbook.xml。")
    if any(name.lower().endswith("vbaproject.bin") for name in names) or b"macroenabled" in content_types.lower():
        raise UnsafeWorkbook("工作簿中含有宏（VBA），出于安全原因不予导入：请另存为“Excel 工作簿 (*.xlsx)”后再上传。")
    total = sum(member.file_size for member in members)
    if total > settings.IMPORT_MAX_UNCOMPRESSED_BYTES:
        raise UnsafeWorkbook(
            f"工作簿解压后过大（{total / _MB:.0f} MB，上限 {settings.IMPORT_MAX_UNCOMPRESSED_BYTES / _MB:.0f} MB），"
            "疑似压缩炸弹，已拒绝。"
        )
    for member in members:
        if member.file_size and member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1):
            raise UnsafeWorkbook(
                f"工作簿中的“{member.filename}”压缩比异常（超过 {MAX_COMPRESSION_RATIO}:1），疑似压缩炸弹，已拒绝。"
            )


def _read_head(source: Path | str | BinaryIO) -> bytes:
    if isinstance(source, str | Path):
        with open(source, "rb") as handle:
            return handle.read(8)
    source.seek(0)
    head = source.read(8)
    source.seek(0)
    return head


def _small_member(archive: zipfile.ZipFile, name: str) -> bytes:
    info = archive.getinfo(name)
    if info.file_size > _MB:
        raise UnsafeWorkbook("工作簿结构异常（[Content_Types].xml 过大），已拒绝。")
    return archive.read(name)
