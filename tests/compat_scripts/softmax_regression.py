"""Softmax regression from scratch on Fashion-MNIST (d2l style): own softmax, cross-entropy, SGD.

Stated result: after 2 epochs on a 6000-image subset, test accuracy on 2000 images > 0.70.
"""
import argparse

import torch
import torchvision
from torch.utils import data
from torchvision import transforms

parser = argparse.ArgumentParser()
parser.add_argument("--data", default="../data")
parser.add_argument("--epochs", type=int, default=2)
parser.add_argument("--train-size", type=int, default=6000)
parser.add_argument("--test-size", type=int, default=2000)
args = parser.parse_args()

torch.manual_seed(0)
trans = transforms.ToTensor()
mnist_train = torchvision.datasets.FashionMNIST(root=args.data, train=True, transform=trans, download=False)
mnist_test = torchvision.datasets.FashionMNIST(root=args.data, train=False, transform=trans, download=False)
assert len(mnist_train) == 60000 and mnist_train[0][0].shape == (1, 28, 28)
train_iter = data.DataLoader(data.Subset(mnist_train, range(args.train_size)), batch_size=256, shuffle=True)
test_iter = data.DataLoader(data.Subset(mnist_test, range(args.test_size)), batch_size=256, shuffle=False)

num_inputs, num_outputs = 784, 10
W = torch.normal(0, 0.01, size=(num_inputs, num_outputs), requires_grad=True)
b = torch.zeros(num_outputs, requires_grad=True)


def softmax(X):
    X_exp = torch.exp(X)
    partition = X_exp.sum(1, keepdim=True)
    return X_exp / partition


def net(X):
    return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)


def cross_entropy(y_hat, y):
    return -torch.log(y_hat[range(len(y_hat)), y])


def accuracy(y_hat, y):
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


def evaluate_accuracy(net, data_iter):
    right, total = 0.0, 0
    with torch.no_grad():
        for X, y in data_iter:
            right += accuracy(net(X), y)
            total += y.numel()
    return right / total


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


X = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
assert torch.allclose(softmax(X).sum(1), torch.ones(2))
lr = 0.1
for epoch in range(args.epochs):
    total_loss, n = 0.0, 0
    for X, y in train_iter:
        y_hat = net(X)
        l = cross_entropy(y_hat, y)
        l.sum().backward()
        sgd([W, b], lr, X.shape[0])
        total_loss += float(l.sum())
        n += y.numel()
    test_acc = evaluate_accuracy(net, test_iter)
    print(f"epoch {epoch + 1}, loss {total_loss / n:.4f}, test acc {test_acc:.3f}")
assert test_acc > 0.70, test_acc
print("RESULT ok")
