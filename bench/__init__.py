"""mock-halo's benchmark harness: every number is a ratio against a bare app measured in the same run.

Run ``python -m bench`` from the repository root; ``python -m bench --help``
lists the options, ``bench/README.md`` explains scenarios and ratios.
"""
