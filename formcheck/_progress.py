"""Progress bars on long loops, shown only when asked for."""

__all__ = ["progress"]


def progress(items, enabled, **options):
    """``items`` wrapped in a tqdm bar when ``enabled``, else ``items`` unchanged.

    ``options`` go to tqdm (``unit``, ``desc``, ...).
    """
    if not enabled:
        return items
    from tqdm.auto import tqdm

    return tqdm(items, **options)
