"""Progress bars for long CLI runs (imports, reindexing): counts and rate on a terminal only."""

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click


def on_terminal() -> bool:
    """Whether stdout is a terminal (cron, pipes and tests get no bar at all)."""
    return sys.stdout.isatty()


def _amount(value: float, unit: str) -> str:
    if unit == "MB":
        return f"{value / 1e6:,.1f}"
    return f"{int(value):,}"


@contextmanager
def progress_bar(length: int, label: str, unit: str) -> Iterator[Callable[[int], None]]:
    """Yield ``update(done)``: a click bar showing "done/total unit, rate unit/s" and the ETA.

    Off a terminal the bar is hidden entirely (click would still print its label once).
    ``unit`` is "MB" for byte counts (shown in megabytes) or a noun such as "posts".
    """
    started = time.monotonic()
    position = [0]  # read by info(), which click calls while rendering

    def info(_item) -> str:
        done = position[0]
        rate = done / max(time.monotonic() - started, 1e-6)
        return (
            f"{_amount(done, unit)}/{_amount(length, unit)} {unit}, {_amount(rate, unit)} {unit}/s"
        )

    with click.progressbar(
        length=max(length, 1),
        label=label,
        hidden=not on_terminal(),
        show_eta=True,
        show_percent=True,
        item_show_func=info,
    ) as bar:

        def update(done: int) -> None:
            if done > position[0]:
                step, position[0] = done - position[0], done
                bar.update(step)

        yield update
