"""numtorch's benchmark suite against PyTorch CPU: ``python -m benchmarks.run`` (see benchmarks/README.md)."""
