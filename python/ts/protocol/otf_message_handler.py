"""Streaming answers: send_intermediate_predict_response.

A handler calls it during handle() with one part per request; the part
reaches the client at once (HTTP chunked transfer, gRPC StreamPredictions
messages), and what handle() finally returns is each request's last part.
On transports with one answer per request the parts are joined ahead of it.
"""


def send_intermediate_predict_response(ret, req_id_map, message, code, context=None):
    """Sends ret[idx] as an intermediate answer of each request in req_id_map
    ({batch index: request id}, normally context.request_ids). `message` and
    `code` are TorchServe's batch-level status; a request's own HTTP status
    and headers come from the context as for its final answer."""
    from hearth_worker.codec import UnsupportedOutput
    from hearth_worker.service import encode_response

    if context is None:
        raise ValueError("send_intermediate_predict_response needs the handler's context")
    stream = getattr(context, "hearth_stream", None)
    if stream is None:
        raise RuntimeError("send_intermediate_predict_response called outside a prediction")
    responses = []
    for idx, request_id in req_id_map.items():
        context.set_response_header(idx, "ts_stream_next", "true")
        try:
            responses.append(encode_response(request_id, ret[idx], context.request_processor[idx]))
        except UnsupportedOutput as e:
            raise TypeError(f"Unsupported intermediate output data type: {e}") from e
    stream(responses)
