"""Validated rows parked on disk between validation and writing.

The whole workbook is validated before anything is written, so every row must be kept until the end of the
read; holding 100,000 parsed rows in memory costs ~1 KB each. A temporary file of pickled chunks keeps memory
flat, costs a fraction of a second per 100,000 rows, and hands the rows back in the writer's batch size.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator

CHUNK_ROWS = 2000


class RowSpool:
    def __init__(self, chunk_rows: int = CHUNK_ROWS):
        self._file = tempfile.TemporaryFile(prefix="import-rows-")  # noqa: SIM115 — open until close()
        self._chunk: list[tuple] = []
        self._chunk_rows = chunk_rows
        self.count = 0

    def append(self, row: tuple) -> None:
        self._chunk.append(row)
        self.count += 1
        if len(self._chunk) >= self._chunk_rows:
            self._flush()

    def _flush(self) -> None:
        if self._chunk:
            pickle.dump(self._chunk, self._file, protocol=pickle.HIGHEST_PROTOCOL)
            self._chunk = []

    def chunks(self) -> Iterator[list[tuple]]:
        """The rows in the order appended, `chunk_rows` at a time. May be called more than once."""
        self._flush()
        self._file.seek(0)
        while True:
            try:
                chunk = pickle.load(self._file)  # noqa: S301 — our own file, written a moment ago
            except EOFError:
                break
            yield chunk
        self._file.seek(0, 2)

    def __iter__(self) -> Iterator[tuple]:
        for chunk in self.chunks():
            yield from chunk

    def close(self) -> None:
        self._file.close()
