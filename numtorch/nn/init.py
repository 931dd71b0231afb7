"""numtorch.nn.init: in-place weight initialisers (torch.nn.init)."""
