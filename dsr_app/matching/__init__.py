"""Finding a person in the corpus: the matching rules, the per-request search,
and the sweep of whole manifests with its prefilter."""
