"""mock-halo's contract suite: the same tests against the emulator or a real Halo Cloud."""
