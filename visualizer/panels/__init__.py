"""One module per panel; visualizer.registry lists them."""
