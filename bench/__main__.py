"""``python -m bench``: the benchmark harness (see ``bench/README.md``)."""

from bench.cli import main

raise SystemExit(main())
