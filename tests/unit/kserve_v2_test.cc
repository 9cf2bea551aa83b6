#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "frontend/kserve/v2_protocol.h"
#include "ipc/model_signature.h"

namespace hearth::kserve {
namespace {

template <typename T>
std::vector<T> Values(const std::string& bytes) {
  std::vector<T> out(bytes.size() / sizeof(T));
  std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
  return out;
}

template <typename T>
std::string Bytes(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

TEST(KserveV2, ParsesJsonInputsOfSeveralDatatypes) {
  auto req = ParseHttpInferRequest(R"({"id": "r1", "inputs": [
      {"name": "a", "datatype": "FP32", "shape": [2, 2], "data": [[1, 2.5], [3, -4]]},
      {"name": "b", "datatype": "INT64", "shape": [3], "data": [1, -2, 9007199254740993]},
      {"name": "c", "datatype": "BOOL", "shape": [2], "data": [true, false]},
      {"name": "d", "datatype": "BYTES", "shape": [2], "data": ["hi", ""]},
      {"name": "e", "datatype": "UINT8", "shape": [1], "data": [255]}]})",
                                   std::nullopt);
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(*req->id, "r1");
  ASSERT_EQ(req->inputs.size(), 5u);
  EXPECT_EQ(Values<float>(req->inputs[0].data), (std::vector<float>{1, 2.5, 3, -4}));
  EXPECT_EQ(req->inputs[0].shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(Values<int64_t>(req->inputs[1].data), (std::vector<int64_t>{1, -2, 9007199254740993LL}));
  EXPECT_EQ(req->inputs[2].data, std::string("\x01\x00", 2));
  EXPECT_EQ(SplitBytesElements(req->inputs[3].data), (std::vector<std::string>{"hi", ""}));
  EXPECT_EQ(req->inputs[4].data, "\xff");
  EXPECT_EQ(req->inputs[0].datatype, ipc::DataType::kFp32);
  EXPECT_EQ(req->inputs[3].datatype, ipc::DataType::kBytes);
}

TEST(KserveV2, DataTypeNamesRoundTrip) {
  for (const char* name : {"BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16",
                           "FP32", "FP64", "BF16", "BYTES"}) {
    auto type = ipc::ParseDataType(name);
    ASSERT_TRUE(type.has_value()) << name;
    EXPECT_STREQ(ipc::DataTypeName(*type), name);
  }
  EXPECT_EQ(ipc::DataTypeSize(ipc::DataType::kBf16), 2);
  EXPECT_EQ(ipc::DataTypeSize(ipc::DataType::kUint64), 8);
  EXPECT_EQ(ipc::DataTypeSize(ipc::DataType::kBytes), 0);
  EXPECT_FALSE(ipc::ParseDataType("FLOAT").has_value());
  EXPECT_FALSE(ipc::ParseDataType("fp32").has_value());
}

TEST(KserveV2, BinaryExtensionTakesInputsInOrder) {
  std::string header =
      R"({"inputs": [{"name": "x", "datatype": "FP32", "shape": [2], "parameters": {"binary_data_size": 8}},
                     {"name": "y", "datatype": "INT32", "shape": [1], "data": [7]},
                     {"name": "z", "datatype": "INT16", "shape": [2], "parameters": {"binary_data_size": 4}}],
          "outputs": [{"name": "out", "parameters": {"binary_data": true}}]})";
  std::string body = header + Bytes<float>({1.5f, -2.0f}) + Bytes<int16_t>({3, -4});
  auto req = ParseHttpInferRequest(body, header.size());
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(Values<float>(req->inputs[0].data), (std::vector<float>{1.5f, -2.0f}));
  EXPECT_EQ(Values<int32_t>(req->inputs[1].data), (std::vector<int32_t>{7}));
  EXPECT_EQ(Values<int16_t>(req->inputs[2].data), (std::vector<int16_t>{3, -4}));
  ASSERT_EQ(req->outputs.size(), 1u);
  EXPECT_TRUE(req->outputs[0].binary);
}

TEST(KserveV2, RejectsBadTensorsWithErrorsNamingTheProblem) {
  auto message = [](std::string_view body, std::optional<size_t> header = std::nullopt) {
    auto r = ParseHttpInferRequest(body, header);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    return r.status().message();
  };
  EXPECT_NE(message(R"({"inputs": [{"name": "a", "datatype": "FP32", "shape": [2, 2], "data": [1, 2, 3]}]})")
                .find("needs 4 elements, \"data\" has 3"),
            std::string::npos);
  EXPECT_NE(message(R"({"inputs": [{"name": "a", "datatype": "FLOAT", "shape": [1], "data": [1]}]})")
                .find("unknown datatype \"FLOAT\""),
            std::string::npos);
  EXPECT_NE(message(R"({"inputs": [{"name": "a", "datatype": "INT8", "shape": [1], "data": [300]}]})")
                .find("is not a valid INT8"),
            std::string::npos);
  EXPECT_NE(message(R"({"inputs": [{"name": "a", "datatype": "INT32", "shape": [1], "data": [1.5]}]})")
                .find("is not a valid INT32"),
            std::string::npos);
  EXPECT_NE(message(R"({"inputs": [{"name": "a", "datatype": "FP32", "shape": [-1], "data": []}]})")
                .find("non-negative"),
            std::string::npos);
  EXPECT_NE(message("{not json").find("not valid JSON"), std::string::npos);
  EXPECT_NE(message(R"({"inputs": []})").find("non-empty \"inputs\""), std::string::npos);
  std::string header = R"({"inputs": [{"name": "x", "datatype": "FP32", "shape": [2], "parameters": {"binary_data_size": 4}}]})";
  EXPECT_NE(message(header + "abcd", header.size()).find("needs 8 bytes, got 4"), std::string::npos);
  EXPECT_NE(message(header + "ab", header.size()).find("runs past the end"), std::string::npos);
  EXPECT_NE(message(header + "abcdefgh", std::nullopt).find("not valid JSON"), std::string::npos);
  EXPECT_NE(message(header + "abcdabcd", header.size() + 100).find("larger than the body"), std::string::npos);
  std::string h2 = R"({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1], "parameters": {"binary_data_size": 4}}]})";
  EXPECT_NE(message(h2 + "abcdEXTRA", h2.size()).find("not claimed"), std::string::npos);
}

TEST(KserveV2, WritesJsonAndBinaryOutputs) {
  InferRequest req;
  req.id = "abc";
  std::vector<WireTensor> outputs = {{"OUTPUT__0", ipc::DataType::kFp32, {1, 2}, Bytes<float>({0.1f, -3.0f})},
                                     {"OUTPUT__1", ipc::DataType::kInt64, {1}, Bytes<int64_t>({42})}};
  auto json = WriteHttpInferResponse("m", "1.0", req, outputs);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(json->content_type, "application/json");
  EXPECT_FALSE(json->header_length);
  EXPECT_EQ(json->body,
            R"({"model_name":"m","model_version":"1.0","id":"abc","outputs":[)"
            R"({"name":"OUTPUT__0","datatype":"FP32","shape":[1,2],"data":[0.1,-3]},)"
            R"({"name":"OUTPUT__1","datatype":"INT64","shape":[1],"data":[42]}]})");

  req.outputs = {{"OUTPUT__1", false}, {"OUTPUT__0", true}};
  auto mixed = WriteHttpInferResponse("m", "1.0", req, outputs);
  ASSERT_TRUE(mixed.ok());
  ASSERT_TRUE(mixed->header_length);
  Json header = Json::parse(mixed->body.substr(0, *mixed->header_length));
  EXPECT_EQ(header["outputs"][0]["name"], "OUTPUT__1");
  EXPECT_EQ(header["outputs"][1]["parameters"]["binary_data_size"], 8);
  EXPECT_FALSE(header["outputs"][1].contains("data"));
  EXPECT_EQ(Values<float>(mixed->body.substr(*mixed->header_length)), (std::vector<float>{0.1f, -3.0f}));

  req.outputs = {{"nope", false}};
  auto unknown = WriteHttpInferResponse("m", "1.0", req, outputs);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("OUTPUT__0, OUTPUT__1"), std::string::npos);
}

TEST(KserveV2, HalfAndBfloat16RoundTrip) {
  for (float f : {0.0f, 1.0f, -2.5f, 65504.0f, 6.1035156e-05f, 5.9604645e-08f, 0.333251953125f}) {
    EXPECT_EQ(HalfToFloat(FloatToHalf(f)), f) << f;
  }
  EXPECT_TRUE(std::isinf(HalfToFloat(FloatToHalf(1e6f))));
  EXPECT_TRUE(std::isnan(HalfToFloat(FloatToHalf(NAN))));
  EXPECT_EQ(FloatToHalf(1.0f + 1.0f / 4096), FloatToHalf(1.0f));  // ties to even
  for (float f : {0.0f, 1.0f, -2.5f, 3.140625f, 0x1p100f}) EXPECT_EQ(Bf16ToFloat(FloatToBf16(f)), f) << f;
  EXPECT_EQ(Bf16ToFloat(FloatToBf16(1.00390625f)), 1.0f);  // halfway rounds to even
  auto req = ParseHttpInferRequest(R"({"inputs": [{"name": "h", "datatype": "FP16", "shape": [2], "data": [1.5, -0.25]}]})",
                                   std::nullopt);
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(TensorToJson(req->inputs[0]), Json::parse("[1.5, -0.25]"));
}

TEST(KserveV2, EnvelopeShapesLikeTorchServe) {
  WireTensor image{"input-0", ipc::DataType::kFp32, {1, 2, 2}, Bytes<float>({1, 2, 3, 4})};
  EXPECT_EQ(EnvelopeInputJson(image), Json::parse("[[[1,2],[3,4]]]"));
  WireTensor text{"t", ipc::DataType::kBytes, {1}, JoinBytesElements({"aGk="})};
  EXPECT_EQ(EnvelopeInputJson(text), Json("aGk="));

  Json dict = EnvelopeOutputJson("input-0", Json::parse(R"({"cat": 0.9})"));
  EXPECT_EQ(dict, Json::parse(R"({"name": "input-0", "shape": [1], "datatype": "BYTES", "data": [{"cat": 0.9}]})"));
  Json grid = EnvelopeOutputJson("x", Json::parse("[[1, 2.5], [3, 4]]"));
  EXPECT_EQ(grid["shape"], Json::parse("[4]"));
  EXPECT_EQ(grid["datatype"], "FP64");
  Json ints = EnvelopeOutputJson("x", Json::parse("[[1, 2], [3, 4]]"));
  EXPECT_EQ(ints["datatype"], "INT64");
  Json boxes = EnvelopeOutputJson("x", Json::parse(R"([{"a": 1}, {"b": 2}])"));
  EXPECT_EQ(boxes["shape"], Json::parse("[2]"));
  EXPECT_EQ(boxes["datatype"], "BYTES");
}

}  // namespace
}  // namespace hearth::kserve

namespace hearth::ipc {
namespace {

TEST(ModelSignatureTest, ParsesWhatWorkersReport) {
  auto s = ParseModelSignature(R"({"protocol": "tensors",
      "inputs": [{"name": "x", "datatype": "FP32", "shape": [-1, 16]}],
      "outputs": [{"name": "y", "datatype": "INT64", "shape": [-1]}]})");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->protocol, ModelSignature::Protocol::kTensors);
  ASSERT_EQ(s->inputs.size(), 1u);
  EXPECT_EQ(s->inputs[0].name, "x");
  EXPECT_EQ(s->inputs[0].datatype, DataType::kFp32);
  EXPECT_EQ(s->inputs[0].shape, (std::vector<int64_t>{-1, 16}));
  EXPECT_EQ(s->outputs[0].datatype, DataType::kInt64);
  auto envelope = ParseModelSignature(R"({"protocol": "envelope", "inputs": [{"name": "data", "datatype": "BYTES"}]})");
  ASSERT_TRUE(envelope.ok());
  EXPECT_EQ(envelope->protocol, ModelSignature::Protocol::kEnvelope);
  EXPECT_TRUE(envelope->inputs[0].shape.empty());
}

TEST(ModelSignatureTest, RefusesWhatItCannotUseNamingTheField) {
  EXPECT_EQ(ParseModelSignature("[]").status().message(), "signature: not a JSON object");
  EXPECT_EQ(ParseModelSignature(R"({"protocol": "grpc"})").status().message(), "signature: unknown protocol \"grpc\"");
  EXPECT_EQ(ParseModelSignature(R"({"inputs": [{"name": "x", "datatype": "FLOAT"}]})").status().message(),
            "signature: inputs[0]: unknown datatype \"FLOAT\"");
  EXPECT_EQ(ParseModelSignature(R"({"outputs": [{"datatype": "FP32"}]})").status().message(),
            "signature: outputs[0] needs a \"name\"");
}

}  // namespace
}  // namespace hearth::ipc
