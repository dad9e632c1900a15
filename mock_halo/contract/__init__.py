"""The contract suite's machinery: targets, the runner, drift snapshots.

The tests themselves live in ``contracts/`` (shipped in the wheel under
``mock_halo/_data/contracts``); ``mock-halo contract`` runs them.
"""
