#include "worker/integrated_gradients.h"

#include <torch/torch.h>

#include <cmath>

namespace hearth::worker {

std::pair<std::vector<double>, std::vector<double>> GaussLegendreUnitInterval(int n) {
  std::vector<double> nodes(static_cast<size_t>(n)), weights(static_cast<size_t>(n));
  // Roots of the Legendre polynomial P_n by Newton's method from Chebyshev
  // guesses; w = 2 / ((1 - x^2) P_n'(x)^2) on [-1, 1].
  for (int i = 0; i < n; ++i) {
    double x = std::cos(M_PI * (i + 0.75) / (n + 0.5));
    double derivative = 0;
    for (int iteration = 0; iteration < 100; ++iteration) {
      double p0 = 1, p1 = x;
      for (int k = 2; k <= n; ++k) {
        const double p2 = ((2.0 * k - 1) * x * p1 - (k - 1.0) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      derivative = n * (x * p1 - p0) / (x * x - 1);
      const double step = p1 / derivative;
      x -= step;
      if (std::abs(step) < 1e-15) break;
    }
    // Ascending on [0, 1].
    nodes[static_cast<size_t>(n - 1 - i)] = 0.5 * (x + 1);
    weights[static_cast<size_t>(n - 1 - i)] = 0.5 * 2 / ((1 - x * x) * derivative * derivative);
  }
  return {nodes, weights};
}

StatusOr<torch::Tensor> IntegratedGradients(torch::jit::Module& module, const torch::Tensor& input, int64_t target,
                                            int n_steps) {
  auto [nodes, weights] = GaussLegendreUnitInterval(n_steps);
  c10::InferenceMode normal_mode(false);
  torch::AutoGradMode with_grad(true);
  const torch::Tensor x = input.to(torch::kFloat).unsqueeze(0);
  std::vector<int64_t> column(static_cast<size_t>(x.dim()), 1);
  column[0] = n_steps;
  const torch::Tensor alphas = torch::tensor(nodes, torch::kFloat).view(column);
  const torch::Tensor w = torch::tensor(weights, torch::kFloat).view(column);
  torch::Tensor scaled = (alphas * x).detach().requires_grad_(true);
  torch::IValue out = module.forward({scaled});
  torch::Tensor scores = out.isTuple() ? out.toTupleRef().elements()[0].toTensor() : out.toTensor();
  if (scores.dim() != 2 || scores.size(0) != n_steps) {
    return InvalidArgument("explanations need a model that returns [batch, classes] scores, got " +
                           std::string(c10::str(scores.sizes())));
  }
  if (target < 0 || target >= scores.size(1)) {
    return InvalidArgument("target " + std::to_string(target) + " is not a class of this model (0.." +
                           std::to_string(scores.size(1) - 1) + ")");
  }
  if (!scores.requires_grad()) {
    return InvalidArgument("the model gives no gradient for its input (frozen for inference, e.g. with "
                           "ipex_enable): explanations need the model as archived");
  }
  torch::Tensor grads = torch::autograd::grad({scores.select(1, target).sum()}, {scaled})[0];
  return ((grads * w).sum(0) * input.to(torch::kFloat)).detach();
}

}  // namespace hearth::worker
