"""Qt user interface: tray, popup, settings. Renders core state; never talks HTTP itself."""
