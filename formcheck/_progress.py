"""Progress bars on long loops, shown only when asked for."""

from tqdm.auto import tqdm

__all__ = ["progress"]


def progress(items, enabled, **options):
    """``items`` wrapped in a tqdm bar when ``enabled``, else ``items`` unchanged.

    ``options`` go to tqdm (``unit``, ``desc``, ...).
    """
    if not enabled:
        return items

    return tqdm(items, **options)
