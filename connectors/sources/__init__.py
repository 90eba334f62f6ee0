"""Source connectors bundled with cdchub."""
