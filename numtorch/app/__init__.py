"""The numtorch app: training, evaluation, sweeps and the course experiments behind ``numtorch ...``.

``config`` (the run configuration), ``data`` (finding and loading datasets), ``training`` (the train loop,
checkpoints, resume, Ctrl-C), ``evaluation``, ``reports`` (plots, report.md/.html), ``sweep`` and ``reproduce``.
"""
