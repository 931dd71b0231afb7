"""The Module system against torch.nn.Module: registration, state_dict, load_state_dict, repr, hooks, copying."""
import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch

import numtorch
from helpers_nn import close, copy_weights


def build(lib):
    """The same small model in numtorch or torch: nested containers, BN buffers, a non-persistent buffer."""
    nn = lib.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv_like = nn.Linear(4, 4)
            self.bn = nn.BatchNorm1d(4)
            self.register_buffer("scale", lib.ones(4))
            self.register_buffer("cache", lib.zeros(2), persistent=False)
            self.alpha = nn.Parameter(lib.zeros(1))

        def forward(self, x):
            return self.bn(self.conv_like(x)).relu() * self.scale + self.alpha

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(OrderedDict([("fc", nn.Linear(3, 4)), ("act", nn.ReLU())]))
            self.blocks = nn.ModuleList([Block(), Block()])
            self.heads = nn.ModuleDict({"a": nn.Linear(4, 2), "b": nn.Linear(4, 1, bias=False)})
            self.extra = nn.ParameterList([nn.Parameter(lib.ones(2)), nn.Parameter(lib.zeros(3))])
            self.pdict = nn.ParameterDict({"p": nn.Parameter(lib.ones(1))})
            self.drop = nn.Dropout(0.1)

        def forward(self, x):
            x = self.stem(x)
            for b in self.blocks:
                x = b(x)
            return self.heads["a"](x)

    return Net()


def test_state_dict_keys_order_and_named_members_match_torch():
    n, t = build(numtorch), build(torch)
    assert list(n.state_dict().keys()) == list(t.state_dict().keys())
    assert [k for k, _ in n.named_parameters()] == [k for k, _ in t.named_parameters()]
    assert [k for k, _ in n.named_buffers()] == [k for k, _ in t.named_buffers()]
    assert [k for k, _ in n.named_modules()] == [k for k, _ in t.named_modules()]
    assert [k for k, _ in n.named_children()] == [k for k, _ in t.named_children()]
    assert "blocks.0.cache" not in n.state_dict()
    sd = n.state_dict()
    assert sd["blocks.0.bn.num_batches_tracked"].dtype == numtorch.int64
    assert not sd["stem.fc.weight"].requires_grad  # detached
    assert np.shares_memory(sd["stem.fc.weight"].numpy(), n.stem.fc.weight.detach().numpy())


def test_repr_matches_torch():
    assert repr(build(numtorch)) == repr(build(torch))
    mods = ["Linear(3, 4, bias=False)", "BatchNorm2d(3, momentum=None, affine=False)", "LayerNorm([3, 4])",
            "GroupNorm(2, 4)", "InstanceNorm2d(3)", "Embedding(10, 3, padding_idx=0, max_norm=1.0)",
            "Dropout2d(0.2, inplace=True)", "LeakyReLU(0.2, inplace=True)", "ReLU6()", "Hardtanh(-2.0, 2.0)",
            "ELU(alpha=0.5)", "GELU(approximate='tanh')", "Softplus(beta=2.0)", "Softmax(dim=1)",
            "PReLU(3)", "Threshold(0.1, 2.0)", "Flatten()", "Unflatten(1, (2, 3))", "Bilinear(2, 3, 4)",
            "CrossEntropyLoss(label_smoothing=0.1)", "LocalResponseNorm(2)", "Identity()",
            "Sequential(Linear(2, 2), Linear(2, 2))", "ModuleList([Linear(2, 2), Linear(2, 2), ReLU()])"]
    for src in mods:
        assert repr(eval("numtorch.nn." + src.replace("Linear(2", "numtorch.nn.Linear(2")
                         .replace("ReLU()]", "numtorch.nn.ReLU()]"))) == \
            repr(eval("torch.nn." + src.replace("Linear(2", "torch.nn.Linear(2")
                      .replace("ReLU()]", "torch.nn.ReLU()]"))), src


def test_load_state_dict_from_torch_gives_same_outputs():
    n, t = build(numtorch), build(torch)
    copy_weights(n, t)
    n.eval(), t.eval()
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    close(n(numtorch.tensor(x)), t(torch.tensor(x)))


def test_load_state_dict_errors_and_non_strict():
    lin = numtorch.nn.Linear(4, 3)
    with pytest.raises(RuntimeError) as e:
        lin.load_state_dict(numtorch.nn.Linear(5, 3).state_dict())
    assert str(e.value) == ("Error(s) in loading state_dict for Linear:\n\tsize mismatch for weight: copying a param "
                            "with shape numtorch.Size([3, 5]) from checkpoint, the shape in current model is "
                            "numtorch.Size([3, 4]).")
    sd = OrderedDict(weight=numtorch.zeros(3, 4), extra=numtorch.zeros(1))
    with pytest.raises(RuntimeError) as e:
        lin.load_state_dict(sd)
    assert str(e.value) == ('Error(s) in loading state_dict for Linear:\n\tMissing key(s) in state_dict: "bias". '
                            '\n\tUnexpected key(s) in state_dict: "extra". ')
    res = lin.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["bias"] and res.unexpected_keys == ["extra"]
    assert np.all(lin.weight.detach().numpy() == 0)
    assert repr(lin.load_state_dict(lin.state_dict())) == "<All keys matched successfully>"
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        lin.load_state_dict([1, 2])


def test_load_state_dict_keeps_parameter_objects_and_assign():
    lin = numtorch.nn.Linear(2, 2)
    w = lin.weight
    lin.load_state_dict({"weight": np.ones((2, 2), np.float32), "bias": torch.zeros(2)})
    assert lin.weight is w and np.all(w.detach().numpy() == 1)
    new = numtorch.ones(2, 2) * 3
    lin.load_state_dict({"weight": new, "bias": numtorch.zeros(2)}, assign=True)
    assert lin.weight is not w and isinstance(lin.weight, numtorch.nn.Parameter) and lin.weight.requires_grad


def test_bn_state_dict_without_num_batches_tracked_loads():
    bn = numtorch.nn.BatchNorm1d(3)
    sd = {k: v for k, v in torch.nn.BatchNorm1d(3).state_dict().items() if k != "num_batches_tracked"}
    assert bn.load_state_dict(sd).missing_keys == []


def test_attribute_registration_rules():
    nn = numtorch.nn
    m = nn.Module()
    m.w = nn.Parameter(numtorch.ones(2))
    m.sub = nn.Linear(2, 2)
    m.register_buffer("buf", numtorch.zeros(1))
    m.plain = 3
    assert set(m._parameters) == {"w"} and set(m._modules) == {"sub"} and set(m._buffers) == {"buf"}
    with pytest.raises(TypeError, match="cannot assign 'torch.FloatTensor' as parameter 'w'"):
        m.w = numtorch.ones(2)
    with pytest.raises(TypeError, match="cannot assign 'int' as child module 'sub'"):
        m.sub = 1
    m.buf = numtorch.ones(1)  # a tensor may replace a buffer
    assert m._buffers["buf"].item() == 1
    with pytest.raises(KeyError, match="attribute 'plain' already exists"):
        m.register_buffer("plain", numtorch.zeros(1))
    with pytest.raises(KeyError, match='contain'):
        m.register_parameter("a.b", None)
    m.register_parameter("maybe", None)
    assert m.maybe is None and "maybe" not in m.state_dict()
    del m.w
    assert "w" not in m._parameters
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nothing'"):
        m.nothing
    m.b2 = numtorch.nn.Buffer(numtorch.ones(2), persistent=False)
    assert "b2" in m._buffers and "b2" not in m.state_dict()

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(numtorch.ones(1))

    with pytest.raises(AttributeError, match="cannot assign parameters before Module.__init__"):
        Early()


def test_train_eval_zero_grad_requires_grad_apply():
    net = build(numtorch)
    net.eval()
    assert all(not m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    out = net(numtorch.randn(4, 3))
    out.sum().backward()
    assert net.stem.fc.weight.grad is not None
    net.zero_grad(set_to_none=False)
    assert np.all(net.stem.fc.weight.grad.numpy() == 0)
    net.zero_grad()
    assert net.stem.fc.weight.grad is None
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and seen[0] == "Linear"
    assert net.get_submodule("blocks.1.bn") is net.blocks[1].bn
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        net.get_submodule("blocks.nope")
    assert net.get_parameter("blocks.0.alpha") is net.blocks[0].alpha


def test_shared_parameters_counted_once():
    nn = numtorch.nn
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.modules())) == 3
    assert list(seq.state_dict().keys()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_dtype_and_device_moves():
    net = build(numtorch)
    w = net.stem.fc.weight
    assert net.double() is net and net.stem.fc.weight is w
    assert w.dtype == numtorch.float64 and net.blocks[0].bn.running_mean.dtype == numtorch.float64
    assert net.blocks[0].bn.num_batches_tracked.dtype == numtorch.int64
    net.to(numtorch.float32)
    assert w.dtype == numtorch.float32
    assert net.to("cpu") is net and net.cpu() is net
    out = net.float()(numtorch.randn(2, 3))
    assert out.dtype == numtorch.float32
    with pytest.raises(AssertionError, match="not compiled with CUDA"):
        net.cuda()
    with pytest.raises(TypeError, match="floating point"):
        net.to(numtorch.int64)


def test_forward_hooks():
    lin = numtorch.nn.Linear(2, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    out = lin(numtorch.ones(3, 2))
    close(out, (lin.bias + 1).detach().expand(3, 2))
    assert calls == [numtorch.Size([3, 2])]
    h1.remove(), h2.remove()
    x = numtorch.ones(3, 2)
    close(lin(x), numtorch.nn.functional.linear(x, lin.weight, lin.bias))
    h3 = lin.register_forward_pre_hook(lambda m, args, kwargs: ((args[0] * 2,), kwargs), with_kwargs=True)
    close(lin(x), numtorch.nn.functional.linear(x * 2, lin.weight, lin.bias))
    h3.remove()
    order = []
    lin.register_forward_hook(lambda m, a, o: order.append(1))
    lin.register_forward_hook(lambda m, a, o: order.append(0), prepend=True)
    lin(x)
    assert order == [0, 1]


def test_deepcopy_and_pickle():
    nn = numtorch.nn
    net = nn.Sequential(OrderedDict(fc=nn.Linear(3, 4), bn=nn.BatchNorm1d(4), act=nn.ReLU(), drop=nn.Dropout(),
                                    out=nn.Linear(4, 2)))
    net(numtorch.randn(8, 3))  # move the running statistics away from their initial values
    x = numtorch.randn(4, 3)
    net.eval()
    ref = net(x).detach().numpy()
    deep = copy.deepcopy(net)
    assert repr(copy.deepcopy(build(numtorch))) == repr(build(numtorch))
    for clone in (deep, pickle.loads(pickle.dumps(net))):
        close(clone(x), ref)
        assert clone.fc.weight is not net.fc.weight
        assert isinstance(clone.fc.weight, numtorch.nn.Parameter) and clone.fc.weight.requires_grad
        assert not clone.training
        close(clone.bn.running_var, net.bn.running_var)
        assert clone.bn.num_batches_tracked.item() == 1
        clone.fc.weight.data.numpy()[...] = 0
        assert not np.all(net.fc.weight.detach().numpy() == 0)
        assert list(clone.state_dict()) == list(net.state_dict())


def test_sequential_container_api():
    nn = numtorch.nn
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    s = nn.Sequential(a, b, c)
    assert len(s) == 3 and s[0] is a and s[-1] is c and list(s) == [a, b, c]
    sl = s[1:]
    assert isinstance(sl, nn.Sequential) and list(sl) == [b, c] and list(sl._modules) == ["1", "2"]
    s.append(nn.Sigmoid())
    assert len(s) == 4 and "3" in s._modules
    del s[1]
    assert list(s._modules) == ["0", "1", "2"] and s[1] is c
    s.insert(1, b)
    assert s[1] is b
    s[0] = nn.Linear(2, 3)
    assert s[0] is not a
    with pytest.raises(IndexError, match="index 9 is out of range"):
        s[9]
    od = nn.Sequential(OrderedDict([("fc", a), ("act", b)]))
    assert od.fc is a and list(od.state_dict()) == ["fc.weight", "fc.bias"]
    assert (nn.Sequential(a) + nn.Sequential(b))[1] is b


def test_module_list_dict_parameter_containers():
    nn = numtorch.nn
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    ml.append(nn.ReLU())
    ml.extend([nn.Tanh()])
    assert len(ml) == 5 and isinstance(ml[-1], nn.Tanh) and len(ml[1:3]) == 2
    assert len(list(ml.parameters())) == 6
    md = nn.ModuleDict({"x": nn.Linear(1, 1)})
    md["y"] = nn.ReLU()
    assert list(md.keys()) == ["x", "y"] and "y" in md and len(md) == 2
    assert md.pop("y").__class__ is nn.ReLU
    pl = nn.ParameterList([numtorch.ones(2), nn.Parameter(numtorch.zeros(1))])
    assert all(isinstance(p, nn.Parameter) for p in pl) and len(pl) == 2
    pl.append(numtorch.ones(3))
    assert [k for k, _ in pl.named_parameters()] == ["0", "1", "2"]
    pd = nn.ParameterDict({"b": numtorch.ones(1), "a": numtorch.ones(2)})
    assert list(pd.keys()) == ["a", "b"] and isinstance(pd["a"], nn.Parameter)
    tl = torch.nn.ParameterList([torch.ones(2), torch.nn.Parameter(torch.zeros(1))])
    assert repr(nn.ParameterList([numtorch.ones(2), nn.Parameter(numtorch.zeros(1))])) == repr(tl)
    assert repr(pd) == repr(torch.nn.ParameterDict({"b": torch.ones(1), "a": torch.ones(2)}))
    with pytest.raises(RuntimeError, match="ParameterList should not be called"):
        pl(1)


def test_forward_not_implemented_message():
    with pytest.raises(NotImplementedError, match='Module \\[Module\\] is missing the required "forward" function'):
        numtorch.nn.Module()(1)


def _hooked_run(lib, modify):
    lib.manual_seed(0)
    net = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Linear(4, 2))
    rec = []
    h1 = net[2].register_full_backward_pre_hook(
        lambda m, go: (go[0] * 2,) if modify else rec.append(("pre", tuple(go[0].shape))))
    h2 = net[0].register_full_backward_hook(
        lambda m, gi, go: (gi[0] * 0.5,) if modify else rec.append(("full", tuple(gi[0].shape), len(go))))
    return net, rec, (h1, h2)


@pytest.mark.parametrize("modify", [False, True])
def test_full_backward_hooks_match_torch(modify):
    nn_, rn, hn = _hooked_run(numtorch, modify)
    tn_, rt, ht = _hooked_run(torch, modify)
    copy_weights(nn_, tn_)
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    xn, xt = numtorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    nn_(xn).sum().backward()
    tn_(xt).sum().backward()
    assert rn == rt
    close(xn.grad, xt.grad)
    for (name, a), (_, b) in zip(nn_.named_parameters(), tn_.named_parameters()):
        close(a.grad, b.grad, msg=name)
    for h in hn:
        h.remove()
    assert not nn_[0]._backward_hooks and not nn_[2]._backward_pre_hooks


class _WithExtra(numtorch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = numtorch.nn.Linear(2, 2)
        self.tag = "a"

    def get_extra_state(self):
        return {"tag": self.tag}

    def set_extra_state(self, state):
        self.tag = state["tag"]


def test_extra_state_round_trip():
    m = _WithExtra()
    m.tag = "b"
    sd = m.state_dict()
    assert list(sd) == ["_extra_state", "fc.weight", "fc.bias"]  # own state before children, as PyTorch
    m2 = _WithExtra()
    m2.load_state_dict(sd)
    assert m2.tag == "b"
    res = m2.load_state_dict({k: v for k, v in sd.items() if k != "_extra_state"}, strict=False)
    assert res.missing_keys == ["_extra_state"]
    with pytest.raises(RuntimeError, match='Unexpected key\\(s\\) in state_dict: "_extra_state"'):
        numtorch.nn.Linear(2, 2).load_state_dict({"weight": numtorch.ones(2, 2), "bias": numtorch.ones(2),
                                                  "_extra_state": 1})
    assert m.compile() is None
