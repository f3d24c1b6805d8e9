import numpy as np
import pytest


@pytest.fixture
def blank_check():
    """A PNG is 'not blank' when it has real structure: many colours and contrast."""
    import cv2

    def check(path, min_size=(0, 0)):
        image = cv2.imread(str(path))
        assert image is not None, f"{path} is not a readable image"
        h, w = image.shape[:2]
        assert w >= min_size[0] and h >= min_size[1], f"{w}×{h} is smaller than {min_size}"
        colours = len(np.unique(image.reshape(-1, 3)[::7], axis=0))
        assert colours > 50 and image.std() > 20, "the image looks blank"
        return image

    return check


@pytest.fixture
def make_window(qtbot):
    """Open the main window on a panel, shown and exposed, closed after the test."""
    from visualizer.main_window import MainWindow

    def make(panel_id, seed=0):
        window = MainWindow(panel_id, seed=seed)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    return make


@pytest.fixture(autouse=True, scope="session")
def _garbage_collected_on_the_ui_thread(qapp):
    """As in the app: Python's cyclic collector runs on the UI thread only, from the start
    (a test that makes no Session would otherwise let it run on a worker)."""
    from visualizer.background import collect_garbage_on_ui_thread

    collect_garbage_on_ui_thread()


@pytest.fixture
def asked(monkeypatch):
    """Answer the column dialog as a user taking the defaults would: the first two numeric
    columns, and the first text column as the label (a test file may answer otherwise)."""
    import visualizer.main_window as mw

    def answer(table, parent):
        label = table.text_columns[0] if table.text_columns else None
        return table.numeric_columns[0], table.numeric_columns[1], label

    monkeypatch.setattr(mw, "ask_columns", answer)
