#pragma once
// Integrated Gradients (Sundararajan, Taly and Yan, 2017): how much each
// input element contributes to one output class, the attribution TorchServe's
// vision handlers return for /explanations (through Captum, with its
// defaults: zero baseline, n_steps = 15, Gauss-Legendre points on [0, 1]):
//
//   attribution = (x - 0) * sum_i w_i * d model(a_i * x)[target] / dx
//
// The n scaled copies of x go through the model as one batch. Completeness
// holds up to the quadrature error: the attributions sum to about
// model(x)[target] - model(0)[target].

#include <torch/script.h>

#include <utility>
#include <vector>

#include "common/status.h"

namespace hearth::worker {

// Gauss-Legendre quadrature on [0, 1]: n points and their weights (the
// weights sum to 1). Pure.
std::pair<std::vector<double>, std::vector<double>> GaussLegendreUnitInterval(int n);

// `input` is one example without its batch dimension (CHW for an image);
// the model takes [n, ...] and returns [n, classes] scores. Returns a
// tensor shaped like `input`. InvalidArgument for a target outside the
// model's classes or a model that gives no gradient (e.g. frozen for
// inference with oneDNN's prepacked ops).
StatusOr<torch::Tensor> IntegratedGradients(torch::jit::Module& module, const torch::Tensor& input, int64_t target,
                                            int n_steps = 15);

}  // namespace hearth::worker
