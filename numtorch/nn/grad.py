"""numtorch.nn.grad: gradients of convolution w.r.t. input and weight."""
