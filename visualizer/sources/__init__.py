"""Where data comes from: CSV files (and later images, video, the webcam).

The entry points below import pandas only when a file is actually opened: importing it
at start-up costs ~0.4 s and ~40 MB that most sessions never need.
"""


def load_table(path, **options):
    """See csv_source.load_table."""
    from visualizer.sources import csv_source

    return csv_source.load_table(path, **options)


def select_columns(table, x=None, y=None, label=None):
    """See csv_source.select."""
    from visualizer.sources import csv_source

    return csv_source.select(table, x, y, label)
