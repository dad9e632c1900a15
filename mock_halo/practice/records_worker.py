"""The clinical-records worker process of a large practice build (see :mod:`mock_halo.practice.records`)."""

import sys

from mock_halo.practice.records import serve

if __name__ == "__main__":
    replies = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but replies on the pipe
    serve(sys.stdin.buffer, replies)
