"""The benchmark suite (``python -m bench``); ``bench.race`` and ``bench.fanout`` also run
on their own (``python -m bench.race``)."""
