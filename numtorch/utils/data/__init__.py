"""numtorch.utils.data: datasets, samplers and DataLoader."""
