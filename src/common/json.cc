#include "common/json.h"

namespace hearth {

std::string PythonJson(const Json& value) {
  return value.dump(2, ' ', /*ensure_ascii=*/true, Json::error_handler_t::replace);
}

std::string FrontendJson(const Json& value) { return PythonJson(value) + "\n"; }

}  // namespace hearth
