"""Progress bars on long loops: shown only when asked for, and only on a terminal (stderr)."""

from tqdm.auto import tqdm

__all__ = ["progress", "manual_bar"]


def progress(items, enabled, **options):
    """``items`` wrapped in a tqdm bar when ``enabled``, else ``items`` unchanged.

    The bar goes to stderr, and only when that is a terminal (or a notebook):
    redirected output stays free of bar frames. ``options`` go to tqdm
    (``unit``, ``desc``, ...).
    """
    if not enabled:
        return items
    return manual_bar(True, iterable=items, **options)


def manual_bar(enabled, **options):
    """A tqdm bar (``update()`` it by hand, or pass ``iterable``), drawn as :func:`progress` says.

    A bar that is not ``enabled`` is a disabled tqdm, so it can be updated and
    closed all the same.
    """
    # disable=None: tqdm draws only on a terminal; its notebook bar always draws
    return tqdm(disable=None if enabled else True, **options)
