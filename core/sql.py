"""SQL shapes shared by the permission gate (``assets.permissions``) and search (``search.rights``)."""


def probed_exists(select_sql):
    """``EXISTS (select_sql)`` that Postgres checks row by row, by an index probe, never by hashing every match first.

    Under an OR, or with many outer rows expected, Postgres may run an EXISTS as a hashed subplan: it reads
    every matching row before the first outer row. For a page read from an index under LIMIT it expects to
    check the whole table and so always hashed: ~360,000 collection members read for a viewer's page of 48
    at 1M assets, ~200 ms of rights rows for facets over a sample. An OFFSET keeps the subquery as written
    (the planner's ``simplify_EXISTS_query`` gives up on one), so only the rows read are checked
    (docs/benchmarks.md, "Library-wide pages")."""
    return f"EXISTS ({select_sql} OFFSET 0)"
