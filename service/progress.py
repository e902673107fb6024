"""A progress bar for long commands (reindex, purge, trends rebuild) on standard error."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """``contacts [#########.....]  42% 4,200/10,000, 1,850/s`` on one terminal line;
    a line every 10 % when the output is not a terminal (logs). Call it with a new label to
    start another bar below the finished one."""

    WIDTH = 30

    def __init__(self, stream: TextIO | None = None, unit: str = "") -> None:
        self.stream = stream or sys.stderr
        self.unit = f" {unit}" if unit else ""
        self.tty = self.stream.isatty()
        self.label: str | None = None
        self.started = time.monotonic()
        self.last_tenth = -1
        self.drawn = False

    def __call__(self, label: str, done: int, total: int) -> None:
        if label != self.label:
            self.finish()
            self.label, self.started, self.last_tenth = label, time.monotonic(), -1
        self.update(done, total)

    def update(self, done: int, total: int) -> None:
        total = max(total, done, 1)
        share = done / total
        rate = done / max(time.monotonic() - self.started, 1e-6)
        filled = int(share * self.WIDTH)
        label = f"{self.label} " if self.label else ""
        line = (
            f"{label}[{'#' * filled}{'.' * (self.WIDTH - filled)}] {share:4.0%} "
            f"{done:,}/{total:,}{self.unit}, {rate:,.0f}/s"
        )
        if self.tty:
            self.stream.write("\r" + line)
            self.drawn = True
        elif int(share * 10) != self.last_tenth:
            self.last_tenth = int(share * 10)
            self.stream.write(line + "\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False

    close = finish
