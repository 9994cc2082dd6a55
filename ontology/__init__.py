"""Concept scheme for tagging: WordNet 3.0 nouns above the classifier and detector classes.

Pure Python (no Django): ``ontology.wordnet`` reads WordNet's noun database to
build the scheme, ``ontology.scheme`` builds, stores, loads and exports it.  At
run time only the committed ``ontology/data/concepts.json.gz`` is read.
"""
