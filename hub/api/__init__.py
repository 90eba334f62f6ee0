"""REST routers served on the hub's single HTTP port."""
