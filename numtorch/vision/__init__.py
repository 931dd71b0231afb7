"""numtorch.vision: torchvision's datasets and transforms for numtorch."""
