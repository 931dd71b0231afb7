"""numtorch.optim: optimizers and learning-rate schedulers."""
