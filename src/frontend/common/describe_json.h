#pragma once
// TorchServe's describe answer (GET /models/{m}[/{v}|/all], gRPC
// DescribeModel) from the core's typed ModelDescription: the field names,
// order and quirks TorchServe clients parse. Pure.

#include <vector>

#include "common/json.h"
#include "core/model_version.h"

namespace hearth::frontend {

Json DescribeJson(const core::ModelDescription& description);
// The array of several versions, as the describe routes answer.
Json DescribeJson(const std::vector<core::ModelDescription>& descriptions);

}  // namespace hearth::frontend
