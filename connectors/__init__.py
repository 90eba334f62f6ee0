"""The connector SDK (:mod:`connectors.api`) and the bundled source and sink connectors."""
