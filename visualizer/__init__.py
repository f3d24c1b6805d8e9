"""Everything Qt: the window, the player, the panels and the data sources."""
