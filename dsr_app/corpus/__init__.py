"""The training-data corpus: manifest files, record validation, ingest into the
store, and the registry of accounts people can prove they own."""
