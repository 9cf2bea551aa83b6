"""Integrated Gradients (Sundararajan, Taly and Yan, 2017), written for
Hearth: the attributions TorchServe's vision handlers return for
/explanations, where Captum (not in Debian) would compute them, with
Captum's defaults: zero baseline, Gauss-Legendre points on [0, 1].

    attribution = (x - 0) * sum_i w_i * d model(a_i * x)[target] / dx

The same method as hearth-worker's C++ image_classifier
(src/worker/integrated_gradients.h).
"""

import numpy as np
import torch


class IntegratedGradients:
    def __init__(self, model):
        self.model = model

    def attribute(self, inputs, target=0, n_steps=15):
        """inputs: a batch [B, ...]; target: one class index, or one per
        example. Returns attributions shaped like `inputs`."""
        nodes, weights = np.polynomial.legendre.leggauss(n_steps)
        alphas = torch.tensor(0.5 * (nodes + 1), dtype=inputs.dtype, device=inputs.device)
        steps = torch.tensor(0.5 * weights, dtype=inputs.dtype, device=inputs.device)
        batch = inputs.shape[0]
        shape = (n_steps,) + (1,) * inputs.dim()
        with torch.enable_grad():
            scaled = (alphas.view(shape) * inputs.detach().unsqueeze(0)).reshape((n_steps * batch,) + inputs.shape[1:])
            scaled.requires_grad_(True)
            scores = self.model(scaled)
            if isinstance(scores, (tuple, list)):
                scores = scores[0]
            targets = torch.as_tensor(target, device=scores.device).reshape(-1).long()
            if targets.numel() == 1:
                targets = targets.expand(batch)
            if targets.numel() != batch:
                raise ValueError("one target per example, or one for all: got %d for %d" % (targets.numel(), batch))
            if int(targets.min()) < 0 or int(targets.max()) >= scores.shape[1]:
                raise ValueError("target %s is not a class of this model (0..%d)" % (target, scores.shape[1] - 1))
            picked = scores.gather(1, targets.repeat(n_steps).view(-1, 1)).sum()
            (grads,) = torch.autograd.grad(picked, scaled)
        grads = grads.view((n_steps, batch) + inputs.shape[1:])
        return (grads * steps.view(shape)).sum(0) * inputs.detach()
