"""Helpers the window tests share."""


def load(qtbot, window, path) -> bool:
    """Open a file as File ▸ Open data… does, wait for the background read, and say
    whether it was taken."""
    with qtbot.waitSignal(window.data_loaded, timeout=10_000) as done:
        window.open_data(str(path))
    return done.args[0]
