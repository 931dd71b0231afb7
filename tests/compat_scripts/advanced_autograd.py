"""A PyTorch script using the features people reach for beyond plain training: torch.distributions in a
VAE-style loss, a WGAN-GP gradient penalty (create_graph=True), torch.autograd.functional, torch.compile (for
evaluation: PyTorch's compiled modules have no double backward).

Stated results: the penalised critic trains (penalty term falls below 0.05 from ~0.3); the Gaussian
posterior's KL to N(0, I) falls by more than half; the Hessian of a quadratic form equals A + A^T;
jvp/vjp agree with the Jacobian.
"""
import torch
import torch.nn as nn
from torch.distributions import Normal, Categorical, kl_divergence

torch.manual_seed(0)

# --- a WGAN-GP style critic on 2-D points: gradient penalty through Linear + LeakyReLU
critic = nn.Sequential(nn.Linear(2, 32), nn.LeakyReLU(0.2), nn.Linear(32, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
opt = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))
real = torch.randn(256, 2) * 0.5 + torch.tensor([2.0, -1.0])
fake = torch.randn(256, 2)


def penalty():
    eps = torch.rand(real.size(0), 1)
    mix = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(mix).sum(), mix, create_graph=True)
    return ((grad.norm(2, dim=1) - 1) ** 2).mean()


first = penalty().item()
for step in range(150):
    opt.zero_grad()
    gp = penalty()
    loss = critic(fake).mean() - critic(real).mean() + 10 * gp
    loss.backward()
    opt.step()
last = penalty().item()
print(f"gradient penalty {first:.3f} -> {last:.4f}")
assert last < 0.05 and last < first
scorer = torch.compile(critic, backend="eager")  # PyTorch's compiled modules have no double backward: eval only
with torch.no_grad():
    assert scorer(real).mean() > scorer(fake).mean()

# --- a Gaussian posterior fitted towards N(0, I) with torch.distributions (reparameterised samples)
mu = torch.full((8, 4), 2.0, requires_grad=True)
log_sigma = torch.full((8, 4), 1.0, requires_grad=True)
prior = Normal(torch.zeros(4), torch.ones(4))
opt2 = torch.optim.SGD([mu, log_sigma], lr=0.05)
kl_start = kl_divergence(Normal(mu, log_sigma.exp()), prior).sum().item()
for step in range(100):
    q = Normal(mu, log_sigma.exp())
    z = q.rsample()
    loss = kl_divergence(q, prior).sum() - 0.0 * prior.log_prob(z).sum()
    opt2.zero_grad()
    loss.backward()
    opt2.step()
kl_end = kl_divergence(Normal(mu, log_sigma.exp()), prior).sum().item()
print(f"KL {kl_start:.2f} -> {kl_end:.2f}")
assert kl_end < 0.5 * kl_start
cat = Categorical(logits=torch.tensor([0.0, 1.0, 2.0]))
assert abs(cat.entropy().item() - 0.8324) < 1e-3 and cat.sample((10,)).shape == (10,)

# --- torch.autograd.functional
A = torch.randn(3, 3, dtype=torch.float64)
x0 = torch.randn(3, dtype=torch.float64)
H = torch.autograd.functional.hessian(lambda x: x @ A @ x, x0)
assert torch.allclose(H, A + A.T)
f = lambda x: torch.tanh(A @ x) * x.sum()  # noqa: E731
J = torch.autograd.functional.jacobian(f, x0)
v = torch.randn(3, dtype=torch.float64)
_, jv = torch.autograd.functional.jvp(f, x0, v)
_, vj = torch.autograd.functional.vjp(f, x0, v)
assert torch.allclose(jv, J @ v) and torch.allclose(vj, v @ J)
print("RESULT ok")
